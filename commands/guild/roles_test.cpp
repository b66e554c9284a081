#include "commands/guild/roles.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;
using core::ErrorCode;

Actor As(const std::string& user_id) { return Actor{user_id, false}; }
const Actor kServerOwner{"01J000000000000000000000S9", true};
const std::string kNewRole = "01J000000000000000000000R2";

CreateRole Create(const Actor& a, std::optional<int64_t> position = std::nullopt) {
  return CreateRole{
      kGuild,   a,           kNewRole, "helpers", PermissionSet::Of({Permission::kDeleteMessage}),
      position, " #a1b2c3 ", 10};
}

// Populated() plus a moderator holding manage_workspace_roles through a custom role at 50.
GuildState WithRoleManager() {
  GuildState g = Populated();
  Apply(g, CustomRole(50, {"manage_workspace_roles", "manage_member_roles"}));
  Apply(g, events::RoleAssigned{kGuild, kMod, kCustomRole, 105});
  return g;
}

TEST(CreateRole, OwnerCreatesWithNormalizedFields) {
  auto created = Decide(Populated(), Create(As(kOwner)));
  ASSERT_TRUE(created.ok());
  const auto& e = std::get<events::RoleCreated>(created->at(0));
  EXPECT_EQ(e.color_hex, "#A1B2C3");
  EXPECT_EQ(e.position, 9999);
  EXPECT_EQ(e.permissions, std::vector<std::string>{"delete_message"});
}

TEST(CreateRole, HierarchyAndPermission) {
  GuildState g = WithRoleManager();
  EXPECT_EQ(Decide(Populated(), Create(As(kMod))).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Decide(g, Create(As(kBob))).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Decide(g, Create(As(kMod), 100)).error().code, ErrorCode::kPermissionDenied);
  auto below = Decide(g, Create(As(kMod)));
  ASSERT_TRUE(below.ok());
  EXPECT_EQ(std::get<events::RoleCreated>(below->at(0)).position, 99);
  EXPECT_TRUE(Decide(g, Create(kServerOwner, 20000)).ok());
}

TEST(CreateRole, NameColourAndCap) {
  GuildState g = Populated();
  CreateRole bad = Create(As(kOwner));
  bad.name = " Workspace_Owner ";
  EXPECT_EQ(Decide(g, bad).error().code, ErrorCode::kInvalidArgument);
  bad.name = std::string(33, 'a');
  EXPECT_EQ(Decide(g, bad).error().code, ErrorCode::kInvalidArgument);
  bad.name = "ok";
  bad.color_hex = "#12345G";
  EXPECT_EQ(Decide(g, bad).error().code, ErrorCode::kInvalidArgument);
  for (int i = 0; g.authz.roles.size() < kMaxGuildRoles; ++i) {
    auto e = CustomRole(2, {});
    e.role_id = "01J0000000000000000000" + std::to_string(1000 + i);
    Apply(g, e);
  }
  EXPECT_EQ(Decide(g, Create(As(kOwner))).error().reason, "quota_exceeded");
}

TEST(UpdateRole, SystemRolesOnlyByServerOwnerAndColourClears) {
  GuildState g = WithRoleManager();
  UpdateRole update{kGuild, As(kOwner), kEveryoneRole, "x", std::nullopt, false, std::nullopt, 1};
  EXPECT_EQ(Decide(g, update).error().code, ErrorCode::kPermissionDenied);
  update.actor = kServerOwner;
  EXPECT_TRUE(Decide(g, update).ok());
  update = UpdateRole{kGuild,       As(kOwner), kCustomRole,  std::nullopt,
                      std::nullopt, true,       std::nullopt, 1};
  auto cleared = Decide(g, update);
  ASSERT_TRUE(cleared.ok());
  EXPECT_TRUE(std::get<events::RoleUpdated>(cleared->at(0)).color_cleared.value_or(false));
  update.color_present = false;
  EXPECT_EQ(Decide(g, update).error().code, ErrorCode::kInvalidArgument);
  update.role_id = "bad";
  EXPECT_EQ(Decide(g, update).error().code, ErrorCode::kInvalidArgument);
  update = UpdateRole{kGuild, As(kOwner), kNewRole, "n", std::nullopt, false, std::nullopt, 1};
  EXPECT_EQ(Decide(g, update).error().code, ErrorCode::kNotFound);
  update = UpdateRole{kGuild, As(kMod), kModeratorRole, "n", std::nullopt, false, {}, 1};
  EXPECT_EQ(Decide(g, update).error().code, ErrorCode::kPermissionDenied);  // 100 >= 100
}

TEST(DeleteRole, RemovesAssignmentsAndResyncsLegacyRole) {
  GuildState g = WithRoleManager();
  EXPECT_EQ(Decide(g, DeleteRole{kGuild, As(kOwner), kOwnerRole, 1}).error().code,
            ErrorCode::kPermissionDenied);
  auto deleted = Decide(g, DeleteRole{kGuild, As(kOwner), kModeratorRole, 1});
  ASSERT_TRUE(deleted.ok());
  Apply(g, deleted->at(0));
  EXPECT_EQ(g.authz.members.at(kMod).legacy_role, LegacyRole::kMember);
  EXPECT_FALSE(EvaluateGuild(g.authz, kMod)->permissions.Has(Permission::kBanMember));
}

TEST(ReorderRoles, FirstListedGetsHighestPosition) {
  GuildState g = WithRoleManager();
  ReorderRoles reorder{kGuild, As(kOwner), {kMemberRole, kCustomRole}, 1};
  auto reordered = Decide(g, reorder);
  ASSERT_TRUE(reordered.ok());
  Apply(g, reordered->at(0));
  EXPECT_EQ(g.authz.roles.at(kMemberRole).position, 2);
  EXPECT_EQ(g.authz.roles.at(kCustomRole).position, 1);
  reorder.role_ids = {kMemberRole, kMemberRole};
  EXPECT_EQ(Decide(g, reorder).error().code, ErrorCode::kInvalidArgument);
  reorder.role_ids = {kNewRole};
  EXPECT_EQ(Decide(g, reorder).error().code, ErrorCode::kInvalidArgument);
  reorder.role_ids = {kEveryoneRole};
  EXPECT_EQ(Decide(g, reorder).error().code, ErrorCode::kPermissionDenied);
  reorder.role_ids = {};
  EXPECT_EQ(Decide(g, reorder).error().code, ErrorCode::kInvalidArgument);
}

TEST(SetDefaultJoinRole, RejectsSystemAndUnknownRoles) {
  GuildState g = WithRoleManager();
  EXPECT_TRUE(Decide(g, SetDefaultJoinRole{kGuild, As(kOwner), kCustomRole, 1}).ok());
  EXPECT_TRUE(Decide(g, SetDefaultJoinRole{kGuild, As(kOwner), std::nullopt, 1}).ok());
  EXPECT_EQ(Decide(g, SetDefaultJoinRole{kGuild, As(kOwner), kOwnerRole, 1}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(Decide(g, SetDefaultJoinRole{kGuild, As(kOwner), kNewRole, 1}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(g, SetDefaultJoinRole{kGuild, As(kBob), kCustomRole, 1}).error().code,
            ErrorCode::kPermissionDenied);
}

TEST(AssignRole, RulesAndIdempotence) {
  GuildState g = WithRoleManager();
  auto assign = [&](const Actor& a, const std::string& role, const std::string& user) {
    return Decide(g, AssignRole{kGuild, a, role, user, 1});
  };
  EXPECT_EQ(assign(As(kOwner), kEveryoneRole, kBob).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(assign(As(kOwner), kOwnerRole, kBob).error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(assign(kServerOwner, kOwnerRole, kBob).ok());
  EXPECT_EQ(assign(As(kMod), kModeratorRole, kBob).error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(assign(As(kMod), kMemberRole, kBob).ok());
  EXPECT_EQ(assign(As(kBob), kMemberRole, kCarol).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(assign(As(kOwner), kNewRole, kBob).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(assign(As(kOwner), kMemberRole, kNewRole).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(assign(As(kOwner), kCustomRole, kMod)->empty());
  auto granted = assign(As(kOwner), kModeratorRole, kBob);
  Apply(g, granted->at(0));
  EXPECT_EQ(g.authz.members.at(kBob).legacy_role, LegacyRole::kModerator);
}

TEST(AssignRole, SixteenAssignmentsAtMost) {
  GuildState g = Populated();
  for (size_t i = 0; i < kMaxMemberAssignments; ++i) {
    auto role = CustomRole(2, {});
    role.role_id = "01J0000000000000000000" + std::to_string(1000 + i);
    Apply(g, role);
    Apply(g, events::RoleAssigned{kGuild, kBob, role.role_id, 1});
  }
  Apply(g, CustomRole(2, {}));
  EXPECT_EQ(Decide(g, AssignRole{kGuild, As(kOwner), kCustomRole, kBob, 1}).error().reason,
            "quota_exceeded");
}

TEST(UnassignRole, LastWorkspaceOwnerStays) {
  GuildState g = Populated();
  auto unassign = [&](const Actor& a, const std::string& role, const std::string& user) {
    return Decide(g, UnassignRole{kGuild, a, role, user, 1});
  };
  EXPECT_EQ(unassign(kServerOwner, kOwnerRole, kOwner).error().code, ErrorCode::kPermissionDenied);
  Apply(g, events::RoleAssigned{kGuild, kBob, kOwnerRole, 1});
  EXPECT_TRUE(IsWorkspaceOwner(g.authz, kBob));
  auto removed = unassign(kServerOwner, kOwnerRole, kOwner);
  ASSERT_TRUE(removed.ok());
  Apply(g, removed->at(0));
  EXPECT_EQ(g.authz.members.at(kOwner).legacy_role, LegacyRole::kMember);
  EXPECT_TRUE(unassign(As(kBob), kMemberRole, "01J000000000000000000000S1")->empty());
}

}  // namespace
}  // namespace filament::commands
