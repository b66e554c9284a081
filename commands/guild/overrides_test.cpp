#include "commands/guild/overrides.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;
using core::ErrorCode;

Actor As(const std::string& user_id) { return Actor{user_id, false}; }
const PermissionSet kPost = PermissionSet::Of({Permission::kCreateMessage});

bool MaySee(const GuildState& g, const std::string& user) {
  auto e = EvaluateChannel(g.authz, user, kChannel);
  return e.ok() && e->permissions.Has(Permission::kCreateMessage);
}

TEST(SetLegacyOverride, OwnerOnlyAndAppliesToTheSeededRole) {
  GuildState g = Populated();
  SetLegacyOverride cmd{kGuild, kChannel, As(kMod), LegacyRole::kMember, {}, kPost, 1};
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kPermissionDenied);
  cmd.actor = As(kOwner);
  cmd.allow = kPost;
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kInvalidArgument);
  cmd.allow = {};
  cmd.channel_id = "01J000000000000000000000C9";
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kNotFound);
  cmd.channel_id = kChannel;
  auto set = Decide(g, cmd);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(std::get<events::LegacyChannelOverrideSet>(set->at(0)).role_id, kMemberRole);
  Apply(g, set->at(0));
  EXPECT_FALSE(MaySee(g, kBob));
  EXPECT_TRUE(MaySee(g, kMod));
  EXPECT_TRUE(MaySee(g, kOwner));
}

TEST(SetPermissionOverride, ChannelPermissionAndThreeLayers) {
  GuildState g = Populated();
  SetPermissionOverride cmd{kGuild, kChannel, As(kBob), "role", kEveryoneRole, {}, kPost, 1};
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kPermissionDenied);
  cmd.actor = As("01J000000000000000000000S1");
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kPermissionDenied);
  cmd.actor = As(kMod);
  cmd.channel_id = "01J000000000000000000000C9";
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kNotFound);
  cmd.channel_id = kChannel;
  cmd.target_id = "nope";
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kInvalidArgument);
  cmd.target_id = kEveryoneRole;
  auto everyone = Decide(g, cmd);
  ASSERT_TRUE(everyone.ok());
  Apply(g, everyone->at(0));
  EXPECT_FALSE(MaySee(g, kBob));  // @everyone deny; the member role has no override
  cmd.target_kind = "member";
  cmd.target_id = kBob;
  cmd.allow = kPost;
  cmd.deny = {};
  auto member = Decide(g, cmd);
  ASSERT_TRUE(member.ok());
  Apply(g, member->at(0));
  EXPECT_TRUE(MaySee(g, kBob));  // member layer wins
  EXPECT_FALSE(MaySee(g, kCarol));
}

}  // namespace
}  // namespace filament::commands
