#include "commands/voice/voice_state.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <type_traits>

namespace filament::commands {
namespace {

constexpr std::array<std::string_view, 3> kKindOrder = {"microphone", "camera", "screen_share"};

size_t KindRank(const std::string& kind) {
  return static_cast<size_t>(std::find(kKindOrder.begin(), kKindOrder.end(), kind) -
                             kKindOrder.begin());
}

bool SameChannel(const VoiceParticipation& p, const std::string& guild_id,
                 const std::string& channel_id) {
  return p.guild_id == guild_id && p.channel_id == channel_id;
}

void ApplyUpdate(VoiceParticipation& p, const events::VoiceParticipantUpdated& e) {
  if (e.is_muted) p.is_muted = *e.is_muted;
  if (e.is_deafened) p.is_deafened = *e.is_deafened;
  if (e.is_speaking) p.is_speaking = *e.is_speaking;
  if (e.is_video_enabled) p.is_video_enabled = *e.is_video_enabled;
  if (e.is_screen_share_enabled) p.is_screen_share_enabled = *e.is_screen_share_enabled;
  p.updated_at_unix = e.updated_at_unix;
}

}  // namespace

void Apply(VoiceState& state, const events::VoiceEvent& event) {
  ++state.version;
  auto& p = state.participation;
  std::visit(
      [&p](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::VoiceParticipantJoined>) {
          p = VoiceParticipation{.guild_id = e.guild_id,
                                 .channel_id = e.channel_id,
                                 .identity = e.identity,
                                 .joined_at_unix = e.joined_at_unix,
                                 .updated_at_unix = e.joined_at_unix,
                                 .expires_at_unix = e.expires_at_unix,
                                 .is_video_enabled = e.is_video_enabled,
                                 .is_screen_share_enabled = e.is_screen_share_enabled};
        } else if constexpr (std::is_same_v<T, events::VoiceParticipantLeft>) {
          if (p && SameChannel(*p, e.guild_id, e.channel_id)) p.reset();
        } else {
          if (!p || !SameChannel(*p, e.guild_id, e.channel_id)) return;
          if constexpr (std::is_same_v<T, events::VoiceParticipantUpdated>) {
            ApplyUpdate(*p, e);
          } else if constexpr (std::is_same_v<T, events::VoiceStreamPublished>) {
            if (std::find(p->sources.begin(), p->sources.end(), e.stream) == p->sources.end()) {
              p->sources.push_back(e.stream);
              std::sort(p->sources.begin(), p->sources.end(),
                        [](const auto& a, const auto& b) { return KindRank(a) < KindRank(b); });
            }
          } else if constexpr (std::is_same_v<T, events::VoiceStreamUnpublished>) {
            std::erase(p->sources, e.stream);
          } else if constexpr (std::is_same_v<T, events::VoiceTokenIssued>) {
            p->expires_at_unix = e.expires_at_unix;
          }
        }
      },
      event);
}

VoiceState Fold(const std::vector<events::VoiceEvent>& events) {
  VoiceState state;
  for (const auto& e : events) Apply(state, e);
  return state;
}

void VoiceRegistry::Set(const std::string& user_id,
                        const std::optional<VoiceParticipation>& participation) {
  if (auto it = user_channel_.find(user_id); it != user_channel_.end()) {
    const std::string key = it->second.guild_id + ":" + it->second.channel_id;
    auto channel = channels_.find(key);
    if (channel != channels_.end()) {
      channel->second.erase(user_id);
      if (channel->second.empty()) channels_.erase(channel);
    }
    user_channel_.erase(it);
  }
  if (!participation) return;
  user_channel_[user_id] = Where{participation->guild_id, participation->channel_id};
  channels_[participation->guild_id + ":" + participation->channel_id][user_id] =
      participation->expires_at_unix;
}

int64_t VoiceRegistry::ActiveIn(const std::string& guild_id, const std::string& channel_id,
                                int64_t now_unix, const std::string& except_user) const {
  auto channel = channels_.find(guild_id + ":" + channel_id);
  if (channel == channels_.end()) return 0;
  int64_t active = 0;
  for (const auto& [user_id, expires] : channel->second) {
    if (user_id != except_user && expires > now_unix) ++active;
  }
  return active;
}

int64_t VoiceRegistry::ActiveChannels(int64_t now_unix, const std::string& except_user) const {
  int64_t active = 0;
  for (const auto& [key, users] : channels_) {
    active += std::any_of(users.begin(), users.end(), [&](const auto& entry) {
      return entry.first != except_user && entry.second > now_unix;
    });
  }
  return active;
}

std::vector<VoiceRegistry::Entry> VoiceRegistry::Entries() const {
  std::vector<Entry> out;
  for (const auto& [key, users] : channels_) {
    for (const auto& [user_id, expires] : users) {
      const Where& where = user_channel_.at(user_id);
      out.push_back(Entry{user_id, where.guild_id, where.channel_id, expires});
    }
  }
  return out;
}

}  // namespace filament::commands
