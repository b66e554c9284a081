#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/generated/event_types.hpp"

namespace filament::commands {

using UserEvents = std::vector<events::UserEvent>;

// One refresh session as the log knows it (ADR 0020): no token, hash or IP, only its life.
struct SessionLife {
  int64_t started_at_unix = 0;
  int64_t expires_at_unix = 0;
  bool revoked = false;
};

// The fold of one user stream ("user:<id>"): what deciders on one account need to know.
// Facts that span users (which usernames are taken) live in the UserDirectory.
struct UserState {
  int64_t version = 0;  // number of events folded = the stream version
  bool exists = false;
  std::string user_id;
  std::string username;
  int64_t registered_at_unix = 0;
  std::string about_markdown;
  int64_t avatar_version = 0;
  int64_t banner_version = 0;
  std::unordered_map<std::string, SessionLife> sessions;  // by session id
};

// Folds one event into `state` and bumps its version. Pure and total, like the guild fold.
void Apply(UserState& state, const events::UserEvent& event);

UserState Fold(const std::vector<events::UserEvent>& events);

}  // namespace filament::commands
