#include "commands/guild/messages.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;

PostMessage PostBy(const std::string& author, std::string content = "hello") {
  return PostMessage{kGuild, kChannel, "01J000000000000000000000M1", author, std::move(content),
                     {},     103};
}

TEST(PostMessage, MemberMayPost) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined()});
  auto result = Decide(guild, PostBy(kBob));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(std::get<events::MessagePosted>(result->at(0)).content, "hello");
}

TEST(PostMessage, NonMemberIsRejected) {
  GuildState guild = Fold({Created(), ChannelMade()});
  EXPECT_EQ(Decide(guild, PostBy(kBob)).error().code, core::ErrorCode::kPermissionDenied);
}

TEST(PostMessage, UnknownChannelIsNotFound) {
  GuildState guild = Fold({Created(), BobJoined()});
  EXPECT_EQ(Decide(guild, PostBy(kBob)).error().code, core::ErrorCode::kNotFound);
}

TEST(PostMessage, ContentOver2000BytesIsInvalid) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined()});
  EXPECT_EQ(Decide(guild, PostBy(kBob, std::string(2001, 'x'))).error().code,
            core::ErrorCode::kInvalidArgument);
}

TEST(PostMessage, UnknownAttachmentIsInvalid) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined()});
  PostMessage cmd = PostBy(kBob, "");
  cmd.attachment_ids = {"01J000000000000000000000F1"};
  EXPECT_EQ(Decide(guild, cmd).error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace filament::commands
