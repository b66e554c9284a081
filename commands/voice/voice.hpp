#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands/voice/voice_state.hpp"
#include "core/result.hpp"

// Voice participation (REST_API.md §4.14, GATEWAY.md §8), decided on the user's voice stream
// with the registry of all voice streams for the server-wide caps (ADR 0054). Timestamps and
// limits are command fields: the deciders read no clock and no configuration.
namespace filament::commands {

// "u.<user_id>.<guild_id>.<channel_id>" and "filament.voice.<guild_id>.<channel_id>".
std::string VoiceIdentity(const std::string& user_id, const std::string& guild_id,
                          const std::string& channel_id);
std::string VoiceRoom(const std::string& guild_id, const std::string& channel_id);

// POST …/voice/token once the route has checked access and filtered the sources.
struct IssueVoiceToken {
  std::string user_id;
  std::string guild_id;
  std::string channel_id;
  std::vector<std::string> sources;  // effective publish sources, in StreamKind order
  bool can_subscribe = false;
  int64_t now_unix = 0;
  int64_t ttl_secs = 300;
  int64_t max_channels = 1024;  // tracked voice channels, server-wide
  int64_t max_participants_per_channel = 512;
};

// POST …/voice/state: only the keys present are compared and reported.
struct SetVoiceState {
  std::string user_id;
  std::string guild_id;
  std::string channel_id;
  std::optional<bool> is_muted;
  std::optional<bool> is_deafened;
  int64_t now_unix = 0;
};

// Ends the user's participation: unpublish per stream, then leave. Filters: an empty guild
// (or channel) id matches any; `only_if_expired` removes it only when its token has expired
// (the sweeper's check, made under the stream's lock so a fresh token wins).
struct RemoveVoiceParticipant {
  std::string user_id;
  std::string guild_id;
  std::string channel_id;
  std::string reason;  // leave, move, expired, disconnect, kick, ban, permission
  int64_t now_unix = 0;
  bool only_if_expired = false;
};

// Always ends with VoiceTokenIssued (the audit's media.token.issue). Before it: the removal
// from another channel (or of an expired participation) with reason move/expired, then a join
// (new participant) or an update of is_speaking/is_video_enabled/is_screen_share_enabled
// (re-issue), unpublish for dropped sources, publish for new ones.
// Errors: kInvalidArgument (no source and no subscribe), kResourceExhausted (the channel holds
// max_participants_per_channel others, or it is a new channel and max_channels are tracked).
core::Result<VoiceEvents> Decide(const VoiceView& view, const IssueVoiceToken& cmd);
// No events when the user is not an unexpired participant of that channel or nothing changed.
// Errors: kInvalidArgument (neither key present).
core::Result<VoiceEvents> Decide(const VoiceView& view, const SetVoiceState& cmd);
// No events when nothing matches (idempotent).
core::Result<VoiceEvents> Decide(const VoiceView& view, const RemoveVoiceParticipant& cmd);

}  // namespace filament::commands
