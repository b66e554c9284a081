#include "adapters/kafka/kafka_record_codec.hpp"

#include <charconv>
#include <cstdio>

namespace filament::adapters::kafka_codec {
namespace {

// Howard Hinnant's civil-date algorithms (public domain): exact for the proleptic Gregorian
// calendar, no locale, no time zone database.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` ASCII digits at `pos`.
bool Digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

bool Char(std::string_view s, size_t pos, char c) { return pos < s.size() && s[pos] == c; }

template <typename Int>
bool ParseInt(std::string_view text, Int& out) {
  if (text.empty() || text.size() > 20) return false;
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// Parses the "[.fraction](Z|±hh:mm)" tail; returns milliseconds and the offset in minutes.
bool ParseTail(std::string_view s, size_t pos, int64_t& millis, int64_t& offset_min) {
  millis = 0;
  if (Char(s, pos, '.')) {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    size_t n = pos - start;
    if (n == 0 || n > 9) return false;
    for (size_t i = 0; i < 3; ++i) millis = millis * 10 + (i < n ? s[start + i] - '0' : 0);
  }
  offset_min = 0;
  if (Char(s, pos, 'Z') || Char(s, pos, 'z')) return pos + 1 == s.size();
  if (!Char(s, pos, '+') && !Char(s, pos, '-')) return false;
  unsigned oh = 0, om = 0;
  if (!Digits(s, pos + 1, 2, oh) || !Char(s, pos + 3, ':') || !Digits(s, pos + 4, 2, om) ||
      oh > 23 || om > 59 || pos + 6 != s.size()) {
    return false;
  }
  offset_min = (s[pos] == '-' ? -1 : 1) * static_cast<int64_t>(oh * 60 + om);
  return true;
}

}  // namespace

std::string FormatRfc3339Millis(int64_t unix_ms) {
  int64_t days = unix_ms / 86400000;
  int64_t rest = unix_ms % 86400000;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  char buf[96];  // generous: the compiler cannot see that the fields are bounded
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(rest / 3600000),
                static_cast<long long>(rest / 60000 % 60), static_cast<long long>(rest / 1000 % 60),
                static_cast<long long>(rest % 1000));
  return buf;
}

std::optional<int64_t> ParseRfc3339Millis(std::string_view s) {
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() > 40 || !Digits(s, 0, 4, y) || !Char(s, 4, '-') || !Digits(s, 5, 2, mo) ||
      !Char(s, 7, '-') || !Digits(s, 8, 2, d) || !(Char(s, 10, 'T') || Char(s, 10, 't')) ||
      !Digits(s, 11, 2, h) || !Char(s, 13, ':') || !Digits(s, 14, 2, mi) || !Char(s, 16, ':') ||
      !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  int64_t millis = 0, offset_min = 0;
  if (!ParseTail(s, 19, millis, offset_min)) return std::nullopt;
  int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  int64_t ms = secs * 1000 + millis;
  if (ms < 0 || ms > kMaxUnixMs) return std::nullopt;
  return ms;
}

core::Status ValidateForEncoding(const events::RecordMeta& meta) {
  if (meta.event_id.empty() || meta.type.empty() || meta.stream.empty()) {
    return core::InvalidArgument("record needs event_id, type and stream");
  }
  for (const std::string* v : {&meta.event_id, &meta.type, &meta.stream, &meta.actor_user_id,
                               &meta.correlation_id, &meta.causation_id}) {
    if (v->size() > kMaxHeaderValueBytes) return core::InvalidArgument("header value too long");
  }
  if (meta.time_unix_ms < 0 || meta.time_unix_ms > kMaxUnixMs) {
    return core::InvalidArgument("time_unix_ms out of range");
  }
  if (meta.stream_version < 1 || meta.schema_version < 1) {
    return core::InvalidArgument("stream_version and schema_version must be >= 1");
  }
  return core::OkStatus();
}

std::vector<Header> EncodeHeaders(const events::RecordMeta& meta) {
  return {
      {"ce_specversion", std::string(kSpecVersion)},
      {"ce_id", meta.event_id},
      {"ce_type", meta.type},
      {"ce_source", std::string(kSource)},
      {"ce_time", FormatRfc3339Millis(meta.time_unix_ms)},
      {"ce_subject", meta.stream},
      {"content-type", std::string(kContentType)},
      {"actor_user_id", meta.actor_user_id},
      {"stream_version", std::to_string(meta.stream_version)},
      {"correlation_id", meta.correlation_id},
      {"causation_id", meta.causation_id},
      {"schema_version", std::to_string(meta.schema_version)},
  };
}

namespace {

class Decoder {
 public:
  explicit Decoder(const HeaderLookup& lookup) : lookup_(lookup) {}

  std::optional<std::string_view> Get(std::string_view name, bool required) {
    auto value = lookup_(name);
    if (!value) {
      if (required) Fail("missing header " + std::string(name));
      return std::nullopt;
    }
    if (value->size() > kMaxHeaderValueBytes) {
      Fail("header " + std::string(name) + " too long");
      return std::nullopt;
    }
    return value;
  }
  void String(std::string_view name, bool required, std::string& out) {
    if (auto v = Get(name, required)) out.assign(*v);
  }
  template <typename Int>
  void Number(std::string_view name, Int min, Int& out) {
    auto v = Get(name, true);
    if (v && (!ParseInt(*v, out) || out < min)) Fail("bad number in header " + std::string(name));
  }
  void Fail(std::string problem) {
    problems_ += problems_.empty() ? "" : "; ";
    problems_ += problem;
  }
  std::optional<core::Error> Finish() const {
    if (problems_.empty()) return std::nullopt;
    return core::Internal("undecodable kafka record: " + problems_);
  }

 private:
  const HeaderLookup& lookup_;
  std::string problems_;
};

}  // namespace

std::optional<core::Error> DecodeHeaders(const HeaderLookup& lookup,
                                         std::optional<std::string_view> key,
                                         events::RecordMeta& meta) {
  Decoder dec(lookup);
  if (auto spec = dec.Get("ce_specversion", true); spec && *spec != kSpecVersion) {
    dec.Fail("unsupported ce_specversion");
  }
  dec.String("ce_id", true, meta.event_id);
  dec.String("ce_type", true, meta.type);
  dec.String("ce_subject", true, meta.stream);
  dec.String("actor_user_id", false, meta.actor_user_id);
  dec.String("correlation_id", false, meta.correlation_id);
  dec.String("causation_id", false, meta.causation_id);
  dec.Number("stream_version", int64_t{1}, meta.stream_version);
  dec.Number("schema_version", int32_t{1}, meta.schema_version);
  if (auto time = dec.Get("ce_time", true)) {
    auto ms = ParseRfc3339Millis(*time);
    if (ms)
      meta.time_unix_ms = *ms;
    else
      dec.Fail("bad ce_time");
  }
  if (!key || *key != meta.stream) dec.Fail("record key differs from ce_subject");
  return dec.Finish();
}

}  // namespace filament::adapters::kafka_codec
