#include "commands/friendship/friendship_state.hpp"

#include <type_traits>

namespace filament::commands {

std::string FriendPairKey(const std::string& a, const std::string& b) {
  return a < b ? a + "." + b : b + "." + a;
}

void Apply(FriendshipState& state, const events::FriendshipEvent& event) {
  std::visit(
      [&state](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::FriendRequestSent>) {
          state.pending = PendingFriendRequest{e.request_id, e.sender_user_id, e.recipient_user_id,
                                               e.created_at_unix};
        } else if constexpr (std::is_same_v<T, events::FriendRequestAccepted>) {
          state.pending.reset();
          state.friends = true;
          state.friends_since_unix = e.accepted_at_unix;
        } else if constexpr (std::is_same_v<T, events::FriendRequestDeleted>) {
          state.pending.reset();
        } else if constexpr (std::is_same_v<T, events::FriendshipRemoved>) {
          state.friends = false;
          state.friends_since_unix = 0;
        } else {
          static_assert(sizeof(T) == 0, "FriendshipState::Apply must handle every event");
        }
      },
      event);
  ++state.version;
}

FriendshipState Fold(const std::vector<events::FriendshipEvent>& events) {
  FriendshipState state;
  for (const auto& event : events) Apply(state, event);
  return state;
}

}  // namespace filament::commands
