#include "commands/guild/reactions.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;

ReactToMessage React(const std::string& user, bool add, std::string emoji = "👍") {
  return ReactToMessage{kGuild, kChannel, kMessage, user, std::move(emoji), add, 120};
}

int64_t CountAfter(GuildState& guild, const ReactToMessage& cmd) {
  auto result = Decide(guild, cmd);
  EXPECT_TRUE(result.ok());
  if (!result.ok()) return -1;
  Apply(guild, result->at(0));
  return std::get<events::MessageReactionChanged>(result->at(0)).count;
}

TEST(React, AddAndRemoveAreIdempotentPerUser) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  EXPECT_EQ(CountAfter(guild, React(kBob, true)), 1);
  EXPECT_EQ(CountAfter(guild, React(kBob, true)), 1);
  EXPECT_EQ(CountAfter(guild, React(kOwner, true)), 2);
  EXPECT_EQ(CountAfter(guild, React(kBob, false)), 1);
  EXPECT_EQ(CountAfter(guild, React(kBob, false)), 1);
  EXPECT_EQ(CountAfter(guild, React(kOwner, false)), 0);
  EXPECT_TRUE(guild.messages.at(kMessage).reactions.empty());
}

TEST(React, EmojiRules) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  for (std::string bad : {std::string(), std::string("a b"), std::string(33, 'x'),
                          std::string("\xff"), std::string("x\u3000")}) {
    EXPECT_EQ(Decide(guild, React(kBob, true, bad)).error().code, core::ErrorCode::kInvalidArgument)
        << bad;
  }
  std::string thirty_two;
  for (int i = 0; i < 32; ++i) thirty_two += "é";
  EXPECT_TRUE(Decide(guild, React(kBob, true, thirty_two)).ok());
}

TEST(React, AtMost64DistinctEmoji) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  for (int i = 0; i < 64; ++i) CountAfter(guild, React(kBob, true, "e" + std::to_string(i)));
  EXPECT_EQ(Decide(guild, React(kBob, true, "new")).error().code,
            core::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Decide(guild, React(kOwner, true, "e1")).ok());  // an existing emoji still works
}

TEST(React, UnknownChannelIsForbiddenUnknownMessageNotFound) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  ReactToMessage cmd = React(kBob, true);
  cmd.channel_id = "01J000000000000000000000C9";
  EXPECT_EQ(Decide(guild, cmd).error().code, core::ErrorCode::kPermissionDenied);
  cmd = React(kBob, true);
  cmd.message_id = "01J000000000000000000000M9";
  EXPECT_EQ(Decide(guild, cmd).error().code, core::ErrorCode::kNotFound);
}

TEST(React, NonMemberIsForbidden) {
  GuildState guild = Fold({Created(), ChannelMade(), Posted(kOwner)});
  EXPECT_EQ(Decide(guild, React(kBob, true)).error().code, core::ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace filament::commands
