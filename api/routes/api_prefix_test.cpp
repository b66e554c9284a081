// The /api prefix (ADR 0050): every route is reached under "/api" exactly as without it.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "adapters/pgstore/auth_store.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "api/routes/api_handler.hpp"
#include "events/testing/in_memory_event_log.hpp"
#include "projections/friends/friends_projection.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::api {
namespace {

TEST(RoutedPathTest, StripsOnlyAWholeApiSegment) {
  EXPECT_EQ(RoutedPath("/api/health"), "/health");
  EXPECT_EQ(RoutedPath("/api/guilds/01H/channels"), "/guilds/01H/channels");
  EXPECT_EQ(RoutedPath("/api/"), "/");
  EXPECT_EQ(RoutedPath("/api"), "/");
  EXPECT_EQ(RoutedPath("/health"), "/health");
  EXPECT_EQ(RoutedPath("/apis/x"), "/apis/x");
  EXPECT_EQ(RoutedPath("/apix"), "/apix");
  EXPECT_EQ(RoutedPath("/API/health"), "/API/health");  // paths are case-sensitive
  EXPECT_EQ(RoutedPath("/x/api/health"), "/x/api/health");
  EXPECT_EQ(RoutedPath("/api/api/health"), "/api/health");  // stripped once only
  EXPECT_EQ(RoutedPath(""), "");
}

// A concrete path for a pattern: every {param} becomes a plausible segment.
std::string Concrete(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    i = pattern.find('}', i);
    out += "01HZZZZZZZZZZZZZZZZZZZZZZZ";
  }
  return out;
}

TEST(RoutedPathTest, EveryRouteMatchesTheSameUnderTheApiPrefix) {
  Router router;
  const auto table = ApiRouteTable();
  for (const auto& spec : table) router.Add(spec.method, spec.pattern);
  ASSERT_GT(table.size(), 20u);
  for (size_t id = 0; id < table.size(); ++id) {
    const std::string path = Concrete(table[id].pattern);
    RouteMatch plain = router.Match(table[id].method, RoutedPath(path));
    RouteMatch prefixed = router.Match(table[id].method, RoutedPath("/api" + path));
    ASSERT_EQ(plain.kind, RouteMatch::Kind::kFound) << table[id].pattern;
    EXPECT_EQ(prefixed.kind, RouteMatch::Kind::kFound) << table[id].pattern;
    EXPECT_EQ(prefixed.route_id, plain.route_id) << table[id].pattern;
    EXPECT_EQ(prefixed.params, plain.params) << table[id].pattern;
  }
}

TEST(RoutedPathTest, UnknownPathsStayUnknownUnderThePrefix) {
  Router router;
  for (const auto& spec : ApiRouteTable()) router.Add(spec.method, spec.pattern);
  EXPECT_EQ(router.Match("GET", RoutedPath("/api")).kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", RoutedPath("/api/nope")).kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("GET", RoutedPath("/apihealth")).kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.Match("DELETE", RoutedPath("/api/health")).kind,
            RouteMatch::Kind::kMethodNotAllowed);
}

// A real ApiHandler over an in-memory log and a pool that never connects: only routes and
// admissions that touch no database are exercised (health, echo, refusals from the head).
class ApiHandlerPrefixTest : public ::testing::Test {
 protected:
  ApiHandlerPrefixTest()
      : pool_("postgresql:///nonexistent-unused", 1),
        auth_store_(pool_),
        users_(pool_),
        guilds_(pool_),
        messages_(pool_),
        friends_(pool_),
        commands_(log_, clock_, ids_, auth_store_, core::Limits{}),
        auth_(commands_, auth_store_, users_, clock_, AuthService::Options{core::Limits{}}),
        client_ip_(*ClientIpResolver::FromConfig("")),
        handler_(ApiDeps{.commands = commands_,
                         .auth = auth_,
                         .users = users_,
                         .guilds = guilds_,
                         .messages = messages_,
                         .friends = friends_,
                         .clock = clock_,
                         .limits = core::Limits{},
                         .client_ip = client_ip_}) {}

  http::HttpResponse Send(const std::string& method, const std::string& path,
                          std::string body = "") {
    http::HttpRequest request;
    request.method = method;
    request.path = path;
    request.peer_ip = "127.0.0.1";
    if (!body.empty()) request.headers.emplace_back("content-type", "application/json");
    request.body = std::move(body);
    return handler_.Handle(request);
  }

  // The answer OpenBodySink's sink gives before any body byte; nullopt for a buffered route.
  std::optional<int> HeadAnswer(const std::string& path) {
    http::HttpRequest head;
    head.method = "POST";
    head.path = path;
    head.peer_ip = "127.0.0.1";
    auto sink = handler_.OpenBodySink(head);
    if (!sink) return std::nullopt;
    auto refused = sink->OnBegin(int64_t{10});
    return refused ? refused->status : 0;
  }

  pgstore::ConnectionPool pool_;
  pgstore::AuthStore auth_store_;
  projections::UsersQueries users_;
  projections::GuildQueries guilds_;
  projections::MessagesQueries messages_;
  projections::FriendsQueries friends_;
  events::testing::InMemoryEventLog log_;
  core::FakeClock clock_;
  core::UlidGenerator ids_;
  commands::CommandService commands_;
  AuthService auth_;
  ClientIpResolver client_ip_;
  ApiHandler handler_;
};

TEST_F(ApiHandlerPrefixTest, HandleRoutesPrefixedAndPlainPathsAlike) {
  for (const std::string prefix : {"", "/api"}) {
    auto health = Send("GET", prefix + "/health");
    EXPECT_EQ(health.status, 200) << prefix;
    EXPECT_EQ(health.body, R"({"status":"ok"})");
    auto echo = Send("POST", prefix + "/echo", R"({"message":"hi"})");
    EXPECT_EQ(echo.status, 200) << prefix;
    EXPECT_EQ(echo.body, R"({"message":"hi"})");
    auto wrong_method = Send("DELETE", prefix + "/health");
    EXPECT_EQ(wrong_method.status, 405) << prefix;
    EXPECT_EQ(Send("GET", prefix + "/nope").status, 404) << prefix;
    EXPECT_EQ(Send("GET", prefix + "/auth/me").status, 401) << prefix;
  }
  EXPECT_EQ(Send("GET", "/api").status, 404);
  EXPECT_EQ(Send("GET", "/apihealth").status, 404);
  EXPECT_EQ(Send("GET", "/api/api/health").status, 404);
}

TEST_F(ApiHandlerPrefixTest, StreamedUploadsAreAdmittedFromTheHeadUnderThePrefix) {
  const std::string upload =
      "/guilds/01ARZ3NDEKTSV4RRFFQ69G5FAV/channels/01ARZ3NDEKTSV4RRFFQ69G5FAW"
      "/attachments";
  for (const std::string prefix : {"", "/api"}) {
    // The route's own sink: no token → 401 before the body.
    EXPECT_EQ(HeadAnswer(prefix + upload), 401) << prefix;
    EXPECT_EQ(HeadAnswer(prefix + "/users/me/profile/avatar"), 401) << prefix;
    EXPECT_EQ(HeadAnswer(prefix + "/nope"), 404) << prefix;           // refused from the head
    EXPECT_EQ(HeadAnswer(prefix + "/health"), 405) << prefix;         // GET-only path
    EXPECT_EQ(HeadAnswer(prefix + "/echo"), std::nullopt) << prefix;  // a buffered route
  }
}

TEST_F(ApiHandlerPrefixTest, HasPatternNamesTheApisPaths) {
  EXPECT_TRUE(handler_.HasPattern("/health"));
  EXPECT_TRUE(handler_.HasPattern("/api/health"));
  EXPECT_TRUE(handler_.HasPattern("/auth/register"));  // POST only: still the API's path
  EXPECT_TRUE(handler_.HasPattern("/gateway/ws"));
  EXPECT_FALSE(handler_.HasPattern("/"));
  EXPECT_FALSE(handler_.HasPattern("/login"));
  EXPECT_FALSE(handler_.HasPattern("/app/guilds/01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  EXPECT_FALSE(handler_.HasPattern("/assets/index-abc.js"));
}

}  // namespace
}  // namespace filament::api
