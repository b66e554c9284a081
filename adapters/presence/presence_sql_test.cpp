#include "adapters/presence/presence_sql.hpp"

#include <gtest/gtest.h>

namespace filament::presence::internal {
namespace {

TEST(PresenceSql, TextArrayLiteralEscapes) {
  EXPECT_EQ(TextArrayLiteral({}), "{}");
  EXPECT_EQ(TextArrayLiteral({"a", "", "b\"c\\d", "x,y"}), R"({"a","","b\"c\\d","x,y"})");
}

TEST(PresenceSql, ReplaceReportsTheDifferencesOfTheGuildsRead) {
  Mirror mirror{{"g1", {"alice", "bob"}}, {"g2", {"carol"}}};
  const Mirror fresh{{"g1", {"bob", "dave"}}};
  const std::vector<std::string> only{"g1"};
  auto changes = Replace(mirror, fresh, &only);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].user_id, "alice");
  EXPECT_FALSE(changes[0].present);
  EXPECT_EQ(changes[1].user_id, "dave");
  EXPECT_TRUE(changes[1].present);
  EXPECT_EQ(mirror, (Mirror{{"g1", {"bob", "dave"}}, {"g2", {"carol"}}}));  // g2 not read

  changes = Replace(mirror, fresh, nullptr);  // a full read: g2 is gone
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].guild_id, "g2");
  EXPECT_FALSE(changes[0].present);
  EXPECT_EQ(mirror, fresh);
}

}  // namespace
}  // namespace filament::presence::internal
