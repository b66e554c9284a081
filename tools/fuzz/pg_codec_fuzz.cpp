// Fuzz target: the PostgreSQL log adapter's record codec (adapters/postgres/pg_codec.*): the
// append-batch validator, the text check, array literals, and the text-to-number conversions
// DecodeRow applies to stored columns (DecodeRow itself needs a live pqxx::row).
// Input: fields separated by 0xFF: [version bytes][stream][record fields...].
// Invariants: IsStorableText is exactly "strict UTF-8 without NUL"; a TextArrayLiteral parses
// back (PostgreSQL's quoting rules) to its values; a valid batch has only storable fields;
// ValidateBatch never overflows on extreme versions.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/postgres/pg_codec.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

namespace pg = filament::postgres::internal;
using filament::events::AppendBatch;
using filament::events::LogRecord;

// Parses {"a","b\"c"} as PostgreSQL reads a one-dimensional text array of quoted elements.
std::vector<std::string> ParseTextArray(std::string_view lit) {
  std::vector<std::string> out;
  FUZZ_CHECK(lit.size() >= 2 && lit.front() == '{' && lit.back() == '}');
  size_t i = 1;
  while (i < lit.size() - 1) {
    FUZZ_CHECK(lit[i] == '"');
    std::string value;
    for (++i;; ++i) {
      FUZZ_CHECK(i < lit.size() - 1);
      if (lit[i] == '"') break;
      if (lit[i] == '\\') ++i;
      FUZZ_CHECK(i < lit.size() - 1);
      value.push_back(lit[i]);
    }
    ++i;
    out.push_back(std::move(value));
    if (lit[i] == ',') ++i;
  }
  return out;
}

int64_t Int64(std::string_view bytes) {
  int64_t v = 0;
  std::memcpy(&v, bytes.data(), std::min(bytes.size(), sizeof v));
  return v;
}

// What field::to() does with a stored column's text (libpqxx 6: from_string on its C string).
template <typename T>
void Convert(const std::string& text) {
  T value{};
  try {
    pqxx::from_string(text.c_str(), value);
  } catch (const std::exception&) {
  }
}

// DecodeRow converts a handful of number columns per row, and under ASan every conversion that
// throws costs tens of microseconds: converting all of an input's fields (often hundreds) held
// this target at ~70 executions/s. The first few fields give the conversions the same inputs.
constexpr size_t kConvertedFields = 4;

void CheckNumberColumns(std::string_view text) {
  const std::string column(text);
  Convert<int64_t>(column);
  Convert<int32_t>(column);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  filament::fuzz::InputReader in(data, size);
  std::vector<std::string_view> fields;
  while (!in.empty()) fields.push_back(in.Until('\xFF'));
  if (fields.empty()) return 0;

  std::vector<std::string_view> texts;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view f = fields[i];
    const bool storable = pg::IsStorableText(f);
    FUZZ_CHECK(storable == (filament::fuzz::ReferenceUtf8(f) && f.find('\0') == f.npos));
    if (i < kConvertedFields) CheckNumberColumns(f);
    if (f.find('\0') == f.npos) texts.push_back(f);
  }
  const auto parsed = ParseTextArray(pg::TextArrayLiteral(texts));
  FUZZ_CHECK(parsed.size() == texts.size());
  for (size_t i = 0; i < texts.size(); ++i) FUZZ_CHECK(parsed[i] == texts[i]);

  AppendBatch batch;
  const int64_t versions = Int64(fields[0]);
  batch.expected_version = versions;
  batch.stream = fields.size() > 1 ? std::string(fields[1]) : "";
  for (size_t i = 2; i + 2 < fields.size(); i += 3) {
    LogRecord r;
    r.meta.stream = batch.stream;
    r.meta.event_id = fields[i];
    r.meta.type = fields[i + 1];
    r.payload = fields[i + 2];
    r.meta.schema_version = static_cast<int32_t>(versions >> 32);
    // Wrapping on purpose: the validator must cope with any stream_version.
    r.meta.stream_version =
        static_cast<int64_t>(static_cast<uint64_t>(versions) + batch.records.size() + 1);
    batch.records.push_back(std::move(r));
  }
  if (pg::ValidateBatch(batch).ok()) {
    for (const auto& r : batch.records) {
      FUZZ_CHECK(pg::IsStorableText(r.meta.event_id) && pg::IsStorableText(r.payload));
    }
  }
  return 0;
}
