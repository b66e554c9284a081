#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commands/permissions.hpp"
#include "events/generated/event_types.hpp"

namespace filament::commands {

using GuildEvents = std::vector<events::GuildEvent>;

// The fold of one guild stream ("guild:<id>"): what the deciders need to know about a
// workspace. Messages are not kept (deciding on them needs only channels and permissions).
struct GuildState {
  int64_t version = 0;  // number of events folded = the stream version
  bool exists = false;
  std::string guild_id;
  std::string name;
  std::string visibility;  // "private" | "public"
  std::string creator_user_id;
  int64_t created_at_unix = 0;
  GuildAuthz authz;
  std::vector<std::string> channel_ids;  // creation order
};

// Folds one event into `state` and bumps its version. Pure and total: events are facts, so an
// event that does not fit the state (cannot happen for a well-formed log) is still applied
// as far as it makes sense, never rejected.
void Apply(GuildState& state, const events::GuildEvent& event);

GuildState Fold(const std::vector<events::GuildEvent>& events);

}  // namespace filament::commands
