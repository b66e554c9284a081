#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/generated/event_types.hpp"

namespace filament::commands {

using VoiceEvents = std::vector<events::VoiceEvent>;

// A user's place in a voice channel (GATEWAY.md §8), as folded from its voice stream.
struct VoiceParticipation {
  std::string guild_id;
  std::string channel_id;
  std::string identity;  // u.<user_id>.<guild_id>.<channel_id>
  int64_t joined_at_unix = 0;
  int64_t updated_at_unix = 0;
  int64_t expires_at_unix = 0;  // the last token's expiry: gone after it (ADR 0054)
  bool is_muted = false;
  bool is_deafened = false;
  bool is_speaking = false;
  bool is_video_enabled = false;
  bool is_screen_share_enabled = false;
  std::vector<std::string> sources;  // published, in StreamKind order

  bool ExpiredAt(int64_t now_unix) const { return expires_at_unix <= now_unix; }
};

// The fold of one voice stream ("voice:<user_id>", ADR 0054): at most one participation, so a
// user is in at most one voice channel server-wide by construction.
struct VoiceState {
  int64_t version = 0;
  std::optional<VoiceParticipation> participation;
};

void Apply(VoiceState& state, const events::VoiceEvent& event);
VoiceState Fold(const std::vector<events::VoiceEvent>& events);

// Who is in which voice channel across all voice streams: what the server-wide caps (tracked
// channels, participants per channel) count. Kept by the command service beside the streams
// and changed only with them, under its voice lock. Not thread-safe.
class VoiceRegistry {
 public:
  // `user_id`'s participation is now `participation` (nullopt: none).
  void Set(const std::string& user_id, const std::optional<VoiceParticipation>& participation);

  // Unexpired participants of "guild:channel" other than `except_user`.
  int64_t ActiveIn(const std::string& guild_id, const std::string& channel_id, int64_t now_unix,
                   const std::string& except_user) const;
  // Channels with an unexpired participant other than `except_user`.
  int64_t ActiveChannels(int64_t now_unix, const std::string& except_user) const;

  struct Entry {
    std::string user_id;
    std::string guild_id;
    std::string channel_id;
    int64_t expires_at_unix = 0;
  };
  // Every participation (expired ones too, until removed), by channel then user.
  std::vector<Entry> Entries() const;

 private:
  struct Where {
    std::string guild_id;
    std::string channel_id;
  };
  // "guild:channel" → user → expiry
  std::map<std::string, std::map<std::string, int64_t>> channels_;
  std::map<std::string, Where> user_channel_;
};

// What a voice decider sees: the user's own stream and the registry of all streams.
struct VoiceView {
  const VoiceState& user;
  const VoiceRegistry& registry;
};

}  // namespace filament::commands
