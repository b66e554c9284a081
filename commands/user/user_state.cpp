#include "commands/user/user_state.hpp"

#include <type_traits>

namespace filament::commands {

void Apply(UserState& state, const events::UserEvent& event) {
  std::visit(
      [&state](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::UserRegistered>) {
          state.exists = true;
          state.user_id = e.user_id;
          state.username = e.username;
          state.registered_at_unix = e.registered_at_unix;
        } else {
          static_assert(sizeof(T) == 0, "UserState::Apply must handle every user event");
        }
      },
      event);
  ++state.version;
}

UserState Fold(const std::vector<events::UserEvent>& events) {
  UserState state;
  for (const auto& event : events) Apply(state, event);
  return state;
}

}  // namespace filament::commands
