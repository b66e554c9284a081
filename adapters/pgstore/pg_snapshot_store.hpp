#pragma once

#include "commands/snapshot/snapshot_store.hpp"

namespace filament::pgstore {

class ConnectionPool;

// commands::SnapshotStore on PostgreSQL (migration 0057, ADR 0078): a snapshot is one row of
// `command_snapshots` and its bytes in 8 MiB chunks, written in one transaction (a crash leaves
// the previous snapshots only); Save deletes all but the newest `keep` in that transaction.
// Thread-safe; each call leases one pooled connection.
class PgSnapshotStore final : public commands::SnapshotStore {
 public:
  explicit PgSnapshotStore(ConnectionPool& pool) : pool_(pool) {}

  core::Result<std::vector<Entry>> List() override;
  core::Result<std::string> Load(int64_t id) override;
  core::Status Save(std::string_view bytes, const std::vector<int64_t>& ends, int keep) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace filament::pgstore
