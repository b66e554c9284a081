// Fuzz target: the Kafka log adapter's record codec (adapters/kafka/kafka_record_codec.*):
// CloudEvents headers + key to RecordMeta, and the RFC 3339 time codec.
// Input: [key flag][key 0xFF] then ([header selector][value 0xFF])*.
// Invariants: a meta decoded without error that ValidateForEncoding accepts encodes to headers
// that decode back to the same meta; a parsed time within range formats and parses back to the
// same millisecond.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/kafka/kafka_record_codec.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

namespace kc = filament::adapters::kafka_codec;
using filament::events::RecordMeta;

constexpr std::array<std::string_view, 13> kNames = {
    "ce_specversion", "ce_id",          "ce_type",       "ce_time",        "ce_subject",
    "stream_version", "schema_version", "actor_user_id", "correlation_id", "causation_id",
    "ce_source",      "content-type",   "x-other"};

using Headers = std::vector<std::pair<std::string, std::optional<std::string>>>;

// The last value of `name`, as a Kafka consumer sees it (a null value reads as absent).
kc::HeaderLookup Lookup(const Headers& headers) {
  return [&headers](std::string_view name) -> std::optional<std::string_view> {
    std::optional<std::string_view> found;
    for (const auto& [n, v] : headers) {
      if (n == name) found = v ? std::optional<std::string_view>(*v) : std::nullopt;
    }
    return found;
  };
}

void CheckTime(std::string_view text) {
  const auto ms = kc::ParseRfc3339Millis(text);
  if (!ms || *ms < 0 || *ms > kc::kMaxUnixMs) return;
  FUZZ_CHECK(kc::ParseRfc3339Millis(kc::FormatRfc3339Millis(*ms)) == ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  filament::fuzz::InputReader in(data, size);
  const bool has_key = (in.Byte() & 1) != 0;
  const std::string_view key_text = in.Until('\xFF');
  const std::optional<std::string_view> key =
      has_key ? std::optional<std::string_view>(key_text) : std::nullopt;
  Headers headers;
  while (!in.empty()) {
    const uint8_t selector = in.Byte();
    const std::string_view value = in.Until('\xFF');
    headers.emplace_back(std::string(kNames[selector % kNames.size()]),
                         (selector & 0x80) != 0 ? std::nullopt : std::optional<std::string>(value));
    CheckTime(value);
  }

  RecordMeta meta;
  const auto error = kc::DecodeHeaders(Lookup(headers), key, meta);
  if (error || !kc::ValidateForEncoding(meta).ok()) return 0;
  Headers encoded;
  for (auto& h : kc::EncodeHeaders(meta)) encoded.emplace_back(h.name, h.value);
  RecordMeta back;
  FUZZ_CHECK(!kc::DecodeHeaders(Lookup(encoded), meta.stream, back).has_value());
  FUZZ_CHECK(back == meta);
  return 0;
}
