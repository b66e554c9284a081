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
#include "core/ulid.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::postgres {
namespace {

using events::AppendBatch;
using events::WriterMode;

AppendBatch OneRecord(const std::string& stream, int64_t expected) {
  static core::UlidGenerator ids;
  static std::mutex mu;
  events::LogRecord r;
  {
    std::lock_guard lock(mu);
    r.meta.event_id = ids.Next(1'700'000'000'000).ToString();
  }
  r.meta.type = "test_happened";
  r.meta.schema_version = 1;
  r.meta.stream = stream;
  r.meta.stream_version = expected + 1;
  r.meta.time_unix_ms = 1'700'000'000'000;
  r.payload = "{}";
  return AppendBatch{stream, expected, {r}};
}

std::unique_ptr<PgEventLog> MustOpen(const std::string& db, WriterMode mode) {
  auto log = PgEventLog::Open(db, 4, mode);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
  return log.ok() ? std::move(*log) : nullptr;
}

bool IsFenced(const core::Result<std::vector<events::Position>>& r) {
  return !r.ok() && r.error().code == core::ErrorCode::kFailedPrecondition &&
         r.error().reason == events::kPartitionFencedReason;
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
  EXPECT_TRUE(log->Append(OneRecord("user:01HSINGLE", 0)).ok());
}

TEST(PgPartitionWriters, FencedHandleAppendsOnlyToAcquiredPartitions) {
  auto log = MustOpen(testing::CreateMigratedDatabase(), WriterMode::kFenced);
  ASSERT_NE(log, nullptr);
  const std::string stream = "guild:01HOWNED";
  const int32_t p = events::PartitionFor(stream, 4);
  EXPECT_TRUE(IsFenced(log->Append(OneRecord(stream, 0))));
  EXPECT_EQ(log->AcquirePartition(4).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(log->AcquirePartition(-1).error().code, core::ErrorCode::kInvalidArgument);
  auto epoch = log->AcquirePartition(p);
  ASSERT_TRUE(epoch.ok()) << epoch.error().message;
  EXPECT_EQ(*epoch, 1);
  EXPECT_TRUE(log->Append(OneRecord(stream, 0)).ok());
  EXPECT_EQ(log->Append(OneRecord(stream, 0)).error().code, core::ErrorCode::kAborted);
  EXPECT_EQ(*log->AcquirePartition(p), 2);  // re-acquiring is a new epoch, still the owner
  EXPECT_TRUE(log->Append(OneRecord(stream, 1)).ok());
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
  ASSERT_TRUE(zombie->Append(OneRecord(stream, 0)).ok());
  ASSERT_EQ(*owner->AcquirePartition(p), 2);
  std::set<std::string> zombie_tries;
  for (int64_t expected : {int64_t{1}, int64_t{2}, AppendBatch::kAnyVersion}) {
    AppendBatch b = OneRecord(stream, expected);
    zombie_tries.insert(b.records[0].meta.event_id);
    EXPECT_TRUE(IsFenced(zombie->Append(b))) << expected;
  }
  ASSERT_TRUE(owner->Append(OneRecord(stream, 1)).ok());
  ASSERT_TRUE(owner->Append(OneRecord(stream, AppendBatch::kAnyVersion)).ok());
  // Other partitions of the zombie are not affected by losing this one.
  ASSERT_TRUE(zombie->AcquirePartition((p + 1) % 4).ok());
  ASSERT_EQ(*zombie->AcquirePartition(p), 3);
  EXPECT_TRUE(IsFenced(owner->Append(OneRecord(stream, 3))));
  EXPECT_TRUE(zombie->Append(OneRecord(stream, 3)).ok());
  std::vector<Row> rows = StreamRows(db, stream);
  ASSERT_EQ(rows.size(), 4u);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].version, static_cast<int64_t>(i) + 1);
    EXPECT_FALSE(zombie_tries.contains(rows[i].event_id));
  }
  // A single-writer handle does not take part in ownership (ADR 0082): unchanged behaviour.
  EXPECT_TRUE(single->Append(OneRecord(stream, 4)).ok());
}

// Threads of two handles append to one stream while the partition changes hands 20 times.
// An append that ran entirely while the other handle was the settled owner (no acquire in
// progress from its start to its end) must be fenced; every record between the end offset seen
// just after an acquire by X returned and the one seen just before the next acquire began is
// X's; every success is in the log exactly once; the stream's versions are 1..N, no fork.
TEST(PgPartitionWriters, AcquireRacingAppendsFencesEveryLaterAppend) {
  const std::string db = testing::CreateMigratedDatabase();
  std::unique_ptr<PgEventLog> logs[2] = {MustOpen(db, WriterMode::kFenced),
                                         MustOpen(db, WriterMode::kFenced)};
  ASSERT_TRUE(logs[0] && logs[1]);
  const std::string stream = "guild:01HRACE";
  const int32_t p = events::PartitionFor(stream, 4);
  ASSERT_TRUE(logs[0]->AcquirePartition(p).ok());
  std::atomic<int> owner{0};    // the handle whose acquire returned last
  std::atomic<int> changes{0};  // odd while an acquire is in progress
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0}, fenced{0};
  std::mutex mu;
  std::map<std::string, int> succeeded;  // event_id → handle
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, me = t % 2] {
      while (!stop) {
        const int before = changes.load();
        const int settled_owner = owner.load();
        AppendBatch b = OneRecord(stream, AppendBatch::kAnyVersion);
        auto r = logs[me]->Append(b);
        bool must_fail = before % 2 == 0 && changes.load() == before && settled_owner != me;
        if (r.ok()) {
          std::lock_guard lock(mu);
          succeeded[b.records[0].meta.event_id] = me;
        }
        if (IsFenced(r)) ++fenced;
        if ((r.ok() && must_fail) || (!r.ok() && !IsFenced(r))) ++violations;
      }
    });
  }
  struct Window {
    int64_t from, to;  // [from, to): offsets only `owner` may have written
    int owner;
  };
  std::vector<Window> windows;
  auto end_of_p = [&] { return (*logs[0]->EndOffsets())[static_cast<size_t>(p)]; };
  int64_t settled_from = 0;
  for (int round = 1; round <= 21; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    windows.push_back({settled_from, end_of_p(), owner.load()});
    if (round == 21) break;
    changes.fetch_add(1);
    ASSERT_TRUE(logs[round % 2]->AcquirePartition(p).ok());
    owner = round % 2;
    settled_from = end_of_p();
    changes.fetch_add(1);
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(fenced.load(), 0);
  std::vector<Row> rows = StreamRows(db, stream);
  std::map<std::string, int> in_log;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].version, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(rows[i].offset, static_cast<int64_t>(i));  // the stream is alone in p
    in_log[rows[i].event_id] =
        succeeded.contains(rows[i].event_id) ? succeeded[rows[i].event_id] : -1;
    for (const Window& w : windows) {
      if (rows[i].offset >= w.from && rows[i].offset < w.to) {
        EXPECT_EQ(in_log[rows[i].event_id], w.owner) << "offset " << rows[i].offset;
      }
    }
  }
  EXPECT_EQ(in_log, succeeded);
  EXPECT_GT(rows.size(), 20u);
}

}  // namespace
}  // namespace filament::postgres
