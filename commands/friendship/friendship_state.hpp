#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/generated/event_types.hpp"

namespace filament::commands {

using FriendshipEvents = std::vector<events::FriendshipEvent>;

// The stream key of the pair {a, b}: "<lower id>.<higher id>" (ADR 0021), the same whoever
// asks, so both directions of a pair are decided on one stream.
std::string FriendPairKey(const std::string& a, const std::string& b);

struct PendingFriendRequest {
  std::string request_id;
  std::string sender_user_id;
  std::string recipient_user_id;
  int64_t created_at_unix = 0;
};

// The fold of one friendship stream ("friendship:<pair key>"): at most one pending request
// (in either direction) and whether the two are friends.
struct FriendshipState {
  int64_t version = 0;
  std::optional<PendingFriendRequest> pending;
  bool friends = false;
  int64_t friends_since_unix = 0;
};

void Apply(FriendshipState& state, const events::FriendshipEvent& event);
FriendshipState Fold(const std::vector<events::FriendshipEvent>& events);

}  // namespace filament::commands
