#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/guild/guild_state.hpp"
#include "commands/snapshot/command_fold.hpp"
#include "commands/voice/voice_state.hpp"
#include "gateway/bridge/observers.hpp"

namespace filament::gateway {

// What the log bridge folds (observer index, live access, voice roster) at one log position,
// derived from the command side's fold at that position instead of a second fold of the whole
// log (ADR 0085). LogBridge::Start() installs it and folds only the records after `ends`.
struct BridgeStart {
  std::vector<int64_t> ends;  // index = partition: records [0, ends[p]) are in it
  ObserverIndex observers;
  // Every guild stream's state without its messages and attachments (LiveAccess needs the
  // authorization part; it never folds messages).
  std::unordered_map<std::string, commands::GuildState> guilds;
  std::string recorded_server_owner;  // the last ServerOwnerChanged ("" when none)
  std::unordered_map<std::string, commands::VoiceState> voices;  // by user id
};

// Copies what the bridge needs from `fold` (the messages and attachments are set aside while a
// guild is copied and put back: `fold` is left as it was). Cost: the authorization part of
// every guild, the memberships, friendships and voice states — not the messages.
std::unique_ptr<BridgeStart> BridgeStartFrom(commands::CommandFold& fold);

}  // namespace filament::gateway
