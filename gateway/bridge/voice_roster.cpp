#include "gateway/bridge/voice_roster.hpp"

#include <algorithm>

#include "events/generated/event_types.hpp"

namespace filament::gateway {
namespace {

std::string KeyOf(const commands::VoiceParticipation& p) { return p.guild_id + ":" + p.channel_id; }

}  // namespace

void VoiceRoster::ApplyRecord(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  if (meta.stream.rfind("voice:", 0) != 0 || record.decode_error) return;
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  if (!event.ok()) return;
  auto voice_event = events::AsVoiceEvent(*event);
  if (!voice_event) return;
  const std::string user_id = meta.stream.substr(meta.stream.find(':') + 1);
  std::lock_guard lock(mu_);
  auto& state = users_[user_id];
  if (state.participation) {
    auto channel = channels_.find(KeyOf(*state.participation));
    if (channel != channels_.end()) {
      channel->second.erase(user_id);
      if (channel->second.empty()) channels_.erase(channel);
    }
  }
  commands::Apply(state, *voice_event);
  if (state.participation) {
    channels_[KeyOf(*state.participation)].insert(user_id);
  } else {
    users_.erase(user_id);
  }
}

void VoiceRoster::Install(const std::unordered_map<std::string, commands::VoiceState>& voices) {
  std::lock_guard lock(mu_);
  users_.clear();
  channels_.clear();
  for (const auto& [user_id, state] : voices) {
    if (!state.participation) continue;
    users_[user_id] = state;
    channels_[KeyOf(*state.participation)].insert(user_id);
  }
}

std::vector<VoiceParticipantView> VoiceRoster::Participants(const std::string& guild_id,
                                                            const std::string& channel_id,
                                                            int64_t now_unix) {
  std::vector<VoiceParticipantView> out;
  std::lock_guard lock(mu_);
  auto channel = channels_.find(guild_id + ":" + channel_id);
  if (channel == channels_.end()) return out;
  for (const auto& user_id : channel->second) {
    const auto& p = *users_.at(user_id).participation;
    if (p.ExpiredAt(now_unix)) continue;
    out.push_back(VoiceParticipantView{user_id, p.identity, p.joined_at_unix, p.updated_at_unix,
                                       p.is_muted, p.is_deafened, p.is_speaking, p.is_video_enabled,
                                       p.is_screen_share_enabled});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.joined_at_unix, a.identity) < std::tie(b.joined_at_unix, b.identity);
  });
  return out;
}

}  // namespace filament::gateway
