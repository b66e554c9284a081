#include "commands/guild/members.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"
#include "commands/guild/workspace.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;
using core::ErrorCode;

Actor As(const std::string& user_id) { return Actor{user_id, false}; }
const std::string kStranger = "01J000000000000000000000S1";
const Actor kServerOwner{"01J000000000000000000000S9", true};

core::Result<GuildEvents> Kick(const GuildState& g, const Actor& a, const std::string& target) {
  return Decide(g, KickMember{kGuild, a, target, 200});
}
core::Result<GuildEvents> Ban(const GuildState& g, const Actor& a, const std::string& target) {
  return Decide(g, BanMember{kGuild, a, target, 200});
}

TEST(ModeratorFold, LegacyPatchAssignsTheSeededRole) {
  GuildState g = Populated();
  EXPECT_EQ(g.authz.members.at(kMod).legacy_role, LegacyRole::kModerator);
  EXPECT_EQ(g.authz.members.at(kMod).assigned_role_ids.count(kModeratorRole), 1u);
  EXPECT_TRUE(EvaluateGuild(g.authz, kMod)->permissions.Has(Permission::kBanMember));
}

TEST(KickMember, HierarchyMatrix) {
  GuildState g = Populated();
  EXPECT_TRUE(Kick(g, As(kOwner), kMod).ok());
  EXPECT_TRUE(Kick(g, As(kMod), kBob).ok());
  EXPECT_TRUE(Kick(g, kServerOwner, kBob).ok());
  EXPECT_EQ(Kick(g, As(kMod), kOwner).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Kick(g, kServerOwner, kOwner).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Kick(g, As(kBob), kCarol).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Kick(g, As(kStranger), kCarol).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Kick(g, As(kOwner), "nope").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Kick(g, As(kOwner), kStranger).error().code, ErrorCode::kNotFound);
  // A plain member is refused before its bad target id is looked at.
  EXPECT_EQ(Kick(g, As(kBob), "nope").error().code, ErrorCode::kPermissionDenied);
}

TEST(KickMember, RemovesMembershipAndAssignments) {
  GuildState g = Populated();
  auto kicked = Kick(g, As(kOwner), kMod);
  ASSERT_TRUE(kicked.ok());
  Apply(g, kicked->at(0));
  EXPECT_EQ(g.authz.members.count(kMod), 0u);
  EXPECT_FALSE(EvaluateGuild(g.authz, kMod).ok());
  auto again = Decide(g, JoinGuild{kGuild, kMod, 300});
  ASSERT_TRUE(again.ok());
  Apply(g, again->at(0));
  EXPECT_EQ(g.authz.members.at(kMod).legacy_role, LegacyRole::kMember);
}

TEST(BanMember, MemberBanIsBanThenRemoveAndBlocksJoin) {
  GuildState g = Populated();
  auto banned = Ban(g, As(kMod), kBob);
  ASSERT_TRUE(banned.ok());
  ASSERT_EQ(banned->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<events::MemberBanned>(banned->at(0)));
  EXPECT_EQ(std::get<events::MemberRemoved>(banned->at(1)).reason, "ban");
  for (const auto& e : *banned) Apply(g, e);
  auto join = Decide(g, JoinGuild{kGuild, kBob, 300});
  ASSERT_TRUE(join.ok());
  const auto& outcome = std::get<events::DirectoryJoinRecorded>(join->at(0)).outcome;
  EXPECT_EQ(outcome, "rejected_user_ban");
  EXPECT_EQ(JoinRejection(outcome)->reason, "directory_join_user_banned");
  EXPECT_EQ(Decide(g, AddMember{kGuild, As(kOwner), kBob, true, 301}).error().code,
            ErrorCode::kPermissionDenied);
}

TEST(BanMember, PreemptiveBanOfNonMemberSkipsHierarchy) {
  GuildState g = Populated();
  auto banned = Ban(g, As(kMod), kStranger);
  ASSERT_TRUE(banned.ok());
  ASSERT_EQ(banned->size(), 1u);
  Apply(g, banned->at(0));
  EXPECT_TRUE(Ban(g, As(kMod), kStranger)->empty());
  EXPECT_EQ(Ban(g, As(kBob), kCarol).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Ban(g, As(kMod), kMod).error().code, ErrorCode::kPermissionDenied);
}

TEST(AddMember, PermissionThenIdThenUser) {
  GuildState g = Populated();
  EXPECT_EQ(Decide(g, AddMember{kGuild, As(kBob), "x", true, 1}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(Decide(g, AddMember{kGuild, As(kMod), "x", true, 1}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(g, AddMember{kGuild, As(kMod), kStranger, false, 1}).error().code,
            ErrorCode::kNotFound);
  auto added = Decide(g, AddMember{kGuild, As(kMod), kStranger, true, 1});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(std::get<events::MemberJoined>(added->at(0)).source, "added");
  EXPECT_TRUE(Decide(g, AddMember{kGuild, As(kMod), kBob, true, 1})->empty());
}

TEST(ChangeMemberRole, OnlyOwnerPromotesAndDemotes) {
  GuildState g = Populated();
  auto promote = [&](const Actor& a, const std::string& t, LegacyRole r) {
    return Decide(g, ChangeMemberRole{kGuild, a, t, r, 1});
  };
  EXPECT_TRUE(promote(As(kOwner), kBob, LegacyRole::kModerator).ok());
  EXPECT_TRUE(promote(As(kOwner), kMod, LegacyRole::kMember).ok());
  EXPECT_EQ(promote(As(kMod), kBob, LegacyRole::kModerator).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(promote(As(kOwner), kBob, LegacyRole::kOwner).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(promote(As(kBob), kCarol, LegacyRole::kMember).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(promote(As(kOwner), kStranger, LegacyRole::kMember).error().code, ErrorCode::kNotFound);
  auto demoted = promote(As(kOwner), kMod, LegacyRole::kMember);
  Apply(g, demoted->at(0));
  EXPECT_EQ(g.authz.members.at(kMod).legacy_role, LegacyRole::kMember);
  EXPECT_FALSE(EvaluateGuild(g.authz, kMod)->permissions.Has(Permission::kBanMember));
}

TEST(UpdateGuild, PermissionBeforeBodyAndOnlyChangedFields) {
  GuildState g = Populated();
  auto update = [&](const Actor& a, std::optional<std::string> name,
                    std::optional<std::string> visibility) {
    return Decide(g, UpdateGuild{kGuild, a, std::move(name), std::move(visibility), 5});
  };
  EXPECT_EQ(update(As(kMod), std::nullopt, std::nullopt).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(update(As(kOwner), std::nullopt, std::nullopt).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(update(As(kOwner), "", std::nullopt).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(update(As(kOwner), "Guild", "public")->empty());
  auto changed = update(As(kOwner), "Guild", "private");
  ASSERT_EQ(changed->size(), 1u);
  const auto& e = std::get<events::GuildUpdated>(changed->at(0));
  EXPECT_FALSE(e.name.has_value());
  EXPECT_EQ(e.visibility, "private");
  EXPECT_EQ(Decide(GuildState{}, UpdateGuild{kGuild, As(kOwner), "x", {}, 1}).error().code,
            ErrorCode::kNotFound);
}

TEST(JoinGuild, AcceptedJoinGetsTheDefaultJoinRole) {
  GuildState g = Fold({Created(), CustomRole(5, {"delete_message"}),
                       events::DefaultJoinRoleSet{kGuild, kCustomRole, 105}});
  auto joined = Decide(g, JoinGuild{kGuild, kBob, 106});
  ASSERT_TRUE(joined.ok());
  Apply(g, joined->at(0));
  EXPECT_TRUE(EvaluateGuild(g.authz, kBob)->permissions.Has(Permission::kDeleteMessage));
}

}  // namespace
}  // namespace filament::commands
