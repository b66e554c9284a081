#include "commands/guild/channels.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;

TEST(CreateChannel, OwnerMayCreate) {
  GuildState guild = Fold({Created()});
  auto result = Decide(guild, CreateChannel{kGuild, kChannel, "general", "text", kOwner, 101});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(std::get<events::ChannelCreated>(result->at(0)).name, "general");
}

TEST(CreateChannel, PlainMemberIsRejected) {
  GuildState guild = Fold({Created(), BobJoined()});
  auto result = Decide(guild, CreateChannel{kGuild, kChannel, "general", "text", kBob, 101});
  EXPECT_EQ(result.error().code, core::ErrorCode::kPermissionDenied);
}

TEST(CreateChannel, NameIsCheckedBeforePermission) {
  GuildState guild = Fold({Created()});
  auto result = Decide(guild, CreateChannel{kGuild, kChannel, "", "text", kBob, 101});
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace filament::commands
