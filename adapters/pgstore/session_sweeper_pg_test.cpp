// SessionSweeper against a real PostgreSQL (label pg), time injected with a FakeClock: what a
// sweep deletes and keeps, bounded batches, locked rows skipped, two sweepers on one database,
// and a clean stop of the timed thread.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/session_sweeper.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::pgstore {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr int64_t kRetention = 1000;

class SessionSweeperTest : public ::testing::Test {
 protected:
  SessionSweeperTest()
      : conninfo_(filament::testing::CreateMigratedDatabase()),
        pool_(conninfo_, 4),
        store_(pool_),
        clock_(kNow * 1000) {}

  void Exec(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }
  int64_t Count(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }
  void Session(const std::string& id, int64_t expires_at) {
    Exec(
        "INSERT INTO auth_sessions (session_id, user_id, token_hash, expires_at_unix, "
        "created_at_unix) VALUES ('" +
        id + "', 'U', 'h" + id + "', " + std::to_string(expires_at) + ", 0)");
  }
  void Used(const std::string& hash, const std::string& session, int64_t used_at) {
    Exec("INSERT INTO auth_used_refresh_tokens VALUES ('" + hash + "', '" + session + "', " +
         std::to_string(used_at) + ")");
  }
  SessionSweeper::Options Opts(int64_t batch = 1000, int64_t max_batches = 100) {
    return SessionSweeper::Options{60'000, kRetention, batch, max_batches};
  }

  std::string conninfo_;
  ConnectionPool pool_;
  AuthStore store_;
  core::FakeClock clock_;
};

TEST_F(SessionSweeperTest, DeletesExpiredSessionsWithTheirUsedTokensAndKeepsLiveOnes) {
  Session("expired", kNow - 10);
  Session("expires_now", kNow);  // a refresh at kNow is already refused: expired
  Session("live", kNow + 1);
  Used("u_expired", "expired", kNow - 5);
  Used("u_old", "live", kNow - kRetention - 1);
  Used("u_recent", "live", kNow - kRetention);
  SessionSweeper sweeper(store_, clock_, Opts());
  auto swept = sweeper.SweepOnce();
  ASSERT_TRUE(swept.ok()) << swept.error().message;
  EXPECT_EQ(swept->sessions, 2);
  EXPECT_EQ(swept->used_tokens, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM auth_sessions WHERE session_id = 'live'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM auth_sessions"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM auth_used_refresh_tokens WHERE token_hash = 'u_recent'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM auth_used_refresh_tokens"), 1);
  // Time moves on (injected, not slept): the live session expires too.
  clock_.Advance(2'000);
  swept = sweeper.SweepOnce();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(swept->sessions, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM auth_sessions"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM auth_used_refresh_tokens"), 0);
}

TEST_F(SessionSweeperTest, ASweepIsBoundedByItsBatches) {
  for (int i = 0; i < 7; ++i) Session("s" + std::to_string(i), kNow - 100 + i);
  SessionSweeper sweeper(store_, clock_, Opts(/*batch=*/2, /*max_batches=*/2));
  EXPECT_EQ(sweeper.SweepOnce()->sessions, 4);
  EXPECT_EQ(sweeper.SweepOnce()->sessions, 3);
  EXPECT_EQ(sweeper.SweepOnce()->sessions, 0);
}

// A session locked by a refresh in flight (or another sweeper) is skipped, not waited for.
TEST_F(SessionSweeperTest, SkipsLockedSessions) {
  Session("locked", kNow - 10);
  Session("free", kNow - 10);
  pqxx::connection holder(conninfo_);
  pqxx::work lock(holder);
  lock.exec("SELECT 1 FROM auth_sessions WHERE session_id = 'locked' FOR UPDATE");
  SessionSweeper sweeper(store_, clock_, Opts());
  const auto start = std::chrono::steady_clock::now();
  auto swept = sweeper.SweepOnce();
  ASSERT_TRUE(swept.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(swept->sessions, 1);
  lock.abort();
  EXPECT_EQ(sweeper.SweepOnce()->sessions, 1);
}

// Two API processes' sweepers on one database: every expired session is deleted exactly once.
TEST_F(SessionSweeperTest, TwoSweepersShareTheWork) {
  Exec(
      "INSERT INTO auth_sessions (session_id, user_id, token_hash, expires_at_unix, "
      "created_at_unix) SELECT 'x' || i, 'U', 'h' || i, " +
      std::to_string(kNow - 1) + " - i, 0 FROM generate_series(1, 400) AS i");
  ConnectionPool other_pool(conninfo_, 2);
  AuthStore other_store(other_pool);
  SessionSweeper a(store_, clock_, Opts(10, 1000));
  SessionSweeper b(other_store, clock_, Opts(10, 1000));
  core::Result<SweepCounts> from_b = SweepCounts{};
  std::thread other([&] { from_b = b.SweepOnce(); });
  auto from_a = a.SweepOnce();
  other.join();
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  EXPECT_EQ(from_a->sessions + from_b->sessions, 400);
  EXPECT_EQ(Count("SELECT count(*) FROM auth_sessions"), 0);
}

TEST_F(SessionSweeperTest, TheThreadSweepsEveryIntervalAndStopsAtOnce) {
  Session("old", kNow - 1);
  SessionSweeper::Options fast = Opts();
  fast.interval_ms = 20;
  SessionSweeper sweeper(store_, clock_, fast);
  sweeper.Start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Count("SELECT count(*) FROM auth_sessions") > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM auth_sessions"), 0);
  sweeper.Stop();
  // The default 60 s interval: Stop wakes the thread instead of waiting out the interval.
  SessionSweeper slow(store_, clock_, Opts());
  slow.Start();
  const auto start = std::chrono::steady_clock::now();
  slow.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace filament::pgstore
