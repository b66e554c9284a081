// Replay and replay --check against a real PostgreSQL (label pg). Also prints the measured
// apply rate (runner) and replay rate with a trivial projection.
#include <sstream>

#include <gtest/gtest.h>

#include "events/testing/in_memory_event_log.hpp"
#include "projections/runner/replay.hpp"
#include "projections/runner/runner.hpp"
#include "projections/runner/testing/counting_projection.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::projections {
namespace {

using events::testing::InMemoryEventLog;

using namespace std::chrono_literals;
using testing::AppendRecords;
using testing::CountingProjection;
using testing::ExecSql;
using testing::QueryInt;

class ReplayPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = filament::testing::CreateMigratedDatabase();
    ASSERT_TRUE(first_.CreateTables(conninfo_).ok());
    ASSERT_TRUE(second_.CreateTables(conninfo_).ok());
  }
  // Runs the live runner until both projections have applied everything in the log.
  void RunLive() {
    RunnerOptions options;
    options.conninfo = conninfo_;
    options.log = [](const std::string&) {};
    AppliedPositions applied;
    ProjectionRunner runner(log_, {&first_, &second_}, options, &applied);
    runner.Start();
    auto ends = *log_.EndOffsets();
    for (int32_t p = 0; p < log_.Partitions(); ++p) {
      auto end = ends[static_cast<size_t>(p)];
      if (end > 0) {
        ASSERT_TRUE(applied.WaitFor({"first", "second"}, {p, end - 1}, 30s));
      }
    }
  }
  ReplayOptions Options() {
    ReplayOptions options;
    options.conninfo = conninfo_;
    return options;
  }

  std::string conninfo_;
  InMemoryEventLog log_{4};
  CountingProjection first_{"first"};
  CountingProjection second_{"second"};
};

TEST_F(ReplayPgTest, CheckPassesAfterANormalRunAndFailsAfterCorruption) {
  ASSERT_TRUE(AppendRecords(log_, 500, 13).ok());
  RunLive();
  std::ostringstream out;
  auto report = ReplayCheck(log_, {&first_, &second_}, Options(), out);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->identical) << out.str();
  EXPECT_EQ(report->ExitCode(), 0);
  ASSERT_EQ(report->tables.size(), 4u);
  EXPECT_EQ(report->tables[0].live_rows, 500);
  EXPECT_NE(out.str().find("OK"), std::string::npos);

  ExecSql(conninfo_,
          "UPDATE first_records SET payload = 'tampered' WHERE \"offset\" = 3 "
          "AND partition = (SELECT min(partition) FROM first_records)");
  std::ostringstream diff_out;
  auto diff = ReplayCheck(log_, {&first_, &second_}, Options(), diff_out);
  ASSERT_TRUE(diff.ok());
  EXPECT_FALSE(diff->identical);
  EXPECT_EQ(diff->ExitCode(), 1);
  EXPECT_FALSE(diff->tables[0].equal);
  EXPECT_TRUE(diff->tables[2].equal);  // second_records untouched
  ASSERT_EQ(diff->tables[0].live_only.size(), 1u);
  EXPECT_NE(diff->tables[0].live_only[0].find("tampered"), std::string::npos);
  EXPECT_NE(diff_out.str().find("DIFF"), std::string::npos);
  // The scratch schemas are gone.
  EXPECT_EQ(QueryInt(conninfo_,
                     "SELECT count(*) FROM pg_namespace "
                     "WHERE nspname LIKE 'filament_replay_check%'"),
            0);
}

TEST_F(ReplayPgTest, CheckComparesAtTheLiveCheckpointNotTheLogEnd) {
  ASSERT_TRUE(AppendRecords(log_, 200, 7).ok());
  RunLive();
  ASSERT_TRUE(AppendRecords(log_, 50, 7).ok());  // not applied live yet: not a difference
  std::ostringstream out;
  auto report = ReplayCheck(log_, {&first_}, Options(), out);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->identical) << out.str();
  EXPECT_EQ(report->tables[0].rebuilt_rows, 200);
}

TEST_F(ReplayPgTest, ReplayRebuildsTheChosenProjection) {
  ASSERT_TRUE(AppendRecords(log_, 300, 5).ok());
  RunLive();
  ExecSql(conninfo_,
          "DELETE FROM first_records WHERE \"offset\" < 10; "
          "UPDATE second_totals SET n = 0");
  ReplayOptions options = Options();
  options.only = {"first"};
  std::ostringstream out;
  ASSERT_TRUE(Replay(log_, {&first_, &second_}, options, out).ok());
  EXPECT_NE(out.str().find("replay first: done, 300 records"), std::string::npos) << out.str();
  EXPECT_EQ(QueryInt(conninfo_, "SELECT count(*) FROM first_records"), 300);
  EXPECT_EQ(QueryInt(conninfo_, "SELECT n FROM first_totals"), 300);
  EXPECT_EQ(QueryInt(conninfo_, "SELECT n FROM second_totals"), 0);  // not chosen
  options.only = {"nope"};
  EXPECT_EQ(Replay(log_, {&first_}, options, out).error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(ReplayPgTest, ReplayAsOfAPosition) {
  ASSERT_TRUE(AppendRecords(log_, 100, 1).ok());  // one stream: one partition
  auto ends = *log_.EndOffsets();
  std::vector<int64_t> until(ends.size(), 0);
  for (size_t p = 0; p < ends.size(); ++p) until[p] = ends[p] > 0 ? 40 : 0;
  ReplayOptions options = Options();
  options.only = {"first"};
  options.until = until;
  std::ostringstream out;
  ASSERT_TRUE(Replay(log_, {&first_}, options, out).ok());
  EXPECT_EQ(QueryInt(conninfo_, "SELECT count(*) FROM first_records"), 40);
}

// Ignores every record: measures the runner's own cost (poll, transaction, checkpoint).
class NoopProjection final : public Projection {
 public:
  std::string_view Name() const override { return "noop"; }
  std::vector<std::string> Tables() const override { return {}; }
  core::Status Apply(pqxx::dbtransaction&, const events::StoredRecord&) override {
    return core::OkStatus();
  }
};

// Applies the whole log of `log` with a fresh runner; returns events/s.
double MeasureApply(events::EventLog& log, Projection& projection, const std::string& conninfo) {
  auto ends = *log.EndOffsets();
  int64_t total = 0;
  for (auto end : ends) total += end;
  auto started = std::chrono::steady_clock::now();
  RunnerOptions options;
  options.conninfo = conninfo;
  AppliedPositions applied;
  ProjectionRunner runner(log, {&projection}, options, &applied);
  runner.Start();
  std::string name(projection.Name());
  for (int32_t p = 0; p < log.Partitions(); ++p) {
    auto end = ends[static_cast<size_t>(p)];
    if (end > 0 && !applied.WaitFor({name}, {p, end - 1}, 120s)) return 0;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("runner apply %s: %lld records in %.2f s = %.0f events/s\n", name.c_str(),
              static_cast<long long>(total), secs, static_cast<double>(total) / secs);
  return static_cast<double>(total) / secs;
}

// Not a pass/fail test: measures and prints the runner's apply rate and the replay rate with a
// no-op projection and with the counting projection (two statements per record), batches of
// 500.
TEST_F(ReplayPgTest, MeasureApplyAndReplayRates) {
  constexpr int kCount = 20000;
  ASSERT_TRUE(AppendRecords(log_, kCount, 101).ok());
  NoopProjection noop;
  EXPECT_GT(MeasureApply(log_, noop, conninfo_), 0);
  EXPECT_GT(MeasureApply(log_, first_, conninfo_), 0);
  std::ostringstream out;
  ASSERT_TRUE(Replay(log_, {&noop, &first_}, Options(), out).ok());
  std::printf("%s", out.str().c_str());
  EXPECT_EQ(QueryInt(conninfo_, "SELECT count(*) FROM first_records"), kCount);
}

}  // namespace
}  // namespace filament::projections
