// AuthService::Authenticate against real PostgreSQL: the subject of an access token is looked up
// in the command side's user directory (the log) where this process runs the commands, and in
// the users read model otherwise (a `gateway` process, whose command service is never started).
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/pgstore/auth_store.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "api/routes/auth_service.hpp"
#include "commands/command_service.hpp"
#include "core/clock.hpp"
#include "core/ulid.hpp"
#include "events/testing/in_memory_event_log.hpp"
#include "projections/runner/replay.hpp"
#include "projections/users/users_projection.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::api {
namespace {

constexpr const char* kPassword = "correct horse battery";

// One process's view: a command service over the shared log and an AuthService over the
// shared database (the signing keys live there, so every process verifies the same tokens).
struct Process {
  Process(events::EventLog& log, pgstore::ConnectionPool& pool, const core::Clock& clock)
      : auth_store(pool),
        users(pool),
        commands(log, clock, ids, auth_store, core::Limits{}),
        auth(commands, auth_store, users, clock, AuthService::Options{core::Limits{}}) {}

  core::UlidGenerator ids;
  pgstore::AuthStore auth_store;
  projections::UsersQueries users;
  commands::CommandService commands;
  AuthService auth;
};

class AuthenticatePgTest : public ::testing::Test {
 protected:
  AuthenticatePgTest() : pool_(testing::CreateMigratedDatabase(), 2) {}

  // The users read model rebuilt from the whole log (login needs the user's row).
  void ProjectUsers() {
    projections::UsersProjection users;
    std::ostringstream out;
    auto status = projections::Replay(log_, {&users}, {.conninfo = pool_.conninfo()}, out);
    ASSERT_TRUE(status.ok()) << status.error().message << out.str();
  }

  // What `filament rebuild users` does first: the read model is empty until replay refills it.
  void EmptyUsersReadModel() {
    pqxx::connection c(pool_.conninfo());
    pqxx::work tx(c);
    tx.exec("DELETE FROM users");
    tx.commit();
  }

  // Registers `username` through `p` and logs in.
  std::string AccessTokenOf(Process& p, const std::string& username) {
    const commands::CommandContext ctx{"", "req-" + username};
    auto registered = p.auth.Register(ctx, username, kPassword);
    EXPECT_TRUE(registered.ok()) << registered.error().message;
    ProjectUsers();
    auto tokens = p.auth.Login(ctx, username, kPassword);
    EXPECT_TRUE(tokens.ok()) << tokens.error().message;
    return tokens.ok() ? tokens->access_token : "";
  }

  // A process over `log`: with `commands` its command service is started (serve, api),
  // without it never is (a gateway process).
  std::unique_ptr<Process> Open(events::EventLog& log, bool commands) {
    auto p = std::make_unique<Process>(log, pool_, clock_);
    if (commands) {
      EXPECT_TRUE(p->commands.Start().ok());
    }
    EXPECT_TRUE(p->auth.Init().ok());
    return p;
  }

  // Opens api_ over log_ and returns the access token of `username`, registered through it.
  std::string ApiToken(const std::string& username) {
    api_ = Open(log_, true);
    return AccessTokenOf(*api_, username);
  }

  pgstore::ConnectionPool pool_;
  events::testing::InMemoryEventLog log_;
  core::FakeClock clock_;
  std::unique_ptr<Process> api_;
};

TEST_F(AuthenticatePgTest, TheCommandSideAnswersWhileTheReadModelIsRebuilt) {
  const std::string token = ApiToken("alice");
  ASSERT_FALSE(token.empty());
  EmptyUsersReadModel();

  auto who = api_->auth.Authenticate(token);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->username, "alice");
  EXPECT_EQ(who->user_id, *api_->auth.TokenSubject(token));
}

TEST_F(AuthenticatePgTest, AProcessWithoutTheCommandsAsksTheReadModel) {
  const std::string token = ApiToken("bob");
  ASSERT_FALSE(token.empty());
  const std::string user_id = *api_->auth.TokenSubject(token);

  auto gateway = Open(log_, /*commands=*/false);
  auto seen = gateway->auth.Authenticate(token);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(seen->user_id, user_id);
  EXPECT_EQ(seen->username, "bob");

  EmptyUsersReadModel();  // the read model is its only source
  auto refused = gateway->auth.Authenticate(token);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kUnauthenticated);
}

TEST_F(AuthenticatePgTest, ATokenIsRefusedWhereNeitherTheLogNorTheReadModelKnowsItsSubject) {
  const std::string token = ApiToken("carol");
  ASSERT_FALSE(token.empty());
  EmptyUsersReadModel();

  // Another deployment's log (empty) over the same keys and database: the subject is nobody.
  events::testing::InMemoryEventLog other_log;
  auto stranger = Open(other_log, /*commands=*/true);
  auto who = stranger->auth.Authenticate(token);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.error().code, core::ErrorCode::kUnauthenticated);
}

// Verified tokens are remembered (ADR 0112); what a token may do is still decided per request.
TEST_F(AuthenticatePgTest, ARememberedTokenIsStillCheckedForTimeAndTampering) {
  const std::string token = ApiToken("dave");
  ASSERT_FALSE(token.empty());
  ASSERT_TRUE(api_->auth.Authenticate(token).ok());
  ASSERT_TRUE(api_->auth.Authenticate(token).ok());  // answered from what was verified

  // One character of the MAC changed: a different token, verified and refused.
  std::string tampered = token;
  const size_t dot = tampered.find('.', std::string("v4.local.").size());
  ASSERT_NE(dot, std::string::npos);
  char& c = tampered[dot - 5];
  c = c == 'A' ? 'B' : 'A';
  auto refused = api_->auth.Authenticate(tampered);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kUnauthenticated);

  // Past its expiry the remembered token is refused like any other.
  clock_.Advance((core::Limits{}.access_token_ttl_secs + 1) * 1000);
  auto expired = api_->auth.Authenticate(token);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, core::ErrorCode::kUnauthenticated);
  EXPECT_FALSE(api_->auth.TokenSubject(token).has_value());
}

}  // namespace
}  // namespace filament::api
