#pragma once

// How a RecordMeta travels as Kafka record headers (CloudEvents Kafka protocol binding, binary
// content mode, plus Filament's own headers). Pure code: no librdkafka here, so it is unit
// tested without a broker. Internal to adapters/kafka.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/view_function.hpp"
#include "events/log_record.hpp"

namespace filament::adapters::kafka_codec {

inline constexpr std::string_view kSpecVersion = "1.0";
inline constexpr std::string_view kSource = "/filament";
inline constexpr std::string_view kContentType = "application/json";
// Upper bound on any one header value we accept when decoding (ids, types and streams are short).
inline constexpr size_t kMaxHeaderValueBytes = 1024;
// Largest time we encode: 9999-12-31T23:59:59.999Z.
inline constexpr int64_t kMaxUnixMs = 253402300799999;

struct Header {
  std::string name;
  std::string value;
};

// The headers written for `meta`, in a fixed order. `meta` must pass ValidateForEncoding.
std::vector<Header> EncodeHeaders(const events::RecordMeta& meta);

// kInvalidArgument when `meta` cannot be encoded faithfully (empty id/type/stream, time out of
// range, negative versions, oversized header values).
core::Status ValidateForEncoding(const events::RecordMeta& meta);

// Returns the last value of header `name`, or nullopt when absent (or a null value). The view
// must stay valid until DecodeHeaders returns (a ViewFunction: a callable returning an owning
// std::optional<std::string> does not compile instead of dangling).
using HeaderLookup = core::ViewFunction<std::optional<std::string_view>(std::string_view name)>;

// Fills `meta` from headers and the record key. Never throws; on the first problem (a required
// header missing, a number that does not parse, a key that differs from ce_subject) it keeps
// decoding what it can and returns a kInternal error naming every problem found.
// Required: ce_specversion ("1.0"), ce_id, ce_type, ce_time, ce_subject, stream_version,
// schema_version. Optional (empty when absent): actor_user_id, correlation_id, causation_id.
std::optional<core::Error> DecodeHeaders(const HeaderLookup& lookup,
                                         std::optional<std::string_view> key,
                                         events::RecordMeta& meta);

// "2024-05-01T12:34:56.789Z". `unix_ms` in [0, kMaxUnixMs].
std::string FormatRfc3339Millis(int64_t unix_ms);
// Strict RFC 3339 date-time ("Z" or "+hh:mm"/"-hh:mm", optional fraction of 1..9 digits,
// truncated to milliseconds). nullopt when malformed or out of range.
std::optional<int64_t> ParseRfc3339Millis(std::string_view text);

}  // namespace filament::adapters::kafka_codec
