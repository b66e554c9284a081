#pragma once

// Placeholder log records for adapter tests of the EventLog port. Header-only; link
// filament_events_testing.

#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/ulid.hpp"
#include "events/event_log.hpp"

namespace filament::events::testing {

// A batch of one "test_happened" record for `stream`, appended at `expected` (the record is
// numbered expected + 1), with a fresh event id. Thread-safe.
inline AppendBatch OneRecordBatch(const std::string& stream, int64_t expected,
                                  std::string payload = "{}") {
  static core::UlidGenerator ids;
  static std::mutex mu;
  LogRecord r;
  {
    std::lock_guard lock(mu);
    r.meta.event_id = ids.Next(1'700'000'000'000).ToString();
  }
  r.meta.type = "test_happened";
  r.meta.schema_version = 1;
  r.meta.stream = stream;
  r.meta.stream_version = expected + 1;
  r.meta.time_unix_ms = 1'700'000'000'000;
  r.payload = std::move(payload);
  return AppendBatch{stream, expected, {r}};
}

// True when an append was refused because another writer owns the partition (ADR 0082).
inline bool IsFenced(const core::Result<std::vector<Position>>& r) {
  return !r.ok() && r.error().code == core::ErrorCode::kFailedPrecondition &&
         r.error().reason == kPartitionFencedReason;
}

}  // namespace filament::events::testing
