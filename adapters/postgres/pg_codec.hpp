#pragma once

// Internal to adapters/postgres: validation of appended batches, PostgreSQL array literals,
// and strict decoding of stored rows (includes libpqxx; never include from a public header).

#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "core/result.hpp"
#include "events/log_record.hpp"

namespace filament::postgres::internal {

inline constexpr size_t kMaxRecordsPerBatch = 10'000;
inline constexpr size_t kMaxPayloadBytes = 1 << 20;
inline constexpr size_t kMaxMetaFieldBytes = 256;

// Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF) without NUL:
// exactly what a PostgreSQL text column in a UTF8 database stores byte for byte.
bool IsStorableText(std::string_view text);

// Errors: kInvalidArgument naming the first offending record and field.
core::Status ValidateBatch(const events::AppendBatch& batch);

// PostgreSQL array literals ({"a","b"} / {1,2}) for binding whole columns as one parameter.
std::string TextArrayLiteral(const std::vector<std::string_view>& values);
std::string IntArrayLiteral(const std::vector<int64_t>& values);

// The columns DecodeRow expects, in order, for "SELECT <kRecordColumns> FROM event_log ...".
inline constexpr const char* kRecordColumns =
    "partition_id, log_offset, event_id, type, schema_version, stream, stream_version, "
    "time_unix_ms, actor_user_id, correlation_id, causation_id, payload";

// Decodes one row. The position must decode (else kInternal: the log is corrupt); any other
// bad field is reported in StoredRecord::decode_error with what could be read.
core::Result<events::StoredRecord> DecodeRow(const pqxx::row& row, int32_t partitions);

}  // namespace filament::postgres::internal
