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

TEST(PostMessage, BindsAnUnboundUploadOfTheAuthor) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Uploaded(kBob)});
  PostMessage cmd = PostBy(kBob, "");
  cmd.attachment_ids = {kAttachment};
  auto result = Decide(guild, cmd);
  ASSERT_TRUE(result.ok());
  Apply(guild, result->at(0));
  EXPECT_EQ(guild.attachments.at(kAttachment).message_id, kMessage);
  // A bound attachment cannot be bound again.
  cmd.message_id = "01J000000000000000000000M2";
  EXPECT_EQ(Decide(guild, cmd).error().code, core::ErrorCode::kInvalidArgument);
}

TEST(PostMessage, AnotherUsersOrChannelsUploadIsInvalid) {
  PostMessage cmd = PostBy(kBob, "");
  cmd.attachment_ids = {kAttachment};
  GuildState others = Fold({Created(), ChannelMade(), BobJoined(), Uploaded(kOwner)});
  EXPECT_EQ(Decide(others, cmd).error().code, core::ErrorCode::kInvalidArgument);
  GuildState elsewhere =
      Fold({Created(), ChannelMade(), BobJoined(), Uploaded(kBob, "01J000000000000000000000C2")});
  EXPECT_EQ(Decide(elsewhere, cmd).error().code, core::ErrorCode::kInvalidArgument);
}

EditMessage EditBy(const std::string& editor, std::string content = "edited") {
  return EditMessage{kGuild, kChannel, kMessage, editor, std::move(content), 110};
}

TEST(EditMessage, AuthorEditIsNotModeration) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  auto result = Decide(guild, EditBy(kBob));
  ASSERT_TRUE(result.ok());
  const auto& edited = std::get<events::MessageEdited>(result->at(0));
  EXPECT_EQ(edited.content, "edited");
  EXPECT_EQ(edited.author_id, kBob);
  EXPECT_EQ(edited.moderation, false);
}

TEST(EditMessage, OwnerEditOfAnotherIsModeration) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  auto result = Decide(guild, EditBy(kOwner));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(std::get<events::MessageEdited>(result->at(0)).moderation, true);
}

TEST(EditMessage, MemberMayNotEditAnothersMessage) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kOwner)});
  EXPECT_EQ(Decide(guild, EditBy(kBob)).error().code, core::ErrorCode::kPermissionDenied);
}

TEST(EditMessage, EmptyOrLongContentIsInvalid) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  EXPECT_EQ(Decide(guild, EditBy(kBob, "")).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(guild, EditBy(kBob, std::string(2001, 'x'))).error().code,
            core::ErrorCode::kInvalidArgument);
}

TEST(EditMessage, UnknownOrDeletedMessageIsNotFound) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined()});
  EXPECT_EQ(Decide(guild, EditBy(kBob)).error().code, core::ErrorCode::kNotFound);
  guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kBob)});
  auto deleted = Decide(guild, DeleteMessage{kGuild, kChannel, kMessage, kBob, 111});
  ASSERT_TRUE(deleted.ok());
  Apply(guild, deleted->at(0));
  EXPECT_EQ(Decide(guild, EditBy(kBob)).error().code, core::ErrorCode::kNotFound);
}

TEST(EditMessage, NonMemberIsRejected) {
  GuildState guild = Fold({Created(), ChannelMade(), Posted(kOwner)});
  EXPECT_EQ(Decide(guild, EditBy(kBob)).error().code, core::ErrorCode::kPermissionDenied);
}

TEST(DeleteMessage, CarriesBoundAttachmentsAndFreesThem) {
  GuildState guild =
      Fold({Created(), ChannelMade(), BobJoined(), Uploaded(kBob), Posted(kBob, {kAttachment})});
  auto result = Decide(guild, DeleteMessage{kGuild, kChannel, kMessage, kOwner, 111});
  ASSERT_TRUE(result.ok());
  const auto& deleted = std::get<events::MessageDeleted>(result->at(0));
  EXPECT_EQ(deleted.attachment_ids, std::vector<std::string>{kAttachment});
  EXPECT_EQ(deleted.moderation, true);
  EXPECT_EQ(deleted.author_id, kBob);
  Apply(guild, result->at(0));
  EXPECT_TRUE(guild.attachments.empty());
  EXPECT_TRUE(guild.messages.empty());
}

TEST(DeleteMessage, MemberMayNotDeleteAnothersMessage) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined(), Posted(kOwner)});
  EXPECT_EQ(Decide(guild, DeleteMessage{kGuild, kChannel, kMessage, kBob, 111}).error().code,
            core::ErrorCode::kPermissionDenied);
}

TEST(PostMessage, UnknownAttachmentIsInvalid) {
  GuildState guild = Fold({Created(), ChannelMade(), BobJoined()});
  PostMessage cmd = PostBy(kBob, "");
  cmd.attachment_ids = {"01J000000000000000000000F1"};
  EXPECT_EQ(Decide(guild, cmd).error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace filament::commands
