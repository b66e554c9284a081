#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/generated/event_types.hpp"

namespace filament::commands {

using UserEvents = std::vector<events::UserEvent>;

// The fold of one user stream ("user:<id>"): what deciders on one account need to know.
// Facts that span users (which usernames are taken) live in the UserDirectory.
struct UserState {
  int64_t version = 0;  // number of events folded = the stream version
  bool exists = false;
  std::string user_id;
  std::string username;
  int64_t registered_at_unix = 0;
};

// Folds one event into `state` and bumps its version. Pure and total, like the guild fold.
void Apply(UserState& state, const events::UserEvent& event);

UserState Fold(const std::vector<events::UserEvent>& events);

}  // namespace filament::commands
