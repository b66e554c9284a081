#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/server/server_owner.hpp"

// Operator account actions (ADR 0066) on the server stream: locking (`filament admin lock /
// unlock`: UserLocked / UserUnlocked) and password resets (`admin reset-password`:
// UserPasswordReset). Pure deciders; the caller resolved the user by name.
namespace filament::commands {

inline constexpr size_t kMaxLockReasonBytes = 512;

struct LockUser {
  std::string user_id;
  bool user_registered = false;
  std::optional<std::string> reason;
  int64_t now_unix = 0;
};

struct UnlockUser {
  std::string user_id;
  bool user_registered = false;
  int64_t now_unix = 0;
};

// Errors: kInvalidArgument (not a ULID, reason empty or over 512 bytes), kNotFound (not
// registered). Already locked: no event (idempotent).
core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& state,
                                                      const LockUser& cmd);
// Errors: kInvalidArgument (not a ULID), kNotFound (not registered). Not locked: no event.
core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& state,
                                                      const UnlockUser& cmd);

// Records a password reset whose new hash the credential store holds as pending under
// `reset_id` (a fresh ULID). Errors: kInvalidArgument (user or reset id not a ULID),
// kNotFound (not registered). Every reset is recorded (a new password each time).
struct ResetPassword {
  std::string user_id;
  bool user_registered = false;
  std::string reset_id;
  int64_t now_unix = 0;
};
core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& state,
                                                      const ResetPassword& cmd);

}  // namespace filament::commands
