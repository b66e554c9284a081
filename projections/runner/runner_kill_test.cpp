// THE KILL TEST: a child process applies the log with the counting projection and is SIGKILLed
// at random moments, then restarted; at the end every record must have been applied exactly
// once (one row per position, primary key on the position; a counter equal to the record count;
// checkpoints at the end of the log). Runs on the PostgreSQL log (label pg) and, when built with
// the Kafka adapter, on the Kafka mock cluster reached over TCP from the child (label kafka).
#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/postgres/pg_event_log.hpp"
#include "projections/runner/testing/counting_projection.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/pg_test_cluster.hpp"
#ifdef FILAMENT_KILL_TEST_KAFKA
#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/mock_cluster.hpp"
#endif

extern char** environ;

namespace filament::projections {
namespace {

using namespace std::chrono_literals;
using testing::QueryInt;

constexpr int kRecords = 10000;
constexpr int kKills = 6;

// Polls the applied-row count until it reaches `target` or the child exits; true if reached.
bool WaitForProgress(pqxx::connection& conn, pid_t pid, int64_t target) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::nontransaction tx(conn);
    if (tx.exec1("SELECT count(*) FROM killed_records")[0].as<int64_t>() >= target) return true;
    if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

void RunKillTest(events::EventLog& log, const std::string& conninfo,
                 const std::vector<std::string>& child_args) {
  testing::CountingProjection projection("killed");
  ASSERT_TRUE(projection.CreateTables(conninfo).ok());
  ASSERT_TRUE(testing::AppendRecords(log, kRecords, 97).ok());
  std::mt19937 rng(std::random_device{}());
  pqxx::connection conn(conninfo);
  auto applied = [&] { return QueryInt(conninfo, "SELECT count(*) FROM killed_records"); };
  int killed_mid_stream = 0;
  for (int i = 0; i < kKills; ++i) {
    // Kill at a random point of the remaining work, so every kill lands mid-stream: while
    // polling, applying, or committing.
    int64_t before = applied();
    int64_t share = std::max<int64_t>(1, (kRecords - before) / (kKills - i + 1));
    int64_t target = before + std::uniform_int_distribution<int64_t>(1, share)(rng);
    pid_t pid = filament::testing::SpawnChild(child_args);
    ASSERT_GT(pid, 0);
    WaitForProgress(conn, pid, target);
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 2000)(rng)));
    kill(pid, SIGKILL);
    int rc = filament::testing::WaitChild(pid, 30s);
    ASSERT_TRUE(rc == -SIGKILL || rc == 0) << "child exited with " << rc;
    int64_t now = applied();
    if (rc == -SIGKILL && now < kRecords) ++killed_mid_stream;
    std::printf("kill %d: %lld/%d records applied\n", i, static_cast<long long>(now), kRecords);
  }
  EXPECT_GE(killed_mid_stream, kKills - 1) << "the child finished too fast to be killed mid-stream";
  pid_t pid = filament::testing::SpawnChild(child_args);
  ASSERT_EQ(filament::testing::WaitChild(pid, 120s), 0);
  EXPECT_EQ(applied(), kRecords);
  EXPECT_EQ(QueryInt(conninfo, "SELECT n FROM killed_totals"), kRecords);
  EXPECT_EQ(QueryInt(conninfo,
                     "SELECT sum(next_offset) FROM projection_checkpoints "
                     "WHERE projection = 'killed'"),
            kRecords);
  auto ends = log.EndOffsets();
  ASSERT_TRUE(ends.ok());
  for (size_t p = 0; p < ends->size(); ++p) {
    EXPECT_EQ(QueryInt(conninfo, "SELECT count(*) FROM killed_records WHERE partition = " +
                                     std::to_string(p)),
              (*ends)[p]);
  }
  // The detector works: with the checkpoint rewound (what a non-atomic checkpoint would do
  // after a crash), the child re-applies a record and must fail loudly.
  testing::ExecSql(conninfo,
                   "UPDATE projection_checkpoints SET next_offset = 0 "
                   "WHERE projection = 'killed'");
  EXPECT_EQ(filament::testing::WaitChild(filament::testing::SpawnChild(child_args), 60s), 2);
}

#ifdef FILAMENT_KILL_TEST_PG
TEST(RunnerKill, EveryRecordAppliedExactlyOnceOnThePostgresLog) {
  std::string conninfo = filament::testing::CreateMigratedDatabase();
  auto log = postgres::PgEventLog::Open(conninfo, 4);
  ASSERT_TRUE(log.ok()) << log.error().message;
  RunKillTest(**log, conninfo,
              {FILAMENT_KILL_CHILD, "--conninfo", conninfo, "--log", "pg", "--partitions", "4",
               "--batch", "10"});
}
#endif

#ifdef FILAMENT_KILL_TEST_KAFKA
TEST(RunnerKill, EveryRecordAppliedExactlyOnceOnTheKafkaLog) {
  std::string conninfo = filament::testing::CreateMigratedDatabase();
  auto cluster = adapters::MockCluster::Start(1, "filament.events", 4);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  adapters::KafkaLogOptions options;
  options.brokers = (*cluster)->Bootstraps();
  auto log = adapters::KafkaEventLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.error().message;
  RunKillTest(**log, conninfo,
              {FILAMENT_KILL_CHILD, "--conninfo", conninfo, "--log", "kafka", "--brokers",
               options.brokers, "--partitions", "4", "--batch", "10"});
}
#endif

}  // namespace
}  // namespace filament::projections
