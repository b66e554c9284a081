// The /api prefix (ADR 0050): every route is reached under "/api" exactly as without it.
#include <string>

#include <gtest/gtest.h>

#include "api/routes/api_handler.hpp"

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

}  // namespace
}  // namespace filament::api
