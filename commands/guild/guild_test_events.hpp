#pragma once

#include <string>

#include "commands/guild/guild_state.hpp"

// Example events of one guild shared by the guild decider tests (test-only).
namespace filament::commands::guild_testing {

inline const std::string kGuild = "01J00000000000000000000001";
inline const std::string kOwner = "01J000000000000000000000A1";
inline const std::string kBob = "01J000000000000000000000B1";
inline const std::string kChannel = "01J000000000000000000000C1";
inline const std::string kMod = "01J000000000000000000000D1";
inline const std::string kCarol = "01J000000000000000000000F1";
inline const std::string kEveryoneRole = "01J000000000000000000000E1";
inline const std::string kOwnerRole = "01J000000000000000000000E2";
inline const std::string kModeratorRole = "01J000000000000000000000E3";
inline const std::string kMemberRole = "01J000000000000000000000E4";
inline const std::string kCustomRole = "01J000000000000000000000R1";

inline events::GuildCreated Created(std::string visibility = "public") {
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

inline events::ChannelCreated ChannelMade() {
  return events::ChannelCreated{.guild_id = kGuild,
                                .channel_id = kChannel,
                                .name = "general",
                                .kind = "text",
                                .created_at_unix = 101};
}

inline events::MemberJoined BobJoined() {
  return events::MemberJoined{.guild_id = kGuild,
                              .user_id = kBob,
                              .role = "member",
                              .source = "directory",
                              .joined_at_unix = 102};
}

inline const std::string kMessage = "01J000000000000000000000M1";
inline const std::string kAttachment = "01J000000000000000000000F1";

inline events::MessagePosted Posted(const std::string& author,
                                    std::vector<std::string> attachment_ids = {}) {
  return events::MessagePosted{.guild_id = kGuild,
                               .channel_id = kChannel,
                               .message_id = kMessage,
                               .author_id = author,
                               .content = "hello",
                               .attachment_ids = std::move(attachment_ids),
                               .created_at_unix = 103};
}

inline events::AttachmentUploaded Uploaded(const std::string& owner,
                                           std::string channel = kChannel) {
  return events::AttachmentUploaded{.guild_id = kGuild,
                                    .channel_id = std::move(channel),
                                    .attachment_id = kAttachment,
                                    .owner_id = owner,
                                    .filename = "a.txt",
                                    .mime_type = "text/plain",
                                    .size_bytes = 10,
                                    .sha256_hex = std::string(64, 'a'),
                                    .uploaded_at_unix = 103};
}

inline events::MemberJoined Joined(const std::string& user_id) {
  events::MemberJoined e = BobJoined();
  e.user_id = user_id;
  return e;
}

inline events::MemberRoleChanged MadeModerator(const std::string& user_id) {
  return events::MemberRoleChanged{kGuild, user_id, "moderator", 103};
}

inline events::RoleCreated CustomRole(int64_t position, std::vector<std::string> permissions) {
  return events::RoleCreated{.guild_id = kGuild,
                             .role_id = kCustomRole,
                             .name = "custom",
                             .position = position,
                             .permissions = std::move(permissions),
                             .created_at_unix = 104};
}

// Owner, Bob (member), Mod (moderator), Carol (member), one channel.
inline GuildState Populated() {
  return Fold(
      {Created(), ChannelMade(), BobJoined(), Joined(kMod), MadeModerator(kMod), Joined(kCarol)});
}

}  // namespace filament::commands::guild_testing
