#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace filament::commands {

// Where command-side snapshots are kept (ADR 0078): adapters/pgstore/pg_snapshot_store in the
// PostgreSQL beside either log. Bytes are opaque here (commands/snapshot/snapshot_codec).
class SnapshotStore {
 public:
  struct Entry {
    int64_t id = 0;
    std::vector<int64_t> ends;  // the log position it includes (index = partition)
    int64_t size_bytes = 0;
  };
  virtual ~SnapshotStore() = default;

  // The stored snapshots, newest first. Errors: kUnavailable.
  virtual core::Result<std::vector<Entry>> List() = 0;
  // One snapshot's bytes. Errors: kNotFound (deleted meanwhile), kUnavailable.
  virtual core::Result<std::string> Load(int64_t id) = 0;
  // Stores a snapshot atomically and removes all but the newest `keep`. Errors: kUnavailable.
  virtual core::Status Save(std::string_view bytes, const std::vector<int64_t>& ends, int keep) = 0;
};

}  // namespace filament::commands
