#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/generated/event_types.hpp"

// The server-scope stream "server:main" (ADR 0066): operator settings recorded on the log.
// The server owner (`filament admin make-owner`) and locked accounts (`admin lock/unlock`,
// deciders in user_lock.hpp).
namespace filament::commands {

inline constexpr char kServerKey[] = "main";
inline constexpr char kServerStream[] = "server:main";
inline constexpr char kOperatorActor[] = "operator";  // RecordMeta.actor_user_id of admin commands

struct ServerState {
  std::string owner_user_id;              // empty: none recorded on the log
  int64_t version = 0;                    // the stream's version
  std::set<std::string> locked_user_ids;  // UserLocked not yet followed by UserUnlocked
};

void Apply(ServerState& state, const events::ServerEvent& event);

// Make `user_id` the server owner. The caller resolved the user (by name, from the users read
// model) and says whether the log knows it.
struct SetServerOwner {
  std::string user_id;
  bool user_registered = false;
  int64_t now_unix = 0;
};

// Errors: kNotFound (the user is not registered), kInvalidArgument (not a ULID). Already the
// owner: no event (idempotent).
core::Result<std::vector<events::ServerEvent>> Decide(const ServerState& state,
                                                      const SetServerOwner& cmd);

// Which owner the permission code uses: the configured FILAMENT_SERVER_OWNER_USER_ID when set
// (an operator's explicit override, also the way to undo a wrong make-owner), else the one
// recorded on the log.
std::string EffectiveServerOwner(const std::string& configured, const std::string& recorded);

}  // namespace filament::commands
