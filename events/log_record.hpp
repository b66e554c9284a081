#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace filament::events {

// Where a record sits in the log: a partition and an offset inside it. Offsets in one
// partition are dense and increasing from 0 on both adapters (Kafka offsets on Kafka).
struct Position {
  int32_t partition = 0;
  int64_t offset = 0;
  auto operator<=>(const Position&) const = default;
};

// "p:o", e.g. "2:1041". The form used by X-Filament-Position and the CLI.
std::string FormatPosition(const Position& position);
std::optional<Position> ParsePosition(std::string_view text);

// Metadata carried beside every payload. On Kafka these are CloudEvents binary-mode headers
// (ce_id, ce_type, ce_source, ce_time, ce_specversion, ce_subject) plus ours; on PostgreSQL they
// are columns. Everything here is safe to hand to an auditor: no secrets, no IP addresses.
struct RecordMeta {
  std::string event_id;        // ULID, unique per record (ce_id)
  std::string type;            // domain event wire type, e.g. "message_posted" (ce_type)
  int32_t schema_version = 1;  // version of `type`'s payload schema
  std::string stream;          // aggregate stream key, e.g. "guild:01H..." (ce_subject, Kafka key)
  int64_t stream_version = 0;  // 1-based position of this record inside its stream
  int64_t time_unix_ms = 0;    // when the command was decided (ce_time)
  std::string actor_user_id;   // who caused it; empty for system actions
  std::string correlation_id;  // the user action (HTTP x-request-id)
  std::string causation_id;    // the command or record that caused this one
  bool operator==(const RecordMeta&) const = default;
};

struct LogRecord {
  RecordMeta meta;
  std::string payload;  // the event's JSON payload (compact, UTF-8)
  bool operator==(const LogRecord&) const = default;
};

// A record as read back. When the adapter could not decode the stored form (missing header,
// bad number), `decode_error` says why; `position` is always valid and `meta` holds what could
// be read, so a consumer can stop with an error that names the record.
struct StoredRecord {
  Position position;
  LogRecord record;
  std::optional<core::Error> decode_error;
};

// The events one command decided, for one stream, appended atomically and in order.
// `expected_version` is the stream's version the decision was made against (0 = the stream
// must not exist yet); kAnyVersion skips the check. Record i gets stream_version
// expected_version + i + 1 (the caller fills meta.stream_version accordingly).
struct AppendBatch {
  static constexpr int64_t kAnyVersion = -1;
  std::string stream;
  int64_t expected_version = kAnyVersion;
  std::vector<LogRecord> records;
};

// Deterministic stream → partition mapping shared by both adapters (FNV-1a 32-bit), so a
// stream's records land in the same partition whichever log holds them.
int32_t PartitionFor(std::string_view stream, int32_t partitions);

}  // namespace filament::events
