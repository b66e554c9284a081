#include "commands/server/user_lock.hpp"

#include "commands/guild/actor.hpp"

namespace filament::commands {

core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& state,
                                                      const LockUser& cmd) {
  auto id = ParseUlidId(cmd.user_id);
  if (!id.ok()) return id.error();
  if (cmd.reason && (cmd.reason->empty() || cmd.reason->size() > kMaxLockReasonBytes)) {
    return core::InvalidArgument("the reason must be 1 to 512 bytes");
  }
  if (!cmd.user_registered) return core::NotFound("unknown user");
  if (state.locked_user_ids.count(*id) != 0) return std::vector<events::ServerEvent>{};
  return std::vector<events::ServerEvent>{events::UserLocked{.server_key = kServerKey,
                                                             .user_id = *id,
                                                             .reason = cmd.reason,
                                                             .locked_at_unix = cmd.now_unix}};
}

core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& state,
                                                      const UnlockUser& cmd) {
  auto id = ParseUlidId(cmd.user_id);
  if (!id.ok()) return id.error();
  if (!cmd.user_registered) return core::NotFound("unknown user");
  if (state.locked_user_ids.count(*id) == 0) return std::vector<events::ServerEvent>{};
  return std::vector<events::ServerEvent>{events::UserUnlocked{
      .server_key = kServerKey, .user_id = *id, .unlocked_at_unix = cmd.now_unix}};
}

core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& /*state*/,
                                                      const ResetPassword& cmd) {
  auto id = ParseUlidId(cmd.user_id);
  if (!id.ok()) return id.error();
  auto reset_id = ParseUlidId(cmd.reset_id);
  if (!reset_id.ok()) return reset_id.error();
  if (!cmd.user_registered) return core::NotFound("unknown user");
  return std::vector<events::ServerEvent>{events::UserPasswordReset{.server_key = kServerKey,
                                                                    .user_id = *id,
                                                                    .reset_id = *reset_id,
                                                                    .reset_at_unix = cmd.now_unix}};
}

}  // namespace filament::commands
