#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/voice/voice_state.hpp"
#include "events/log_record.hpp"
#include "gateway/ports.hpp"

namespace filament::gateway {

// Who is in which voice channel, folded by the gateway itself from the voice streams of the
// log (ADR 0022's observer fold, ADR 0054) with the command side's VoiceState fold — no read
// model. The bridge applies each record before fanning it out; subscribe reads it for
// voice_participant_sync. Thread-safe (one mutex).
class VoiceRoster final : public VoiceRosterView {
 public:
  // Folds a voice-stream record; others are skipped undecoded. Undecodable records are
  // ignored (the bridge counts them when mapping).
  void ApplyRecord(const events::StoredRecord& record);

  // Replaces the fold by the voice states of a fold taken elsewhere (BridgeStart, ADR 0085).
  void Install(const std::unordered_map<std::string, commands::VoiceState>& voices);

  std::vector<VoiceParticipantView> Participants(const std::string& guild_id,
                                                 const std::string& channel_id,
                                                 int64_t now_unix) override;

 private:
  std::mutex mu_;
  std::map<std::string, commands::VoiceState> users_;      // user → its voice stream's fold
  std::map<std::string, std::set<std::string>> channels_;  // "guild:channel" → users
};

}  // namespace filament::gateway
