#include "commands/server/server_owner.hpp"

#include "commands/guild/actor.hpp"

namespace filament::commands {

void Apply(ServerState& state, const events::ServerEvent& event) {
  if (const auto* owner = std::get_if<events::ServerOwnerChanged>(&event)) {
    state.owner_user_id = owner->owner_user_id;
  } else if (const auto* locked = std::get_if<events::UserLocked>(&event)) {
    state.locked_user_ids.insert(locked->user_id);
  } else if (const auto* unlocked = std::get_if<events::UserUnlocked>(&event)) {
    state.locked_user_ids.erase(unlocked->user_id);
  }
  ++state.version;
}

core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& state,
                                                      const SetServerOwner& cmd) {
  auto id = ParseUlidId(cmd.user_id);
  if (!id.ok()) return id.error();
  if (!cmd.user_registered) return core::NotFound("unknown user");
  if (state.owner_user_id == *id) return std::vector<events::ServerEvent>{};
  events::ServerOwnerChanged changed{.server_key = kServerKey,
                                     .owner_user_id = *id,
                                     .previous_owner_user_id = std::nullopt,
                                     .changed_at_unix = cmd.now_unix};
  if (!state.owner_user_id.empty()) changed.previous_owner_user_id = state.owner_user_id;
  return std::vector<events::ServerEvent>{std::move(changed)};
}

std::string EffectiveServerOwner(const std::string& configured, const std::string& recorded) {
  return configured.empty() ? recorded : configured;
}

}  // namespace filament::commands
