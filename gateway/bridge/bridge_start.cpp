#include "gateway/bridge/bridge_start.hpp"

namespace filament::gateway {
namespace {

// The guild's state as LiveAccess keeps it: everything but the message and attachment facts.
commands::GuildState AccessPart(commands::GuildState& state) {
  auto messages = std::move(state.messages);
  auto attachments = std::move(state.attachments);
  state.messages.clear();
  state.attachments.clear();
  commands::GuildState copy = state;
  state.messages = std::move(messages);
  state.attachments = std::move(attachments);
  return copy;
}

// "<lower id>.<higher id>" (commands::FriendPairKey) → the two ids.
bool SplitPairKey(const std::string& key, std::string& a, std::string& b) {
  const auto dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= key.size()) return false;
  a = key.substr(0, dot);
  b = key.substr(dot + 1);
  return true;
}

}  // namespace

std::unique_ptr<BridgeStart> BridgeStartFrom(commands::CommandFold& fold) {
  auto start = std::make_unique<BridgeStart>();
  start->ends = fold.ends;
  start->guilds.reserve(fold.guilds.size());
  for (auto& [guild_id, state] : fold.guilds) {
    for (const auto& [user_id, member] : state.authz.members) {
      start->observers.Join(guild_id, user_id);
    }
    start->guilds.emplace(guild_id, AccessPart(state));
  }
  for (const auto& [key, state] : fold.friendships) {
    std::string a, b;
    if (state.friends && SplitPairKey(key, a, b)) start->observers.Befriend(a, b);
  }
  for (const auto& [user_id, state] : fold.voices) {
    if (state.participation) start->voices.emplace(user_id, state);
  }
  start->recorded_server_owner = fold.server_owner_user_id;
  return start;
}

}  // namespace filament::gateway
