// Integration tests of the runner against a real PostgreSQL (label pg), with the in-memory log
// (the log adapter does not matter for these properties; the kill test uses the real ones).
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "events/testing/in_memory_event_log.hpp"
#include "projections/runner/pg_support.hpp"
#include "projections/runner/projection_cursor.hpp"
#include "projections/runner/runner.hpp"
#include "projections/runner/testing/counting_projection.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::projections {
namespace {

using events::testing::InMemoryEventLog;

using namespace std::chrono_literals;
using testing::AppendRecords;
using testing::CountingProjection;
using testing::QueryInt;

// Buffers rows in Apply and writes them in Flush; Flush fails when the buffer holds `poison`,
// like a multi-row INSERT that hits one bad row.
class BufferingProjection final : public Projection {
 public:
  explicit BufferingProjection(events::Position poison) : poison_(poison) {}
  std::string_view Name() const override { return "buffered"; }
  std::vector<std::string> Tables() const override { return {"buffered_rows"}; }
  core::Status Apply(pqxx::dbtransaction&, const events::StoredRecord& record) override {
    pending_.push_back(record.position);
    return core::OkStatus();
  }
  core::Status Flush(pqxx::dbtransaction& tx) override {
    std::vector<events::Position> rows;
    rows.swap(pending_);
    for (const auto& p : rows) {
      if (p == poison_) return core::InvalidArgument("poisoned row");
      tx.exec_params("INSERT INTO buffered_rows (pos) VALUES ($1)", events::FormatPosition(p));
    }
    return core::OkStatus();
  }
  void Discard() override { pending_.clear(); }

 private:
  events::Position poison_;
  std::vector<events::Position> pending_;
};

class RunnerPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = filament::testing::CreateMigratedDatabase();
    ASSERT_TRUE(projection_.CreateTables(conninfo_).ok());
  }
  RunnerOptions Options() {
    RunnerOptions options;
    options.conninfo = conninfo_;
    options.batch_size = 100;
    options.poll_wait = 20ms;
    options.min_backoff = 5ms;
    options.max_backoff = 20ms;
    options.log = [](const std::string&) {};
    return options;
  }
  int64_t Rows() { return QueryInt(conninfo_, "SELECT count(*) FROM counted_records"); }
  int64_t Total() { return QueryInt(conninfo_, "SELECT coalesce(max(n), 0) FROM counted_totals"); }
  int64_t CheckpointSum() {
    return QueryInt(conninfo_,
                    "SELECT coalesce(sum(next_offset), 0) FROM projection_checkpoints "
                    "WHERE projection = 'counted'");
  }
  bool WaitForAll(AppliedPositions& applied, const std::vector<events::Position>& positions) {
    for (const auto& pos : positions) {
      if (!applied.WaitFor({"counted"}, pos, 20s)) return false;
    }
    return true;
  }

  // Runs projection_ and `twin` (the same projection name) side by side until one of them has
  // applied the whole log; neither may fail.
  void RunTwinsToTheEnd(CountingProjection& twin, const RunnerOptions& options) {
    AppliedPositions applied;
    ProjectionRunner a(log_, {&projection_}, options, &applied);
    ProjectionRunner b(log_, {&twin}, options, &applied);
    a.Start();
    b.Start();
    auto ends = *log_.EndOffsets();
    for (int32_t p = 0; p < 4; ++p) {
      if (ends[static_cast<size_t>(p)] > 0) {
        ASSERT_TRUE(applied.WaitFor({"counted"}, {p, ends[static_cast<size_t>(p)] - 1}, 30s));
      }
    }
    a.Stop();
    b.Stop();
    for (const auto& status : a.Statuses()) EXPECT_FALSE(status.error.has_value());
    for (const auto& status : b.Statuses()) EXPECT_FALSE(status.error.has_value());
  }

  std::string conninfo_;
  InMemoryEventLog log_{4};
  CountingProjection projection_{"counted"};
};

TEST_F(RunnerPgTest, AppliesEveryRecordOnceAndReportsPositions) {
  auto positions = AppendRecords(log_, 1000, 17);
  ASSERT_TRUE(positions.ok());
  AppliedPositions applied;
  RunnerMetrics metrics;
  ProjectionRunner runner(log_, {&projection_}, Options(), &applied, &metrics);
  runner.Start();
  ASSERT_TRUE(WaitForAll(applied, *positions));
  // Records appended while running are applied too (read-your-writes wait).
  auto late = AppendRecords(log_, 10, 3);
  ASSERT_TRUE(applied.WaitFor({"counted"}, late->back(), 20s));
  runner.Stop();
  EXPECT_EQ(Rows(), 1010);
  EXPECT_EQ(Total(), 1010);
  EXPECT_EQ(CheckpointSum(), 1010);
  EXPECT_EQ(metrics.Applied("counted"), 1010u);
}

TEST_F(RunnerPgTest, AFailingFlushIsLocalizedToItsRecord) {
  ASSERT_TRUE(AppendRecords(log_, 50, 1).ok());
  pqxx::connection conn(conninfo_);
  {
    pqxx::work tx(conn);
    tx.exec("CREATE TABLE buffered_rows (pos text PRIMARY KEY)");
    tx.commit();
  }
  ProjectionCursor probe(projection_, log_.Partitions());
  auto reader = log_.OpenReader(probe.StartPositions());
  auto records = (*reader)->Poll(50, 0ms);
  ASSERT_EQ(records->size(), 50u);
  const events::Position poison = records->at(20).position;
  BufferingProjection buffering(poison);
  ProjectionCursor cursor(buffering, log_.Partitions());
  ASSERT_TRUE(cursor.Load(conn).ok());
  auto outcome = cursor.Apply(conn, *records);
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(outcome->failure.has_value());
  EXPECT_NE(outcome->failure->message.find(events::FormatPosition(poison)), std::string::npos)
      << outcome->failure->message;
  EXPECT_EQ(QueryInt(conninfo_, "SELECT count(*) FROM buffered_rows"), 20);
}

TEST_F(RunnerPgTest, FailedBatchRollsBackTablesAndCheckpointTogether) {
  ASSERT_TRUE(AppendRecords(log_, 50, 1).ok());
  ProjectionCursor cursor(projection_, log_.Partitions());
  pqxx::connection conn(conninfo_);
  ASSERT_TRUE(cursor.Load(conn).ok());
  auto reader = log_.OpenReader(cursor.StartPositions());
  auto records = (*reader)->Poll(50, 0ms);
  ASSERT_EQ(records->size(), 50u);
  projection_.transient_failures = 1;  // the first record writes its rows, then fails
  auto failed = cursor.Apply(conn, *records);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, core::ErrorCode::kUnavailable);
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(CheckpointSum(), 0);
  ASSERT_TRUE(cursor.Load(conn).ok());
  auto applied = cursor.Apply(conn, *records);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->applied, 50u);
  EXPECT_EQ(Rows(), 50);
  EXPECT_EQ(CheckpointSum(), 50);
  // The same records again (a redelivery) change nothing.
  auto again = cursor.Apply(conn, *records);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->applied, 0u);
  EXPECT_EQ(Rows(), 50);
}

TEST_F(RunnerPgTest, TransientFailuresAreRetried) {
  auto positions = AppendRecords(log_, 300, 5);
  projection_.transient_failures = 3;
  log_.FailNextCalls(2);
  AppliedPositions applied;
  ProjectionRunner runner(log_, {&projection_}, Options(), &applied);
  runner.Start();
  ASSERT_TRUE(WaitForAll(applied, *positions));
  runner.Stop();
  EXPECT_EQ(Rows(), 300);
  EXPECT_EQ(Total(), 300);
}

TEST_F(RunnerPgTest, TwoRunnersOfOneProjectionNeverApplyARecordTwice) {
  ASSERT_TRUE(AppendRecords(log_, 2000, 31).ok());
  CountingProjection twin("counted");
  RunTwinsToTheEnd(twin, Options());
  EXPECT_EQ(Rows(), 2000);
  EXPECT_EQ(Total(), 2000);
}

TEST_F(RunnerPgTest, BadRecordStopsTheProjectionNamingPositionAndTypeUntilSkipped) {
  auto positions = AppendRecords(log_, 200, 1, /*poison_every=*/120);  // record 119 is poison
  ASSERT_TRUE(positions.ok());
  events::Position poison = (*positions)[119];
  RunnerMetrics metrics;
  {
    ProjectionRunner runner(log_, {&projection_}, Options(), nullptr, &metrics);
    runner.Start();
    ASSERT_TRUE(runner.WaitUntilStopped(20s));
    auto status = runner.Statuses().at(0);
    EXPECT_EQ(status.state, ProjectionState::kFailed);
    ASSERT_TRUE(status.error.has_value());
    EXPECT_NE(status.error->message.find(events::FormatPosition(poison)), std::string::npos)
        << status.error->message;
    EXPECT_NE(status.error->message.find("poison"), std::string::npos);
  }
  EXPECT_EQ(metrics.DecodeFailures("counted"), 1u);
  std::string prometheus;
  metrics.AppendPrometheus(prometheus);
  EXPECT_NE(prometheus.find("filament_projection_decode_failures_total{projection=\"counted\"} 1"),
            std::string::npos);
  EXPECT_EQ(Rows(), 119);  // everything before the bad record, nothing after
  EXPECT_EQ(CheckpointSum(), 119);

  ASSERT_TRUE(AddSkip(conninfo_, "counted", poison, "bad payload, ticket #2", "ops").ok());
  AppliedPositions applied;
  ProjectionRunner runner(log_, {&projection_}, Options(), &applied, &metrics);
  runner.Start();
  ASSERT_TRUE(applied.WaitFor({"counted"}, positions->back(), 20s));
  runner.Stop();
  EXPECT_EQ(Rows(), 199);
  EXPECT_EQ(CheckpointSum(), 200);
  EXPECT_EQ(metrics.Skipped("counted"), 1u);
  auto skips = ListSkips(conninfo_);
  ASSERT_TRUE(skips.ok());
  ASSERT_EQ(skips->size(), 1u);
  EXPECT_EQ((*skips)[0].position, poison);
  EXPECT_EQ((*skips)[0].reason, "bad payload, ticket #2");
}

TEST_F(RunnerPgTest, UndecodableRecordFromTheLogStopsTheProjection) {
  ASSERT_TRUE(AppendRecords(log_, 3, 1).ok());
  events::LogRecord record;
  record.meta.stream = "guild:s0";
  record.meta.type = "message_posted";
  auto bad = log_.AppendUndecodable(record, core::Internal("missing header ce_id"));
  ProjectionRunner runner(log_, {&projection_}, Options());
  runner.Start();
  ASSERT_TRUE(runner.WaitUntilStopped(20s));
  auto status = runner.Statuses().at(0);
  ASSERT_TRUE(status.error.has_value());
  EXPECT_NE(status.error->message.find(events::FormatPosition(bad)), std::string::npos);
  EXPECT_NE(status.error->message.find("message_posted"), std::string::npos);
  EXPECT_NE(status.error->message.find("missing header ce_id"), std::string::npos);
  EXPECT_EQ(Rows(), 3);
}

TEST_F(RunnerPgTest, CheckpointsSurviveARestart) {
  auto first = AppendRecords(log_, 100, 4);
  AppliedPositions applied;
  {
    ProjectionRunner runner(log_, {&projection_}, Options(), &applied);
    runner.Start();
    ASSERT_TRUE(WaitForAll(applied, *first));
  }
  auto second = AppendRecords(log_, 100, 4);
  AppliedPositions applied_again;
  ProjectionRunner runner(log_, {&projection_}, Options(), &applied_again);
  runner.Start();
  // A restarted runner reports what was applied before it started, too.
  ASSERT_TRUE(WaitForAll(applied_again, *first));
  ASSERT_TRUE(WaitForAll(applied_again, *second));
  runner.Stop();
  EXPECT_EQ(Rows(), 200);
  EXPECT_EQ(projection_.apply_calls.load(), 200);
}

// ADR 0097: a batch made only of ignored records is passed without a transaction; the
// checkpoint catches up with the next applied batch or CommitDeferred.
TEST_F(RunnerPgTest, IgnoredBatchesAdvanceInMemoryUntilTheNextCommit) {
  projection_.ignored_prefix = "noise:";
  pqxx::connection conn(conninfo_);
  ProjectionCursor cursor(projection_, log_.Partitions());
  ASSERT_TRUE(cursor.Load(conn).ok());
  auto reader = log_.OpenReader(cursor.StartPositions());
  auto next_sum = [&] {
    int64_t sum = 0;
    for (int64_t n : cursor.Next()) sum += n;
    return sum;
  };

  ASSERT_TRUE(AppendRecords(log_, 30, 3, 0, "noise:").ok());
  auto noise = (*reader)->Poll(100, 0ms);
  ASSERT_EQ(noise->size(), 30u);
  auto passed = cursor.PassIgnored(*noise);
  ASSERT_TRUE(passed.has_value());
  EXPECT_EQ(passed->applied, 30u);
  EXPECT_FALSE(passed->last.empty());
  EXPECT_EQ(next_sum(), 30);
  EXPECT_TRUE(cursor.HasDeferred());
  EXPECT_EQ(CheckpointSum(), 0);                       // nothing committed
  EXPECT_EQ(cursor.PassIgnored(*noise)->applied, 0u);  // already passed: nothing new

  // A batch with one record the projection applies goes through Apply, which commits the
  // deferred progress with its own.
  ASSERT_TRUE(AppendRecords(log_, 4, 2, 0, "noise:").ok());
  ASSERT_TRUE(AppendRecords(log_, 1, 1).ok());
  auto mixed = (*reader)->Poll(100, 0ms);
  ASSERT_EQ(mixed->size(), 5u);
  EXPECT_FALSE(cursor.PassIgnored(*mixed).has_value());
  EXPECT_EQ(next_sum(), 30);  // a refused pass changes nothing
  auto applied = cursor.Apply(conn, *mixed);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(Rows(), 1);
  EXPECT_EQ(CheckpointSum(), 35);
  EXPECT_FALSE(cursor.HasDeferred());

  ASSERT_TRUE(AppendRecords(log_, 10, 4, 0, "noise:").ok());
  auto more = (*reader)->Poll(100, 0ms);
  ASSERT_TRUE(cursor.PassIgnored(*more).has_value());
  EXPECT_EQ(CheckpointSum(), 35);
  ASSERT_TRUE(cursor.CommitDeferred(conn).ok());
  EXPECT_EQ(CheckpointSum(), 45);
  EXPECT_FALSE(cursor.HasDeferred());

  // A cursor that lost its deferred progress (a crash) starts again from the checkpoint.
  ASSERT_TRUE(AppendRecords(log_, 6, 2, 0, "noise:").ok());
  auto lost = (*reader)->Poll(100, 0ms);
  ASSERT_TRUE(cursor.PassIgnored(*lost).has_value());
  ProjectionCursor restarted(projection_, log_.Partitions());
  ASSERT_TRUE(restarted.Load(conn).ok());
  int64_t restarted_sum = 0;
  for (int64_t n : restarted.Next()) restarted_sum += n;
  EXPECT_EQ(restarted_sum, 45);
  EXPECT_EQ(projection_.apply_calls.load(), 1);
}

TEST_F(RunnerPgTest, AnUndecodableOrSkippedRecordIsNeverPassedUnseen) {
  projection_.ignored_prefix = "noise:";
  pqxx::connection conn(conninfo_);
  ASSERT_TRUE(AppendRecords(log_, 3, 1, 0, "noise:").ok());
  ProjectionCursor cursor(projection_, log_.Partitions());
  ASSERT_TRUE(cursor.Load(conn).ok());
  auto reader = log_.OpenReader(cursor.StartPositions());
  auto records = *(*reader)->Poll(100, 0ms);
  ASSERT_EQ(records.size(), 3u);
  records[1].decode_error = core::InvalidArgument("missing header ce_id");
  EXPECT_FALSE(cursor.PassIgnored(records).has_value());
  records[1].decode_error.reset();
  ASSERT_TRUE(AddSkip(conninfo_, "counted", records[2].position, "test", "test").ok());
  ASSERT_TRUE(cursor.Load(conn).ok());
  EXPECT_FALSE(cursor.PassIgnored(records).has_value());  // the skip is counted by Apply
  records.erase(records.begin());                         // a gap: Apply reports it
  EXPECT_FALSE(cursor.PassIgnored(records).has_value());
  EXPECT_EQ(cursor.Next(), std::vector<int64_t>(4, 0));
}

TEST_F(RunnerPgTest, TheRunnerCommitsDeferredCheckpointsWhenDueAndWhenStopped) {
  projection_.ignored_prefix = "noise:";
  auto noise = AppendRecords(log_, 100, 7, 0, "noise:");
  ASSERT_TRUE(noise.ok());
  {
    RunnerOptions options = Options();
    options.defer_ignored = std::chrono::hours(1);
    AppliedPositions applied;
    RunnerMetrics metrics;
    ProjectionRunner runner(log_, {&projection_}, options, &applied, &metrics);
    runner.Start();
    ASSERT_TRUE(WaitForAll(applied, *noise));  // told at once
    EXPECT_EQ(CheckpointSum(), 0);             // not due for an hour
    EXPECT_EQ(metrics.Applied("counted"), 100u);
    runner.Stop();
    EXPECT_EQ(CheckpointSum(), 100);  // committed on the way out
  }
  auto more = AppendRecords(log_, 50, 3, 0, "noise:");
  RunnerOptions options = Options();
  options.defer_ignored = 30ms;
  AppliedPositions applied;
  ProjectionRunner runner(log_, {&projection_}, options, &applied);
  runner.Start();
  ASSERT_TRUE(WaitForAll(applied, *more));
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (CheckpointSum() != 150 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(CheckpointSum(), 150);  // while running, once due
  runner.Stop();
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(projection_.apply_calls.load(), 0);
}

TEST_F(RunnerPgTest, TwoDeferringRunnersOfOneProjectionNeverApplyARecordTwice) {
  projection_.ignored_prefix = "noise:";
  CountingProjection twin("counted");
  twin.ignored_prefix = "noise:";
  for (int round = 0; round < 10; ++round) {
    ASSERT_TRUE(AppendRecords(log_, 100, 31, 0, "noise:").ok());
    ASSERT_TRUE(AppendRecords(log_, 100, 31).ok());
  }
  RunnerOptions options = Options();
  options.defer_ignored = 20ms;
  options.batch_size = 40;
  RunTwinsToTheEnd(twin, options);
  EXPECT_EQ(Rows(), 1000);
  EXPECT_EQ(Total(), 1000);
}

TEST(RunnerPg, SkipNeedsAValidPosition) {
  EXPECT_EQ(AddSkip("host=/nonexistent", "", {0, 0}, "", "").error().code,
            core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(AddSkip("host=/nonexistent", "p", {-1, 0}, "", "").error().code,
            core::ErrorCode::kInvalidArgument);
}

// ADR 0072: the runner's sessions commit without waiting for the WAL flush.
TEST_F(RunnerPgTest, AsyncCommitTurnsSynchronousCommitOffForTheSession) {
  auto conn = pg::Connect(conninfo_);
  ASSERT_TRUE(conn.ok());
  {
    pqxx::nontransaction tx(**conn);
    tx.exec0("SET synchronous_commit = on");
  }
  ASSERT_TRUE(pg::AsyncCommit(**conn).ok());
  pqxx::nontransaction tx(**conn);
  EXPECT_EQ(tx.exec1("SHOW synchronous_commit")[0].as<std::string>(), "off");
  RunnerOptions defaults;
  EXPECT_TRUE(defaults.async_commit);
}

}  // namespace
}  // namespace filament::projections
