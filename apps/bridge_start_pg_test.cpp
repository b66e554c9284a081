// The gateway bridge's start from a command-side snapshot (ADR 0085) against real PostgreSQL
// (label pg): the log on PostgreSQL, a snapshot saved to and loaded from PgSnapshotStore, the
// tail read back from the log — exactly what `serve` does at start — gives the bridge the same
// observer index, live access and voice roster as folding the whole log.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/pg_snapshot_store.hpp"
#include "adapters/postgres/pg_event_log.hpp"
#include "commands/snapshot/snapshot_codec.hpp"
#include "commands/snapshot/snapshot_loader.hpp"
#include "events/log_scan.hpp"
#include "gateway/bridge/bridge_start.hpp"
#include "gateway/bridge/bridge_start_testing.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::app {
namespace {

using gateway::bridge_testing::BridgeFold;
using gateway::bridge_testing::BridgeLog;
using gateway::bridge_testing::kPartitions;

class BridgeStartPg : public ::testing::Test {
 protected:
  BridgeStartPg() : conninfo_(filament::testing::CreateMigratedDatabase()), pool_(conninfo_, 2) {
    auto log = postgres::PgEventLog::Open(conninfo_, kPartitions);
    EXPECT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(*log);
  }

  void Append(size_t first, size_t count) {
    for (size_t i = first; i < first + count; ++i) {
      const auto& r = source_.records()[i].record;
      auto appended = log_->Append({r.meta.stream, r.meta.stream_version - 1, {r}});
      ASSERT_TRUE(appended.ok()) << appended.error().message;
      ASSERT_EQ(appended->front(), source_.records()[i].position);
    }
  }

  std::vector<int64_t> Ends() {
    auto ends = log_->EndOffsets();
    EXPECT_TRUE(ends.ok());
    return *ends;
  }

  // The bridge's own fold of the whole log, as read back from PostgreSQL.
  std::vector<std::string> FullFold() {
    BridgeFold fold;
    EXPECT_TRUE(events::ReadLogUpTo(*log_, Ends(), [&](const events::StoredRecord& r) {
                  fold.Apply(r);
                  return core::OkStatus();
                }).ok());
    return fold.Answers();
  }

  // What `serve` does: the newest valid snapshot, its tail, BridgeStartFrom, then the bridge
  // folds nothing more (the start is at the log's end).
  std::vector<std::string> FromSnapshot(std::vector<std::string>& lines) {
    const auto ends = Ends();
    auto fold = commands::snapshot::LoadNewestSnapshot(
        &store_, *log_, ends, [&lines](const std::string& line) { lines.push_back(line); });
    EXPECT_TRUE(commands::snapshot::FoldTail(*log_, *fold, ends).ok());
    auto start = gateway::BridgeStartFrom(*fold);
    EXPECT_EQ(start->ends, ends);
    BridgeFold seeded;
    seeded.observers = std::move(start->observers);
    seeded.access.Install(std::move(start->guilds), start->recorded_server_owner);
    seeded.voice.Install(start->voices);
    return seeded.Answers();
  }

  BridgeLog source_;
  std::string conninfo_;
  pgstore::ConnectionPool pool_;
  pgstore::PgSnapshotStore store_{pool_};
  std::unique_ptr<postgres::PgEventLog> log_;
};

// A snapshot at every third record (saved and loaded through PostgreSQL), then the rest of the
// log as its tail: the bridge's answers equal the full fold's.
TEST_F(BridgeStartPg, ARestartFromASnapshotGivesTheBridgeTheFullFoldsState) {
  const size_t total = source_.records().size();
  for (size_t cut = 0; cut < total; cut += 3) {
    SCOPED_TRACE("snapshot after " + std::to_string(cut) + " records");
    auto fresh = filament::testing::CreateMigratedDatabase();
    pgstore::ConnectionPool pool(fresh, 2);
    pgstore::PgSnapshotStore store(pool);
    auto opened = postgres::PgEventLog::Open(fresh, kPartitions);
    ASSERT_TRUE(opened.ok());
    log_ = std::move(*opened);
    Append(0, cut);
    commands::CommandFold fold(kPartitions);
    ASSERT_TRUE(events::ReadLogUpTo(*log_, Ends(), [&](const events::StoredRecord& r) {
                  return fold.Fold(r);
                }).ok());
    ASSERT_TRUE(store.Save(commands::snapshot::EncodeSnapshot(fold), fold.ends, 2).ok());
    Append(cut, total - cut);
    std::vector<std::string> lines;
    const auto ends = Ends();
    auto loaded = commands::snapshot::LoadNewestSnapshot(
        &store, *log_, ends, [&lines](const std::string& line) { lines.push_back(line); });
    ASSERT_EQ(loaded->ends, fold.ends);  // the snapshot was used, not ignored
    ASSERT_TRUE(commands::snapshot::FoldTail(*log_, *loaded, ends).ok());
    auto start = gateway::BridgeStartFrom(*loaded);
    BridgeFold seeded;
    seeded.observers = std::move(start->observers);
    seeded.access.Install(std::move(start->guilds), start->recorded_server_owner);
    seeded.voice.Install(start->voices);
    EXPECT_EQ(seeded.Answers(), FullFold());
  }
}

// With the whole log in the snapshot (a clean shutdown's), there is no tail at all.
TEST_F(BridgeStartPg, ASnapshotOfTheWholeLogLeavesNoTail) {
  Append(0, source_.records().size());
  commands::CommandFold fold(kPartitions);
  ASSERT_TRUE(events::ReadLogUpTo(*log_, Ends(), [&](const events::StoredRecord& r) {
                return fold.Fold(r);
              }).ok());
  ASSERT_TRUE(store_.Save(commands::snapshot::EncodeSnapshot(fold), fold.ends, 2).ok());
  std::vector<std::string> lines;
  EXPECT_EQ(FromSnapshot(lines), FullFold());
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("snapshot: loaded snapshot"), std::string::npos) << lines.front();
}

}  // namespace
}  // namespace filament::app
