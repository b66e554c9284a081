// PgPresenceDirectory against a real PostgreSQL (label pg): two directories = two gateway
// processes on one database. Leases travel by NOTIFY (well inside the heartbeat), expire after
// an abandoned process's TTL, a restart never resurrects them, and the user-gone decision is
// made once across processes.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/presence/pg_presence_directory.hpp"
#include "adapters/presence/presence_sql.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::presence {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kGuild[] = "01HGGGGGGGGGGGGGGGGGGGGGGG";
constexpr char kAlice[] = "01HAAAAAAAAAAAAAAAAAAAAAAA";

// Records what a directory reports; Wait* poll with a deadline.
class Recorder : public gateway::PresenceListener {
 public:
  void OnRemotePresence(const std::vector<gateway::PresenceChange>& changes) override {
    std::lock_guard lock(mu_);
    for (const auto& change : changes) {
      present_[change.guild_id + "/" + change.user_id] = change.present;
    }
    cv_.notify_all();
  }
  void OnUserGone(const std::string& user_id) override {
    std::lock_guard lock(mu_);
    gone_.push_back(user_id);
    cv_.notify_all();
  }
  // Waits until the user's presence in kGuild is `present`; returns the time it took, or -1.
  int64_t WaitPresent(const std::string& user, bool present, milliseconds limit) {
    const auto start = Clock::now();
    std::unique_lock lock(mu_);
    const bool ok = cv_.wait_for(lock, limit, [&] {
      auto it = present_.find(std::string(kGuild) + "/" + user);
      return (it != present_.end() && it->second) == present;
    });
    if (!ok) return -1;
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  }
  bool WaitGone(size_t n, milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return gone_.size() >= n; });
  }
  std::vector<std::string> Gone() {
    std::lock_guard lock(mu_);
    return gone_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, bool> present_;
  std::vector<std::string> gone_;
};

class PgPresenceTest : public ::testing::Test {
 protected:
  PgPresenceTest() : conninfo_(filament::testing::CreateMigratedDatabase()) {}

  std::unique_ptr<PgPresenceDirectory> Start(const std::string& instance, Recorder& recorder,
                                             int64_t ttl_ms = 1500, int64_t heartbeat_ms = 300) {
    auto started = PgPresenceDirectory::Start({.conninfo = conninfo_,
                                               .instance_id = instance,
                                               .ttl_ms = ttl_ms,
                                               .heartbeat_ms = heartbeat_ms});
    EXPECT_TRUE(started.ok());
    (*started)->SetListener(&recorder);
    return std::move(*started);
  }
  int64_t Count(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  std::string conninfo_;
};

TEST_F(PgPresenceTest, RejectsAHeartbeatNotBelowTheTtl) {
  auto started = PgPresenceDirectory::Start(
      {.conninfo = conninfo_, .instance_id = "a", .ttl_ms = 1000, .heartbeat_ms = 1000});
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(PgPresenceTest, ChangesTravelByNotifyWellInsideTheHeartbeat) {
  Recorder ra, rb;
  auto a = Start("a", ra, 60'000, 20'000);  // no poll would come for 20 s
  auto b = Start("b", rb, 60'000, 20'000);
  std::this_thread::sleep_for(milliseconds(300));  // both listening
  a->Announce(kGuild, kAlice);
  const int64_t online_ms = rb.WaitPresent(kAlice, true, milliseconds(3000));
  EXPECT_GE(online_ms, 0);
  EXPECT_LT(online_ms, 1000);
  std::printf("notify round trip: online %lld ms", static_cast<long long>(online_ms));
  a->Withdraw(kGuild, kAlice);
  const int64_t offline_ms = rb.WaitPresent(kAlice, false, milliseconds(3000));
  EXPECT_GE(offline_ms, 0);
  EXPECT_LT(offline_ms, 1000);
  std::printf(", offline %lld ms\n", static_cast<long long>(offline_ms));
  EXPECT_EQ(ra.WaitPresent(kAlice, true, milliseconds(200)), -1);  // not its own news
}

TEST_F(PgPresenceTest, ANewListenerHearsEverythingPresent) {
  Recorder ra, rb, late;
  auto a = Start("a", ra);
  a->Announce(kGuild, kAlice);
  auto b = Start("b", rb);
  ASSERT_GE(rb.WaitPresent(kAlice, true, milliseconds(3000)), 0);
  b->SetListener(&late);
  EXPECT_GE(late.WaitPresent(kAlice, true, milliseconds(3000)), 0);
}

TEST_F(PgPresenceTest, AnAbandonedProcessExpiresWithinTtlPlusHeartbeat) {
  Recorder ra, rb;
  auto a = Start("a", ra);
  auto b = Start("b", rb);
  a->Connected(kAlice);
  a->Announce(kGuild, kAlice);
  ASSERT_GE(rb.WaitPresent(kAlice, true, milliseconds(3000)), 0);
  a->Abandon();  // like kill -9: its rows stay behind
  const auto died = Clock::now();
  ASSERT_GE(rb.WaitPresent(kAlice, false, milliseconds(5000)), 0);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - died).count();
  std::printf("abandoned process: offline for the other after %lld ms\n",
              static_cast<long long>(took));
  EXPECT_LE(took, 1500 + 300 + 250);                // ttl + heartbeat + slack for the queries
  ASSERT_TRUE(rb.WaitGone(1, milliseconds(2000)));  // the sweep decides she is gone
  EXPECT_EQ(rb.Gone(), std::vector<std::string>{kAlice});
  EXPECT_EQ(Count("SELECT count(*) FROM gateway_presence_leases WHERE instance_id = 'a'"), 0);
}

TEST_F(PgPresenceTest, ARestartedProcessDoesNotResurrectItsOldLeases) {
  Recorder ra, rb, ra2, rc;
  auto b = Start("b", rb);
  auto a = Start("a-life-1", ra);
  a->Announce(kGuild, kAlice);
  ASSERT_GE(rb.WaitPresent(kAlice, true, milliseconds(3000)), 0);
  a->Abandon();
  auto a2 = Start("a-life-2", ra2);  // the same process restarted: a fresh instance id
  ASSERT_GE(rb.WaitPresent(kAlice, false, milliseconds(4000)), 0);
  std::this_thread::sleep_for(milliseconds(1000));  // several heartbeats of a2 and b
  auto c = Start("c", rc);
  std::this_thread::sleep_for(milliseconds(700));
  EXPECT_EQ(rb.WaitPresent(kAlice, false, milliseconds(10)), 0);
  EXPECT_EQ(rc.WaitPresent(kAlice, true, milliseconds(10)), -1);
  EXPECT_EQ(Count("SELECT count(*) FROM gateway_presence_leases"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM gateway_presence_instances"), 3);  // b, a2, c
}

TEST_F(PgPresenceTest, ASweptButLiveProcessReassertsItsLeases) {
  Recorder ra, rb;
  auto a = Start("a", ra);
  auto b = Start("b", rb);
  a->Announce(kGuild, kAlice);
  ASSERT_GE(rb.WaitPresent(kAlice, true, milliseconds(3000)), 0);
  {  // as if the others had taken it for dead (a long stall) and swept it
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    tx.exec("DELETE FROM gateway_presence_instances WHERE instance_id = 'a'");
    tx.exec("DELETE FROM gateway_presence_leases WHERE instance_id = 'a'");
    tx.commit();
  }
  // Whether b notices the gap first races a's next heartbeat; what matters is that a puts its
  // instance row and its lease back by itself.
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(3000);
  while (Count("SELECT count(*) FROM gateway_presence_leases WHERE instance_id = 'a'") != 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM gateway_presence_leases WHERE instance_id = 'a'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM gateway_presence_instances WHERE instance_id = 'a'"), 1);
  EXPECT_GE(rb.WaitPresent(kAlice, true, milliseconds(3000)), 0);
}

TEST_F(PgPresenceTest, UserGoneIsDecidedOnceWhenTheLastConnectionAnywhereCloses) {
  Recorder ra, rb;
  auto a = Start("a", ra);
  auto b = Start("b", rb);
  a->Connected(kAlice);
  b->Connected(kAlice);
  std::this_thread::sleep_for(milliseconds(200));
  a->Disconnected(kAlice);
  EXPECT_FALSE(ra.WaitGone(1, milliseconds(500)));
  b->Disconnected(kAlice);
  ASSERT_TRUE(rb.WaitGone(1, milliseconds(3000)));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_TRUE(ra.Gone().empty());
  EXPECT_EQ(rb.Gone(), std::vector<std::string>{kAlice});
}

// The voice sweeper's reconnect check (ADR 0081): a connection held by any live process counts;
// one held only by a dead process does not.
TEST_F(PgPresenceTest, ConnectedAnywhereSeesEveryLiveProcess) {
  Recorder ra, rb;
  auto a = Start("a", ra);
  auto b = Start("b", rb);
  auto becomes = [&](bool want) {
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(4000);
    while (a->ConnectedAnywhere(kAlice) != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    return a->ConnectedAnywhere(kAlice) == want;
  };
  EXPECT_EQ(a->ConnectedAnywhere(kAlice), false);
  b->Connected(kAlice);
  EXPECT_TRUE(becomes(true));
  b->Abandon();  // kill -9: the lease stays, but only until its instance expires (1.5 s)
  EXPECT_EQ(a->ConnectedAnywhere(kAlice), true);
  EXPECT_TRUE(becomes(false));
}

TEST_F(PgPresenceTest, ACleanStopWithdrawsAtOnce) {
  Recorder ra, rb;
  auto a = Start("a", ra, 60'000, 20'000);
  auto b = Start("b", rb, 60'000, 20'000);
  std::this_thread::sleep_for(milliseconds(300));
  a->Connected(kAlice);
  a->Announce(kGuild, kAlice);
  ASSERT_GE(rb.WaitPresent(kAlice, true, milliseconds(3000)), 0);
  a->Stop();
  const int64_t took = rb.WaitPresent(kAlice, false, milliseconds(3000));
  EXPECT_GE(took, 0);
  EXPECT_LT(took, 1000);
  EXPECT_EQ(ra.Gone(), std::vector<std::string>{kAlice});  // she had nothing else
  EXPECT_EQ(Count("SELECT count(*) FROM gateway_presence_instances WHERE instance_id = 'a'"), 0);
}

// The cost side of ADR 0057 (docs/performance.md): what the hub pays per announcement (an
// enqueue), and what one heartbeat costs the database with many leases held elsewhere.
TEST_F(PgPresenceTest, CostOfAnnouncementsAndOfAHeartbeatAtManyLeases) {
  constexpr int kGuilds = 10;
  constexpr int kUsers = 2000;  // 20 000 leases on another instance
  {
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    tx.exec("INSERT INTO gateway_presence_instances VALUES ('other', now() + interval '1 hour')");
    tx.exec(
        "INSERT INTO gateway_presence_leases SELECT 'other', 'g' || g, 'u' || u FROM"
        " generate_series(1, " +
        std::to_string(kGuilds) + ") g, generate_series(1, " + std::to_string(kUsers) + ") u");
    tx.exec(
        "INSERT INTO gateway_presence_leases SELECT 'other', '', 'u' || u FROM"
        " generate_series(1, " +
        std::to_string(kUsers) + ") u");
    tx.commit();
  }
  Recorder ra;
  auto a = Start("a", ra, 60'000, 20'000);
  auto t0 = Clock::now();
  for (int u = 0; u < kUsers; ++u) a->Announce("mine", "v" + std::to_string(u));
  const double enqueue_us =
      std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / kUsers;

  pqxx::connection c(conninfo_);
  auto time_ms = [](auto&& body) {
    const auto start = Clock::now();
    body();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  internal::Mirror mirror;
  const double read_ms = time_ms([&] { mirror = internal::ReadRemote(c, "b", nullptr); });
  EXPECT_GE(mirror.size(), static_cast<size_t>(kGuilds));  // (+ "mine" once a wrote it)
  const std::vector<std::string> one{"g1"};
  const double guild_ms = time_ms([&] { internal::ReadRemote(c, "b", &one); });
  const double renew_ms = time_ms([&] { internal::WriteLeases(c, "b", 60'000, {}, {}); });
  const double sweep_ms = time_ms([&] { internal::SweepDead(c); });
  std::printf(
      "announce (hub side): %.2f us; heartbeat with %d remote leases: full read %.1f ms, "
      "renew %.1f ms, sweep %.1f ms; one-guild read after a NOTIFY %.1f ms\n",
      enqueue_us, kGuilds * kUsers + kUsers, read_ms, renew_ms, sweep_ms, guild_ms);
  EXPECT_LT(enqueue_us, 100.0);
  EXPECT_LT(read_ms, 5000.0);
}

}  // namespace
}  // namespace filament::presence
