#pragma once

#include <string>

#include "commands/guild/guild_state.hpp"

// Example events of one guild shared by the guild decider tests (test-only).
namespace filament::commands::guild_testing {

inline const std::string kGuild = "01J00000000000000000000001";
inline const std::string kOwner = "01J000000000000000000000A1";
inline const std::string kBob = "01J000000000000000000000B1";
inline const std::string kChannel = "01J000000000000000000000C1";

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

}  // namespace filament::commands::guild_testing
