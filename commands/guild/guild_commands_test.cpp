#include "commands/guild/guild_commands.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

const std::string kGuild = "01J00000000000000000000001";
const std::string kOwner = "01J000000000000000000000A1";
const std::string kBob = "01J000000000000000000000B1";
const std::string kChannel = "01J000000000000000000000C1";

events::GuildCreated Created(std::string visibility = "public") {
  return events::GuildCreated{.guild_id = kGuild,
                              .name = "Guild",
                              .visibility = std::move(visibility),
                              .creator_user_id = kOwner,
                              .everyone_role_id = "01J000000000000000000000E1",
                              .owner_role_id = "01J000000000000000000000E2",
                              .moderator_role_id = "01J000000000000000000000E3",
                              .member_role_id = "01J000000000000000000000E4",
                              .created_at_unix = 100};
}

events::ChannelCreated ChannelMade() {
  return events::ChannelCreated{.guild_id = kGuild,
                                .channel_id = kChannel,
                                .name = "general",
                                .kind = "text",
                                .created_at_unix = 101};
}

events::MemberJoined BobJoined() {
  return events::MemberJoined{.guild_id = kGuild,
                              .user_id = kBob,
                              .role = "member",
                              .source = "directory",
                              .joined_at_unix = 102};
}

PostMessage PostBy(const std::string& author, std::string content = "hello") {
  return PostMessage{kGuild, kChannel, "01J000000000000000000000M1", author, std::move(content),
                     {},     103};
}

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
