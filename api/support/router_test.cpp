#include "api/support/router.hpp"

#include <random>

#include <gtest/gtest.h>

#include "api/support/errors.hpp"

namespace filament::api {
namespace {

using Kind = RouteMatch::Kind;

class RouterTest : public testing::Test {
 protected:
  RouterTest() {
    guilds_list_ = router_.Add("GET", "/guilds");
    guild_patch_ = router_.Add("PATCH", "/guilds/{guild_id}");
    public_ = router_.Add("GET", "/guilds/public");
    reorder_ = router_.Add("POST", "/guilds/{guild_id}/roles/reorder");
    role_patch_ = router_.Add("PATCH", "/guilds/{guild_id}/roles/{role_id}");
    role_delete_ = router_.Add("DELETE", "/guilds/{guild_id}/roles/{role_id}");
    reaction_ = router_.Add("POST", "/guilds/{g}/channels/{c}/messages/{m}/reactions/{emoji}");
    health_ = router_.Add("GET", "/health");
  }
  Router router_;
  size_t guilds_list_, guild_patch_, public_, reorder_, role_patch_, role_delete_, reaction_,
      health_;
};

TEST_F(RouterTest, FindsRouteAndParams) {
  RouteMatch match = router_.Match("PATCH", "/guilds/01ARZ3NDEKTSV4RRFFQ69G5FAV/roles/R1");
  ASSERT_EQ(match.kind, Kind::kFound);
  EXPECT_EQ(match.route_id, role_patch_);
  EXPECT_EQ(match.Param("guild_id"), "01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_EQ(match.Param("role_id"), "R1");
  EXPECT_EQ(match.Param("nope"), "");
  EXPECT_EQ(router_.Match("DELETE", "/guilds/g/roles/r").route_id, role_delete_);
  EXPECT_EQ(router_.Match("GET", "/guilds").route_id, guilds_list_);
}

TEST_F(RouterTest, NotFoundVersusMethodNotAllowed) {
  EXPECT_EQ(router_.Match("GET", "/nope").kind, Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "/guilds/g/roles").kind, Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "/health/").kind, Kind::kNotFound) << "trailing slash";
  EXPECT_EQ(router_.Match("GET", "/guilds//roles/r").kind, Kind::kNotFound) << "empty param";
  EXPECT_EQ(router_.Match("GET", "").kind, Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "health").kind, Kind::kNotFound);
  RouteMatch wrong = router_.Match("POST", "/guilds/g/roles/r");
  EXPECT_EQ(wrong.kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(wrong.allow, "PATCH, DELETE");
  EXPECT_EQ(router_.Match("DELETE", "/health").allow, "GET, HEAD");
}

TEST_F(RouterTest, LiteralSegmentsBeatParameters) {
  EXPECT_EQ(router_.Match("GET", "/guilds/public").route_id, public_);
  EXPECT_EQ(router_.Match("PATCH", "/guilds/other").route_id, guild_patch_);
  EXPECT_EQ(router_.Match("POST", "/guilds/g/roles/reorder").route_id, reorder_);
  // The path picks the literal pattern, which lacks PATCH: 405, as in the original.
  EXPECT_EQ(router_.Match("PATCH", "/guilds/g/roles/reorder").kind, Kind::kMethodNotAllowed);
  EXPECT_EQ(router_.Match("PATCH", "/guilds/public").kind, Kind::kMethodNotAllowed);
}

TEST_F(RouterTest, HeadIsServedByGet) {
  EXPECT_EQ(router_.Match("HEAD", "/health").route_id, health_);
  EXPECT_EQ(router_.Match("HEAD", "/health").kind, Kind::kFound);
}

TEST_F(RouterTest, ParamsArePercentDecodedStrictly) {
  RouteMatch match =
      router_.Match("POST", "/guilds/g/channels/c/messages/m/reactions/%F0%9F%91%8D");
  ASSERT_EQ(match.kind, Kind::kFound);
  EXPECT_EQ(match.Param("emoji"), "\xF0\x9F\x91\x8D");
  EXPECT_EQ(router_.Match("POST", "/guilds/g/channels/c/messages/m/reactions/a+b").Param("emoji"),
            "a+b");
  for (std::string_view bad : {"%", "%F", "%zz", "%FF", "%C0%AF", "%ED%A0%80"}) {
    std::string path = "/guilds/g/channels/c/messages/m/reactions/" + std::string(bad);
    EXPECT_EQ(router_.Match("POST", path).kind, Kind::kBadPath) << bad;
  }
  EXPECT_EQ(router_.Match("GET", "/guilds/%70ublic").kind, Kind::kMethodNotAllowed)
      << "literals compare the raw segment, so this is {guild_id}";
}

TEST(PercentDecode, Cases) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc").value(), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(PercentDecode("a+b").value(), "a+b");
  EXPECT_EQ(PercentDecode("%00").value(), std::string(1, '\0'));
  auto bad = PercentDecode("%G0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(MapError(bad.error()).status, 400);
}

TEST(QueryParams, ParsesInOrder) {
  QueryParams query = QueryParams::Parse("limit=5&q=hello+w%C3%B6rld&flag&&before=").value();
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(query.entries(),
            (Entries{{"limit", "5"}, {"q", "hello w\xC3\xB6rld"}, {"flag", ""}, {"before", ""}}));
  EXPECT_EQ(query.Get("q").value(), "hello w\xC3\xB6rld");
  EXPECT_EQ(query.Get("missing").value(), std::nullopt);
  EXPECT_TRUE(QueryParams::Parse("").value().entries().empty());
}

TEST(QueryParams, BadEscapesAndDuplicatesAre400) {
  auto bad = QueryParams::Parse("q=%");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(MapError(bad.error()).status, 400);
  EXPECT_FALSE(QueryParams::Parse("%zz=1").ok());
  QueryParams twice = QueryParams::Parse("limit=1&limit=2").value();
  ASSERT_FALSE(twice.Get("limit").ok());
  EXPECT_EQ(MapError(twice.Get("limit").error()).status, 400);
}

TEST(QueryParams, IntegersAreStrict) {
  QueryParams query =
      QueryParams::Parse("a=20&b=-3&c=abc&d=&e=+1&f=1.0&g=99999999999999999999&h= 1").value();
  EXPECT_EQ(query.GetInt("a").value(), 20);
  EXPECT_EQ(query.GetInt("b").value(), -3);
  EXPECT_EQ(query.GetInt("zz").value(), std::nullopt);
  for (std::string_view name : {"c", "d", "e", "f", "g", "h"}) {
    auto value = query.GetInt(name);
    ASSERT_FALSE(value.ok()) << name;
    EXPECT_EQ(MapError(value.error()).status, 400) << name;
  }
}

TEST(QueryParams, RejectUnknown) {
  QueryParams query = QueryParams::Parse("limit=5&cursor=x").value();
  EXPECT_TRUE(query.RejectUnknown({"limit", "cursor", "action_prefix"}).ok());
  auto status = query.RejectUnknown({"limit"});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(MapError(status.error()).status, 400);
}

}  // namespace
}  // namespace filament::api

namespace filament::api {
namespace {

// Arbitrary bytes give a value or an error, never a crash (run under ASan/UBSan too).
TEST(RouterRobustness, RandomInputNeverCrashes) {
  Router router;
  router.Add("GET", "/a/{x}/b");
  router.Add("POST", "/a/lit/b");
  std::mt19937 random(7);
  const std::string alphabet =
      "/%ab+=&{}\x80\xff\xc3\x00"
      "0123456789ABCDEF";
  for (int i = 0; i < 5000; ++i) {
    std::string text(random() % 24, ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    (void)router.Match(i % 2 ? "GET" : "POST", text);
    (void)router.Match("GET", "/a/" + text + "/b");
    auto query = QueryParams::Parse(text);
    if (query.ok()) (void)query->GetInt("a");
    (void)PercentDecode(text, true);
  }
}

}  // namespace
}  // namespace filament::api
