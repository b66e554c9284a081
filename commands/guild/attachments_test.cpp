#include "commands/guild/attachments.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;

UploadAttachment UploadBy(const std::string& owner, std::string filename = "a.txt") {
  return UploadAttachment{kGuild,       kChannel, kAttachment,          owner, std::move(filename),
                          "text/plain", 10,       std::string(64, 'a'), 104};
}

TEST(UploadAttachment, MemberMayUpload) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined()});
  auto result = Decide(guild, UploadBy(kBob));
  ASSERT_TRUE(result.ok());
  Apply(guild, result->at(0));
  EXPECT_EQ(guild.attachments.at(kAttachment).owner_id, kBob);
}

TEST(UploadAttachment, FilenameRules) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined()});
  for (std::string bad : {std::string(), std::string("a/b"), std::string("a\\b"),
                          std::string("a\0b", 3), std::string(129, 'x')}) {
    EXPECT_EQ(Decide(guild, UploadBy(kBob, bad)).error().code, core::ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(Decide(guild, UploadBy(kBob, std::string(128, 'x'))).ok());
}

TEST(UploadAttachment, NonMemberOrUnknownChannelIsForbidden) {
  GuildState guild = Fold({Created(), ChannelMade()});
  EXPECT_EQ(Decide(guild, UploadBy(kBob)).error().code, core::ErrorCode::kPermissionDenied);
  guild = Fold({Created(), BobJoined()});
  EXPECT_EQ(Decide(guild, UploadBy(kBob)).error().code, core::ErrorCode::kPermissionDenied);
}

TEST(DeleteAttachment, OwnerOrModeratorOnly) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Uploaded(kOwner)});
  DeleteAttachment cmd{kGuild, kChannel, kAttachment, kBob, 105};
  EXPECT_EQ(Decide(guild, cmd).error().code, core::ErrorCode::kPermissionDenied);
  cmd.actor_id = kOwner;
  EXPECT_TRUE(Decide(guild, cmd).ok());
  guild = Fold({Created(), ChannelMade(), BobJoined(), Uploaded(kBob)});
  cmd.actor_id = kBob;
  auto result = Decide(guild, cmd);
  ASSERT_TRUE(result.ok());
  Apply(guild, result->at(0));
  EXPECT_EQ(Decide(guild, cmd).error().code, core::ErrorCode::kNotFound);
}

TEST(DeleteAttachment, BoundAttachmentLeavesItsMessage) {
  GuildState guild =
      Fold({Created(), ChannelMade(), BobJoined(), Uploaded(kBob), Posted(kBob, {kAttachment})});
  auto result = Decide(guild, DeleteAttachment{kGuild, kChannel, kAttachment, kBob, 105});
  ASSERT_TRUE(result.ok());
  Apply(guild, result->at(0));
  EXPECT_TRUE(guild.messages.at(kMessage).attachment_ids.empty());
}

}  // namespace
}  // namespace filament::commands
