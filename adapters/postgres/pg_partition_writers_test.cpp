// Partition ownership and fencing on the PostgreSQL log (ADR 0082, migration 0058): a writer
// that lost its partition never appends again, however its appends interleave with the acquire.
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/postgres/pg_event_log.hpp"
#include "events/testing/log_records.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::postgres {
namespace {

using events::AppendBatch;
using events::WriterMode;
using events::testing::IsFenced;
using events::testing::OneRecordBatch;

std::unique_ptr<PgEventLog> MustOpen(const std::string& db, WriterMode mode) {
  auto log = PgEventLog::Open(db, 4, mode);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
  return log.ok() ? std::move(*log) : nullptr;
}

struct Row {
  std::string event_id;
  int64_t version;
  int64_t offset;
};

std::vector<Row> StreamRows(const std::string& db, const std::string& stream) {
  pqxx::connection conn(db);
  pqxx::nontransaction tx(conn);
  std::vector<Row> rows;
  for (const auto& r : tx.exec_params("SELECT event_id, stream_version, log_offset FROM event_log "
                                      "WHERE stream = $1 ORDER BY log_offset",
                                      stream)) {
    rows.push_back({r[0].as<std::string>(), r[1].as<int64_t>(), r[2].as<int64_t>()});
  }
  return rows;
}

TEST(PgPartitionWriters, SingleWriterHandlesCannotAcquire) {
  auto log = MustOpen(testing::CreateMigratedDatabase(), WriterMode::kSingle);
  ASSERT_NE(log, nullptr);
  auto acquired = log->AcquirePartition(0);
  ASSERT_FALSE(acquired.ok());
  EXPECT_EQ(acquired.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(log->Append(OneRecordBatch("user:01HSINGLE", 0)).ok());
}

TEST(PgPartitionWriters, FencedHandleAppendsOnlyToAcquiredPartitions) {
  auto log = MustOpen(testing::CreateMigratedDatabase(), WriterMode::kFenced);
  ASSERT_NE(log, nullptr);
  const std::string stream = "guild:01HOWNED";
  const int32_t p = events::PartitionFor(stream, 4);
  EXPECT_TRUE(IsFenced(log->Append(OneRecordBatch(stream, 0))));
  EXPECT_EQ(log->AcquirePartition(4).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(log->AcquirePartition(-1).error().code, core::ErrorCode::kInvalidArgument);
  auto epoch = log->AcquirePartition(p);
  ASSERT_TRUE(epoch.ok()) << epoch.error().message;
  EXPECT_EQ(*epoch, 1);
  EXPECT_TRUE(log->Append(OneRecordBatch(stream, 0)).ok());
  EXPECT_EQ(log->Append(OneRecordBatch(stream, 0)).error().code, core::ErrorCode::kAborted);
  EXPECT_EQ(*log->AcquirePartition(p), 2);  // re-acquiring is a new epoch, still the owner
  EXPECT_TRUE(log->Append(OneRecordBatch(stream, 1)).ok());
}

// The zombie (old owner) keeps appending after another handle acquired its partition: nothing
// of it lands, versions never fork, the new owner continues at the right version, and the
// zombie can take the partition back (fencing the other).
TEST(PgPartitionWriters, ZombieWriterNeverAppendsAfterTheFence) {
  const std::string db = testing::CreateMigratedDatabase();
  auto zombie = MustOpen(db, WriterMode::kFenced);
  auto owner = MustOpen(db, WriterMode::kFenced);
  auto single = MustOpen(db, WriterMode::kSingle);
  ASSERT_TRUE(zombie && owner && single);
  const std::string stream = "guild:01HZOMBIE";
  const int32_t p = events::PartitionFor(stream, 4);
  ASSERT_EQ(*zombie->AcquirePartition(p), 1);
  ASSERT_TRUE(zombie->Append(OneRecordBatch(stream, 0)).ok());
  ASSERT_EQ(*owner->AcquirePartition(p), 2);
  std::set<std::string> zombie_tries;
  for (int64_t expected : {int64_t{1}, int64_t{2}, AppendBatch::kAnyVersion}) {
    AppendBatch b = OneRecordBatch(stream, expected);
    zombie_tries.insert(b.records[0].meta.event_id);
    EXPECT_TRUE(IsFenced(zombie->Append(b))) << expected;
  }
  ASSERT_TRUE(owner->Append(OneRecordBatch(stream, 1)).ok());
  ASSERT_TRUE(owner->Append(OneRecordBatch(stream, AppendBatch::kAnyVersion)).ok());
  // Other partitions of the zombie are not affected by losing this one.
  ASSERT_TRUE(zombie->AcquirePartition((p + 1) % 4).ok());
  ASSERT_EQ(*zombie->AcquirePartition(p), 3);
  EXPECT_TRUE(IsFenced(owner->Append(OneRecordBatch(stream, 3))));
  EXPECT_TRUE(zombie->Append(OneRecordBatch(stream, 3)).ok());
  std::vector<Row> rows = StreamRows(db, stream);
  ASSERT_EQ(rows.size(), 4u);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].version, static_cast<int64_t>(i) + 1);
    EXPECT_FALSE(zombie_tries.contains(rows[i].event_id));
  }
  // A single-writer handle does not take part in ownership (ADR 0082): unchanged behaviour.
  EXPECT_TRUE(single->Append(OneRecordBatch(stream, 4)).ok());
}

// Two fenced handles on one database; 6 appender threads (3 per handle) on one stream.
class OwnershipRace {
 public:
  explicit OwnershipRace(const std::string& db)
      : db_(db), logs_{MustOpen(db, WriterMode::kFenced), MustOpen(db, WriterMode::kFenced)} {}
  ~OwnershipRace() { Stop(); }

  void Start() {
    for (int t = 0; t < 6; ++t) threads_.emplace_back([this, me = t % 2] { AppendLoop(me); });
  }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  // Hands the partition to `to`; records the window the previous owner had to itself.
  bool HandOver(int to) {
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    windows_.push_back({settled_from_, EndOfPartition(), owner_.load()});
    changes_.fetch_add(1);
    bool ok = logs_[to]->AcquirePartition(partition_).ok();
    owner_ = to;
    settled_from_ = EndOfPartition();
    changes_.fetch_add(1);
    return ok;
  }
  void Verify();

  const std::string stream_ = "guild:01HRACE";
  const int32_t partition_ = events::PartitionFor(stream_, 4);
  const std::string db_;
  std::unique_ptr<PgEventLog> logs_[2];

 private:
  struct Window {
    int64_t from, to;  // [from, to): offsets only `owner` may have written
    int owner;
  };

  int64_t EndOfPartition() { return (*logs_[0]->EndOffsets())[static_cast<size_t>(partition_)]; }
  // An append that ran entirely while the other handle was the settled owner must fail.
  void AppendLoop(int me) {
    while (!stop_) {
      const int before = changes_.load();
      const int settled_owner = owner_.load();
      AppendBatch b = OneRecordBatch(stream_, AppendBatch::kAnyVersion);
      auto r = logs_[me]->Append(b);
      bool must_fail = before % 2 == 0 && changes_.load() == before && settled_owner != me;
      if (r.ok()) {
        std::lock_guard lock(mu_);
        succeeded_[b.records[0].meta.event_id] = me;
      }
      if (IsFenced(r)) ++fenced_;
      if ((r.ok() && must_fail) || (!r.ok() && !IsFenced(r))) ++violations_;
    }
  }

  std::atomic<int> owner_{0};    // the handle whose acquire returned last
  std::atomic<int> changes_{0};  // odd while an acquire is in progress
  std::atomic<bool> stop_{false};
  std::atomic<int> violations_{0}, fenced_{0};
  std::mutex mu_;
  std::map<std::string, int> succeeded_;  // event_id → handle
  std::vector<std::thread> threads_;
  std::vector<Window> windows_;
  int64_t settled_from_ = 0;
};

// Every record inside a window is its owner's; every success is in the log exactly once; the
// versions are 1..N (no fork).
void OwnershipRace::Verify() {
  windows_.push_back({settled_from_, EndOfPartition(), owner_.load()});
  Stop();
  EXPECT_EQ(violations_.load(), 0);
  EXPECT_GT(fenced_.load(), 0);
  std::vector<Row> rows = StreamRows(db_, stream_);
  std::map<std::string, int> in_log;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].version, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(rows[i].offset, static_cast<int64_t>(i));  // the stream is alone in its partition
    auto it = succeeded_.find(rows[i].event_id);
    int writer = in_log[rows[i].event_id] = it == succeeded_.end() ? -1 : it->second;
    for (const Window& w : windows_) {
      if (rows[i].offset >= w.from && rows[i].offset < w.to) {
        EXPECT_EQ(writer, w.owner) << "offset " << rows[i].offset;
      }
    }
  }
  EXPECT_EQ(in_log, succeeded_);
  EXPECT_GT(rows.size(), 20u);
}

// Appends of two handles race 20 hand-overs of their partition. After an acquire by X returned,
// no append of the other handle lands until it acquires again (checked by end-offset windows),
// and appends that ran entirely under the other's settled ownership are refused.
TEST(PgPartitionWriters, AcquireRacingAppendsFencesEveryLaterAppend) {
  OwnershipRace race(testing::CreateMigratedDatabase());
  ASSERT_TRUE(race.logs_[0] && race.logs_[1]);
  ASSERT_TRUE(race.logs_[0]->AcquirePartition(race.partition_).ok());
  race.Start();
  for (int round = 1; round <= 20; ++round) EXPECT_TRUE(race.HandOver(round % 2)) << round;
  std::this_thread::sleep_for(std::chrono::milliseconds(15));
  race.Verify();
}

}  // namespace
}  // namespace filament::postgres
