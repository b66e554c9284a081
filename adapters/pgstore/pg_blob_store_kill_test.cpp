// THE BLOB KILL TEST: a child process puts 20 objects concurrently and is SIGKILLed while most
// puts are mid-transaction, three rounds in a row (the first creates the keys, the later ones
// replace them). After each kill every key must hold nothing or one complete object of some
// round — its bytes exactly, matching its recorded size and SHA-256 — and no chunk may be left
// without its object. A last unkilled run must then store every object of its round.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/crypto/primitives.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/pg_blob_store.hpp"
#include "adapters/pgstore/testing/blob_test_content.hpp"
#include "tests/support/pg_test_cluster.hpp"

extern char** environ;

namespace filament::pgstore {
namespace {

using namespace std::chrono_literals;
using testing::KillTestContent;
using testing::KillTestKey;

constexpr int kObjects = 20;
constexpr int kKilledRounds = 3;

pid_t SpawnChild(const std::string& conninfo, int round) {
  std::string round_text = std::to_string(round);
  std::vector<std::string> args = {FILAMENT_BLOB_KILL_CHILD, "--conninfo", conninfo, "--round",
                                   round_text};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  return posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0 ? pid : -1;
}

int64_t QueryCount(pqxx::connection& conn, const std::string& sql) {
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<int64_t>();
}

// The SHA-256 of each object as `round` writes it. Computed once per round, before the child
// starts: hashing ~22 MB on every poll made a poll slower than the child's whole round.
std::vector<std::string> RoundHashes(int round) {
  std::vector<std::string> hashes;
  for (int i = 0; i < kObjects; ++i) hashes.push_back(crypto::Sha256Hex(KillTestContent(i, round)));
  return hashes;
}

// The number of objects of the round whose hashes are `hashes` that are committed.
int CommittedOfRound(pqxx::connection& conn, const std::vector<std::string>& hashes) {
  pqxx::nontransaction tx(conn);
  int committed = 0;
  for (int i = 0; i < kObjects; ++i) {
    auto rows = tx.exec_params("SELECT sha256_hex FROM blobs WHERE key = $1", KillTestKey(i));
    if (!rows.empty() && rows[0][0].as<std::string>() == hashes[static_cast<size_t>(i)]) {
      ++committed;
    }
  }
  return committed;
}

// Waits until the server has ended the killed child's backends (their transactions aborted).
void WaitForChildBackendsGone(pqxx::connection& conn) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (QueryCount(conn,
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = 'blob_kill_child'") > 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "killed child's backends linger";
    std::this_thread::sleep_for(10ms);
  }
}

// Every key holds nothing or a whole object of a round in [1, last_round].
void ExpectNothingPartial(PgBlobStore& store, pqxx::connection& conn, int last_round) {
  for (int i = 0; i < kObjects; ++i) {
    core::BlobInfo info;
    auto bytes = core::ReadWholeBlob(store, KillTestKey(i), 64 << 20, &info);
    if (!bytes.ok()) {
      EXPECT_EQ(bytes.error().code, core::ErrorCode::kNotFound) << bytes.error().message;
      continue;
    }
    EXPECT_EQ(info.size, static_cast<int64_t>(bytes->size()));
    EXPECT_EQ(info.sha256_hex, crypto::Sha256Hex(*bytes)) << "object " << i;
    bool of_some_round = false;
    for (int round = 1; round <= last_round; ++round) {
      of_some_round = of_some_round || *bytes == KillTestContent(i, round);
    }
    EXPECT_TRUE(of_some_round) << "object " << i << " is not any round's whole content";
  }
  EXPECT_EQ(QueryCount(conn,
                       "SELECT count(*) FROM blob_chunks c WHERE NOT EXISTS "
                       "(SELECT 1 FROM blobs b WHERE b.object_id = c.object_id)"),
            0)
      << "orphaned chunks";
}

TEST(PgBlobStoreKill, AKilledWriterLeavesEveryObjectWholeOrAbsent) {
  std::string conninfo = filament::testing::CreateMigratedDatabase();
  pqxx::connection conn(conninfo);
  ConnectionPool pool(conninfo, 2);
  PgBlobStore store(pool);
  int interrupted_rounds = 0;
  for (int round = 1; round <= kKilledRounds; ++round) {
    const std::vector<std::string> hashes = RoundHashes(round);
    pid_t pid = SpawnChild(conninfo, round);
    ASSERT_GT(pid, 0);
    // Kill once a few objects of this round are committed: the rest are mid-put.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (CommittedOfRound(conn, hashes) < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    WaitForChildBackendsGone(conn);
    int committed = CommittedOfRound(conn, hashes);
    std::printf("round %d: %d/%d objects committed at the kill\n", round, committed, kObjects);
    if (WIFSIGNALED(status) && committed < kObjects) ++interrupted_rounds;
    ExpectNothingPartial(store, conn, round);
  }
  EXPECT_GE(interrupted_rounds, kKilledRounds - 1) << "the child finished before the kill";
  pid_t pid = SpawnChild(conninfo, kKilledRounds + 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(CommittedOfRound(conn, RoundHashes(kKilledRounds + 1)), kObjects);
  ExpectNothingPartial(store, conn, kKilledRounds + 1);
  EXPECT_EQ(QueryCount(conn, "SELECT count(*) FROM blobs"), kObjects);
}

}  // namespace
}  // namespace filament::pgstore
