#include "commands/voice/voice.hpp"

#include <algorithm>

namespace filament::commands {
namespace {

bool Has(const std::vector<std::string>& sources, const char* kind) {
  return std::find(sources.begin(), sources.end(), kind) != sources.end();
}

// Unpublish per published stream, then leave (GATEWAY.md §9).
void AppendRemoval(const std::string& user_id, const VoiceParticipation& p,
                   const std::string& reason, int64_t now_unix, VoiceEvents& out) {
  for (const auto& stream : p.sources) {
    out.push_back(events::VoiceStreamUnpublished{user_id, p.guild_id, p.channel_id, p.identity,
                                                 stream, now_unix});
  }
  out.push_back(events::VoiceParticipantLeft{user_id, p.guild_id, p.channel_id, p.identity, reason,
                                             now_unix});
}

core::Status CheckCapacity(const VoiceView& view, const IssueVoiceToken& cmd) {
  const int64_t others =
      view.registry.ActiveIn(cmd.guild_id, cmd.channel_id, cmd.now_unix, cmd.user_id);
  if (others >= cmd.max_participants_per_channel) {
    return core::MakeError(core::ErrorCode::kResourceExhausted, "voice channel is full");
  }
  if (others == 0 && view.registry.ActiveChannels(cmd.now_unix, cmd.user_id) >= cmd.max_channels) {
    return core::MakeError(core::ErrorCode::kResourceExhausted, "too many voice channels");
  }
  return core::OkStatus();
}

void AppendSourceDiff(const IssueVoiceToken& cmd, const std::string& identity,
                      const std::vector<std::string>& before, VoiceEvents& out) {
  for (const auto& stream : before) {
    if (!Has(cmd.sources, stream.c_str())) {
      out.push_back(events::VoiceStreamUnpublished{cmd.user_id, cmd.guild_id, cmd.channel_id,
                                                   identity, stream, cmd.now_unix});
    }
  }
  for (const auto& stream : cmd.sources) {
    if (!Has(before, stream.c_str())) {
      out.push_back(events::VoiceStreamPublished{cmd.user_id, cmd.guild_id, cmd.channel_id,
                                                 identity, stream, cmd.now_unix});
    }
  }
}

}  // namespace

std::string VoiceIdentity(const std::string& user_id, const std::string& guild_id,
                          const std::string& channel_id) {
  return "u." + user_id + "." + guild_id + "." + channel_id;
}

std::string VoiceRoom(const std::string& guild_id, const std::string& channel_id) {
  return "filament.voice." + guild_id + "." + channel_id;
}

core::Result<VoiceEvents> Decide(const VoiceView& view, const IssueVoiceToken& cmd) {
  if (cmd.sources.empty() && !cmd.can_subscribe) {
    return core::InvalidArgument("neither publish nor subscribe is granted");
  }
  const auto& current = view.user.participation;
  const bool stays = current && !current->ExpiredAt(cmd.now_unix) &&
                     current->guild_id == cmd.guild_id && current->channel_id == cmd.channel_id;
  if (!stays) FILAMENT_RETURN_IF_ERROR(CheckCapacity(view, cmd));
  VoiceEvents out;
  const std::string identity = VoiceIdentity(cmd.user_id, cmd.guild_id, cmd.channel_id);
  const bool video = Has(cmd.sources, "camera");
  const bool screen = Has(cmd.sources, "screen_share");
  std::vector<std::string> before;
  if (stays) {
    before = current->sources;
    out.push_back(events::VoiceParticipantUpdated{.user_id = cmd.user_id,
                                                  .guild_id = cmd.guild_id,
                                                  .channel_id = cmd.channel_id,
                                                  .identity = identity,
                                                  .is_speaking = current->is_speaking,
                                                  .is_video_enabled = video,
                                                  .is_screen_share_enabled = screen,
                                                  .updated_at_unix = cmd.now_unix});
  } else {
    if (current) {
      AppendRemoval(cmd.user_id, *current, current->ExpiredAt(cmd.now_unix) ? "expired" : "move",
                    cmd.now_unix, out);
    }
    out.push_back(events::VoiceParticipantJoined{cmd.user_id, cmd.guild_id, cmd.channel_id,
                                                 identity, video, screen, cmd.now_unix,
                                                 cmd.now_unix + cmd.ttl_secs});
  }
  AppendSourceDiff(cmd, identity, before, out);
  out.push_back(events::VoiceTokenIssued{cmd.user_id, cmd.guild_id, cmd.channel_id,
                                         !cmd.sources.empty(), cmd.can_subscribe, cmd.sources,
                                         cmd.now_unix, cmd.now_unix + cmd.ttl_secs});
  return out;
}

core::Result<VoiceEvents> Decide(const VoiceView& view, const SetVoiceState& cmd) {
  if (!cmd.is_muted && !cmd.is_deafened) return core::InvalidArgument("no voice state given");
  const auto& p = view.user.participation;
  if (!p || p->ExpiredAt(cmd.now_unix) || p->guild_id != cmd.guild_id ||
      p->channel_id != cmd.channel_id) {
    return VoiceEvents{};
  }
  events::VoiceParticipantUpdated update{.user_id = cmd.user_id,
                                         .guild_id = cmd.guild_id,
                                         .channel_id = cmd.channel_id,
                                         .identity = p->identity,
                                         .updated_at_unix = cmd.now_unix};
  if (cmd.is_muted && *cmd.is_muted != p->is_muted) update.is_muted = cmd.is_muted;
  if (cmd.is_deafened && *cmd.is_deafened != p->is_deafened) update.is_deafened = cmd.is_deafened;
  if (!update.is_muted && !update.is_deafened) return VoiceEvents{};
  return VoiceEvents{update};
}

core::Result<VoiceEvents> Decide(const VoiceView& view, const RemoveVoiceParticipant& cmd) {
  const auto& p = view.user.participation;
  if (!p) return VoiceEvents{};
  if (!cmd.guild_id.empty() && p->guild_id != cmd.guild_id) return VoiceEvents{};
  if (!cmd.channel_id.empty() && p->channel_id != cmd.channel_id) return VoiceEvents{};
  if (cmd.only_if_expired && !p->ExpiredAt(cmd.now_unix)) return VoiceEvents{};
  VoiceEvents out;
  AppendRemoval(cmd.user_id, *p, cmd.reason, cmd.now_unix, out);
  return out;
}

}  // namespace filament::commands
