#pragma once

// Example domain events for tests: valid, deterministic, and consistent with each other (one
// workspace created by Alice, with a text channel, Bob joining, and Alice posting a message).
// Header-only; link filament_events_testing. Copy and modify an example to vary it:
//   auto msg = testing::MessagePostedExample();
//   msg.content = "other";

#include <string>
#include <vector>

#include "events/generated/event_types.hpp"

namespace filament::events::testing {

inline constexpr char kAliceUserId[] = "01J1A00000000000000000A11C";
inline constexpr char kBobUserId[] = "01J1A00000000000000000B0B0";
inline constexpr char kGuildId[] = "01J1A00000000000000000G01D";
inline constexpr char kChannelId[] = "01J1A00000000000000000C4A7";
inline constexpr char kMessageId[] = "01J1A00000000000000000M5G0";
inline constexpr char kAttachmentId[] = "01J1A00000000000000000A7AC";
inline constexpr char kEveryoneRoleId[] = "01J1A00000000000000000R0E0";
inline constexpr char kOwnerRoleId[] = "01J1A00000000000000000R0W0";
inline constexpr char kModeratorRoleId[] = "01J1A00000000000000000R0M0";
inline constexpr char kMemberRoleId[] = "01J1A00000000000000000R0B0";
inline constexpr int64_t kExampleUnix = 1700000000;

inline UserRegistered UserRegisteredExample(std::string user_id = kAliceUserId,
                                            std::string username = "alice") {
  return UserRegistered{.user_id = std::move(user_id),
                        .username = std::move(username),
                        .registered_at_unix = kExampleUnix};
}

inline GuildCreated GuildCreatedExample() {
  return GuildCreated{.guild_id = kGuildId,
                      .name = "Filament Friends",
                      .visibility = "private",
                      .creator_user_id = kAliceUserId,
                      .everyone_role_id = kEveryoneRoleId,
                      .owner_role_id = kOwnerRoleId,
                      .moderator_role_id = kModeratorRoleId,
                      .member_role_id = kMemberRoleId,
                      .created_at_unix = kExampleUnix + 10};
}

inline ChannelCreated ChannelCreatedExample(std::string channel_id = kChannelId,
                                            std::string kind = "text") {
  return ChannelCreated{.guild_id = kGuildId,
                        .channel_id = std::move(channel_id),
                        .name = "general",
                        .kind = std::move(kind),
                        .created_at_unix = kExampleUnix + 20};
}

inline MemberJoined MemberJoinedExample(std::string user_id = kBobUserId,
                                        std::string role = "member") {
  return MemberJoined{.guild_id = kGuildId,
                      .user_id = std::move(user_id),
                      .role = std::move(role),
                      .source = "directory",
                      .joined_at_unix = kExampleUnix + 30};
}

inline MessagePosted MessagePostedExample(std::string content = "hello, **world**") {
  return MessagePosted{.guild_id = kGuildId,
                       .channel_id = kChannelId,
                       .message_id = kMessageId,
                       .author_id = kAliceUserId,
                       .content = std::move(content),
                       .attachment_ids = {kAttachmentId},
                       .created_at_unix = kExampleUnix + 40,
                       .attachment_filenames = std::vector<std::string>{"notes.txt"},
                       .attachment_mime_types = std::vector<std::string>{"text/plain"},
                       .attachment_size_bytes = std::vector<std::string>{"12"},
                       .attachment_sha256_hex = std::vector<std::string>{std::string(64, 'c')}};
}

inline MessageEdited MessageEditedExample(std::string content = "hello, *edited* world") {
  return MessageEdited{.guild_id = kGuildId,
                       .channel_id = kChannelId,
                       .message_id = kMessageId,
                       .editor_id = kAliceUserId,
                       .content = std::move(content),
                       .edited_at_unix = kExampleUnix + 50,
                       .author_id = std::string(kAliceUserId),
                       .moderation = false};
}

inline MessageDeleted MessageDeletedExample() {
  return MessageDeleted{.guild_id = kGuildId,
                        .channel_id = kChannelId,
                        .message_id = kMessageId,
                        .deleted_by = kAliceUserId,
                        .deleted_at_unix = kExampleUnix + 60,
                        .author_id = std::string(kAliceUserId),
                        .moderation = false,
                        .attachment_ids = std::vector<std::string>{kAttachmentId}};
}

inline MessageReactionChanged MessageReactionChangedExample(std::string operation = "add") {
  return MessageReactionChanged{.guild_id = kGuildId,
                                .channel_id = kChannelId,
                                .message_id = kMessageId,
                                .user_id = kBobUserId,
                                .emoji = "\xF0\x9F\x91\x8D",
                                .operation = std::move(operation),
                                .count = 1,
                                .changed_at_unix = kExampleUnix + 55};
}

inline AttachmentUploaded AttachmentUploadedExample() {
  return AttachmentUploaded{.guild_id = kGuildId,
                            .channel_id = kChannelId,
                            .attachment_id = kAttachmentId,
                            .owner_id = kAliceUserId,
                            .filename = "notes.txt",
                            .mime_type = "text/plain",
                            .size_bytes = 12,
                            .sha256_hex = std::string(64, 'c'),
                            .uploaded_at_unix = kExampleUnix + 35};
}

inline AttachmentDeleted AttachmentDeletedExample() {
  return AttachmentDeleted{.guild_id = kGuildId,
                           .channel_id = kChannelId,
                           .attachment_id = kAttachmentId,
                           .owner_id = kAliceUserId,
                           .deleted_by = kAliceUserId,
                           .deleted_at_unix = kExampleUnix + 70};
}

inline ServerOwnerChanged ServerOwnerChangedExample() {
  return ServerOwnerChanged{.server_key = "main",
                            .owner_user_id = kAliceUserId,
                            .previous_owner_user_id = std::nullopt,
                            .changed_at_unix = kExampleUnix + 80};
}

inline UserLocked UserLockedExample() {
  return UserLocked{.server_key = "main",
                    .user_id = kBobUserId,
                    .reason = std::string("spam"),
                    .locked_at_unix = kExampleUnix + 90};
}

inline UserUnlocked UserUnlockedExample() {
  return UserUnlocked{
      .server_key = "main", .user_id = kBobUserId, .unlocked_at_unix = kExampleUnix + 95};
}

inline UserPasswordReset UserPasswordResetExample() {
  return UserPasswordReset{.server_key = "main",
                           .user_id = kBobUserId,
                           .reset_id = "01J1A00000000000000000RE5E",
                           .reset_at_unix = kExampleUnix + 99};
}

// The voice stream of Alice (ADR 0054): a token, a join, an update, a stream on and off, a leave.
inline std::vector<Event> VoiceEventExamples() {
  const std::string identity = std::string("u.") + kAliceUserId + "." + kGuildId + "." + kChannelId;
  const auto t = kExampleUnix + 100;
  return {
      VoiceTokenIssued{kAliceUserId, kGuildId, kChannelId, true, true, {"microphone"}, t, t + 300},
      VoiceParticipantJoined{kAliceUserId, kGuildId, kChannelId, identity, false, false, t,
                             t + 300},
      VoiceParticipantUpdated{.user_id = kAliceUserId,
                              .guild_id = kGuildId,
                              .channel_id = kChannelId,
                              .identity = identity,
                              .is_muted = true,
                              .updated_at_unix = t + 1},
      VoiceStreamPublished{kAliceUserId, kGuildId, kChannelId, identity, "microphone", t},
      VoiceStreamUnpublished{kAliceUserId, kGuildId, kChannelId, identity, "microphone", t + 2},
      VoiceParticipantLeft{kAliceUserId, kGuildId, kChannelId, identity, "leave", t + 2},
  };
}

inline constexpr char kSessionId[] = "01J1A00000000000000000S355";
inline constexpr char kFriendRequestId[] = "01J1A00000000000000000F4E0";

// "<alice>.<bob>": the friendship stream key of Alice and Bob (lower id first).
inline std::string AliceBobPairKey() { return std::string(kAliceUserId) + "." + kBobUserId; }

// The identity events (sessions, profile, friends), one of each, in schema order.
inline std::vector<Event> IdentityEventExamples() {
  const std::string sha(64, 'a');
  return {
      SessionStarted{kAliceUserId, kSessionId, kExampleUnix + 1, kExampleUnix + 2592001},
      SessionRotated{kAliceUserId, kSessionId, kExampleUnix + 2, kExampleUnix + 2592002},
      SessionRevoked{kAliceUserId, kSessionId, "replay", kExampleUnix + 3},
      ProfileUpdated{kAliceUserId, "alice2", "about *me*", kExampleUnix + 4},
      ProfileAvatarChanged{kAliceUserId, kExampleUnix + 5, "avatars/01J1A00000000000000000A11C", 68,
                           "image/png", sha, kExampleUnix + 5},
      ProfileBannerChanged{kAliceUserId, kExampleUnix + 6, "banners/01J1A00000000000000000A11C", 68,
                           "image/gif", sha, kExampleUnix + 6},
      FriendRequestSent{AliceBobPairKey(), kFriendRequestId, kAliceUserId, "alice", kBobUserId,
                        "bob", kExampleUnix + 7},
      FriendRequestAccepted{AliceBobPairKey(), kFriendRequestId, kAliceUserId, "alice", kBobUserId,
                            "bob", kExampleUnix + 8},
      FriendRequestDeleted{AliceBobPairKey(), kFriendRequestId, kAliceUserId, kBobUserId,
                           kExampleUnix + 9},
      FriendshipRemoved{AliceBobPairKey(), kBobUserId, kAliceUserId, kExampleUnix + 10},
  };
}

// One example of every domain event type, in schema order.
// The governance events of one workspace (roles, members, overrides, IP bans), in an order a
// guild stream could hold them.
inline std::vector<Event> GovernanceEventExamples() {
  const std::string g = kGuildId, bob = kBobUserId, role = "01J1A00000000000000000R0C0";
  const std::string ban = "01J1A00000000000000000BA00", obs = "01J1A00000000000000000AB50";
  const int64_t t = kExampleUnix + 10;
  return {
      GuildUpdated{.guild_id = g, .name = "Renamed", .visibility = "public", .updated_at_unix = t},
      RoleCreated{.guild_id = g,
                  .role_id = role,
                  .name = "helpers",
                  .position = 50,
                  .permissions = {"delete_message"},
                  .color_hex = "#11AA22",
                  .created_at_unix = t},
      RoleUpdated{.guild_id = g, .role_id = role, .name = "helpers2", .updated_at_unix = t},
      RolesReordered{.guild_id = g, .role_ids = {role}, .updated_at_unix = t},
      DefaultJoinRoleSet{.guild_id = g, .role_id = role, .updated_at_unix = t},
      RoleAssigned{.guild_id = g, .user_id = bob, .role_id = role, .assigned_at_unix = t},
      RoleUnassigned{.guild_id = g, .user_id = bob, .role_id = role, .removed_at_unix = t},
      RoleDeleted{.guild_id = g, .role_id = role, .deleted_at_unix = t},
      MemberRoleChanged{.guild_id = g, .user_id = bob, .role = "moderator", .updated_at_unix = t},
      LegacyChannelOverrideSet{.guild_id = g,
                               .channel_id = kChannelId,
                               .role = "member",
                               .role_id = kMemberRoleId,
                               .allow = {"create_message"},
                               .deny = {"delete_message"},
                               .updated_at_unix = t},
      ChannelPermissionOverrideSet{.guild_id = g,
                                   .channel_id = kChannelId,
                                   .target_kind = "member",
                                   .target_id = bob,
                                   .allow = {},
                                   .deny = {"create_message"},
                                   .updated_at_unix = t},
      DirectoryJoinRecorded{
          .guild_id = g, .user_id = bob, .outcome = "already_member", .at_unix = t},
      IpBansUpdated{.guild_id = g,
                    .action = "upsert",
                    .ban_ids = {ban},
                    .observation_ids = {obs},
                    .source_user_id = bob,
                    .reason = "spam",
                    .at_unix = t},
      IpBanHit{.guild_id = g, .user_id = bob, .ban_id = ban, .hit_at_unix = t},
      MemberBanned{.guild_id = g, .user_id = bob, .banned_at_unix = t},
      MemberRemoved{.guild_id = g, .user_id = bob, .reason = "ban", .removed_at_unix = t},
  };
}

inline std::vector<Event> AllEventExamples() {
  std::vector<Event> all{UserRegisteredExample()};
  for (auto& e : IdentityEventExamples()) all.push_back(std::move(e));
  for (Event e :
       {Event{GuildCreatedExample()}, Event{ChannelCreatedExample()}, Event{MemberJoinedExample()},
        Event{MessagePostedExample()}, Event{MessageEditedExample()},
        Event{MessageDeletedExample()}, Event{MessageReactionChangedExample()},
        Event{AttachmentUploadedExample()}, Event{AttachmentDeletedExample()},
        Event{ServerOwnerChangedExample()}, Event{UserLockedExample()},
        Event{UserUnlockedExample()}, Event{UserPasswordResetExample()}}) {
    all.push_back(std::move(e));
  }
  for (auto& e : GovernanceEventExamples()) all.push_back(std::move(e));
  for (auto& e : VoiceEventExamples()) all.push_back(std::move(e));
  return all;
}

}  // namespace filament::events::testing
