#include "commands/guild/workspace.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;

TEST(CreateGuild, SeedsTheGuildWithItsCreatorAsOwner) {
  CreateGuild cmd{kGuild, "Guild", "public", kOwner, "E1", "E2", "E3", "E4", 100, 0, 5};
  auto result = Decide(GuildState{}, cmd);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->size(), 1u);
  GuildState state = Fold(*result);
  EXPECT_EQ(state.authz.members.at(kOwner).legacy_role, LegacyRole::kOwner);
}

TEST(CreateGuild, CreatorCapIsEnforced) {
  CreateGuild cmd{kGuild, "Guild", "public", kOwner, "E1", "E2", "E3", "E4", 100, 5, 5};
  auto result = Decide(GuildState{}, cmd);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, "guild_creation_limit_reached");
}

TEST(CreateGuild, BadNameOrVisibilityIsInvalid) {
  CreateGuild cmd{kGuild, "", "public", kOwner, "E1", "E2", "E3", "E4", 100, 0, 5};
  EXPECT_EQ(Decide(GuildState{}, cmd).error().code, core::ErrorCode::kInvalidArgument);
  cmd.name = "ok";
  cmd.visibility = "secret";
  EXPECT_EQ(Decide(GuildState{}, cmd).error().code, core::ErrorCode::kInvalidArgument);
}

TEST(JoinGuild, PublicGuildAcceptsThenSaysAlreadyMember) {
  GuildState guild = Fold({Created()});
  auto first = Decide(guild, JoinGuild{kGuild, kBob, 102});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  Apply(guild, first->at(0));
  auto second = Decide(guild, JoinGuild{kGuild, kBob, 103});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->empty());
}

TEST(JoinGuild, PrivateAndUnknownGuildsLookTheSame) {
  EXPECT_EQ(Decide(Fold({Created("private")}), JoinGuild{kGuild, kBob, 1}).error().code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(Decide(GuildState{}, JoinGuild{kGuild, kBob, 1}).error().code,
            core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace filament::commands
