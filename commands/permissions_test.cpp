#include "commands/permissions.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

GuildAuthz SeededGuild() {
  GuildAuthz g;
  g.everyone_role_id = "E";
  g.owner_role_id = "O";
  g.moderator_role_id = "M";
  g.member_role_id = "U";
  g.roles["E"] = {"E", 0, "everyone", EveryoneDefaultPermissions()};
  g.roles["O"] = {"O", 10000, "workspace_owner", PermissionSet::All()};
  g.roles["M"] = {"M", 100, "moderator", ModeratorRolePermissions()};
  g.roles["U"] = {"U", 1, "member", MemberRolePermissions()};
  g.members["owner"] = {LegacyRole::kOwner, {"O"}};
  g.members["mod"] = {LegacyRole::kModerator, {}};
  g.members["alice"] = {LegacyRole::kMember, {}};
  g.channels["c1"];
  return g;
}

TEST(EvaluateGuild, NonMemberIsDenied) {
  auto result = EvaluateGuild(SeededGuild(), "stranger");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kPermissionDenied);
}

TEST(EvaluateGuild, BannedMemberIsDenied) {
  GuildAuthz g = SeededGuild();
  g.banned_user_ids.insert("alice");
  EXPECT_FALSE(EvaluateGuild(g, "alice").ok());
}

TEST(EvaluateGuild, OwnerGetsEverything) {
  auto result = EvaluateGuild(SeededGuild(), "owner");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->role, LegacyRole::kOwner);
  EXPECT_EQ(result->permissions, PermissionSet::All());
}

TEST(EvaluateGuild, MemberGetsCreateMessageAndSubscribe) {
  auto result = EvaluateGuild(SeededGuild(), "alice");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->permissions.Names(),
            (std::vector<std::string_view>{"create_message", "subscribe_streams"}));
}

TEST(EvaluateChannel, UnknownChannelIsNotFound) {
  auto result = EvaluateChannel(SeededGuild(), "alice", "nope");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kNotFound);
}

TEST(EvaluateChannel, LayersApplyEveryoneThenRolesThenMember) {
  GuildAuthz g = SeededGuild();
  auto& channel = g.channels["c1"];
  // @everyone denies create_message; the member role re-allows it; the member override denies.
  channel.role_overrides["E"] = {{}, PermissionSet::Of({Permission::kCreateMessage})};
  channel.role_overrides["U"] = {PermissionSet::Of({Permission::kCreateMessage}), {}};
  EXPECT_TRUE(EvaluateChannel(g, "alice", "c1")->permissions.Has(Permission::kCreateMessage));
  channel.member_overrides["alice"] = {{}, PermissionSet::Of({Permission::kCreateMessage})};
  EXPECT_FALSE(EvaluateChannel(g, "alice", "c1")->permissions.Has(Permission::kCreateMessage));
}

TEST(EvaluateChannel, DenyWinsInsideOneLayer) {
  GuildAuthz g = SeededGuild();
  g.channels["c1"].member_overrides["alice"] = {PermissionSet::Of({Permission::kPublishVideo}),
                                                PermissionSet::Of({Permission::kPublishVideo})};
  EXPECT_FALSE(EvaluateChannel(g, "alice", "c1")->permissions.Has(Permission::kPublishVideo));
}

TEST(EvaluateChannel, OwnerIgnoresOverrides) {
  GuildAuthz g = SeededGuild();
  g.channels["c1"].member_overrides["owner"] = {{}, PermissionSet::All()};
  EXPECT_EQ(EvaluateChannel(g, "owner", "c1")->permissions, PermissionSet::All());
}

TEST(EvaluateChannel, RoleOverridesOfAllAssignedRolesAreUnioned) {
  GuildAuthz g = SeededGuild();
  g.roles["R"] = {"R", 5, "", {}};
  g.members["alice"].assigned_role_ids.insert("R");
  auto& channel = g.channels["c1"];
  channel.role_overrides["U"] = {PermissionSet::Of({Permission::kPublishVideo}), {}};
  channel.role_overrides["R"] = {PermissionSet::Of({Permission::kPublishScreenShare}), {}};
  auto result = EvaluateChannel(g, "alice", "c1");
  EXPECT_TRUE(result->permissions.Has(Permission::kPublishVideo));
  EXPECT_TRUE(result->permissions.Has(Permission::kPublishScreenShare));
}

TEST(Permissions, NamesRoundTripInBitOrder) {
  EXPECT_EQ(PermissionSet::All().Names().size(), 12u);
  EXPECT_EQ(PermissionSet::All().Names().front(), "manage_roles");
  EXPECT_EQ(ParsePermission("subscribe_streams"), Permission::kSubscribeStreams);
  EXPECT_FALSE(ParsePermission("not_a_permission").has_value());
  EXPECT_EQ(PermissionSet::FromBits(~uint64_t{0}), PermissionSet::All());
}

}  // namespace
}  // namespace filament::commands
