#pragma once

#include "commands/snapshot/snapshot_store.hpp"

namespace filament::pgstore {

class ConnectionPool;

// commands::SnapshotStore on PostgreSQL (migration 0057, ADR 0078): a snapshot is one row of
// `command_snapshots` and its bytes in 8 MiB chunks, written in one transaction (a crash leaves
// the previous snapshots only); Save deletes all but the newest `keep` in that transaction.
// Thread-safe; List and Save lease one pooled connection, Load opens its own.
class PgSnapshotStore final : public commands::SnapshotStore {
 public:
  // Load reads the chunks on `read_connections` connections of its own at once (ADR 0095).
  // On the 2-core reference box 1 was fastest (32 MiB: 0.39–0.41 s; 2: 0.58–0.61 s).
  explicit PgSnapshotStore(ConnectionPool& pool, int read_connections = 1)
      : pool_(pool), read_connections_(read_connections) {}

  core::Result<std::vector<Entry>> List() override;
  core::Result<std::string> Load(int64_t id) override;
  core::Status Save(std::string_view bytes, const std::vector<int64_t>& ends, int keep) override;

 private:
  ConnectionPool& pool_;
  int read_connections_;
};

}  // namespace filament::pgstore
