#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "commands/snapshot/snapshot_store.hpp"

namespace filament::localfs {

// Command-side snapshots as files in one directory (ADR 0092): what `filament serve` on the
// embedded default uses, where the database is a local directory anyway. Reading a file from
// the page cache is what makes a restart fast; a snapshot in PostgreSQL is read through TOAST
// at about 25 ms per MB (docs/performance.md §23).
//
// One file per snapshot, `snapshot-<id>.bin` (id: 20 decimal digits, newest = largest):
//   "FLMSNAP1" | u32 partitions | i64 ends[partitions] | u64 payload size | payload
// (little-endian). Save writes a temporary file, fsyncs it, renames it into place and fsyncs
// the directory, so a crash leaves a whole snapshot or none. A file that does not parse (or
// whose size disagrees with its header) is not listed. Bytes are opaque here; the loader
// checks them (snapshot codec CRC, position against the log). One process per directory.
// Thread-safe.
class FileSnapshotStore final : public commands::SnapshotStore {
 public:
  // Creates `directory` (and its parents) on first Save if missing.
  explicit FileSnapshotStore(std::string directory);

  core::Result<std::vector<Entry>> List() override;
  core::Result<std::string> Load(int64_t id) override;
  core::Status Save(std::string_view bytes, const std::vector<int64_t>& ends, int keep) override;

  const std::string& directory() const { return directory_; }

 private:
  std::string PathOf(int64_t id) const;

  const std::string directory_;
  std::mutex mutex_;
};

}  // namespace filament::localfs
