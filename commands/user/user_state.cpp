#include "commands/user/user_state.hpp"

#include <type_traits>

namespace filament::commands {
namespace {

// A new session also forgets the ended ones, so an account's state does not grow with every
// login: an unknown session is refused like a revoked or expired one.
void ApplyStart(UserState& state, const events::SessionStarted& e) {
  std::erase_if(state.sessions, [&e](const auto& entry) {
    return entry.second.revoked || entry.second.expires_at_unix <= e.started_at_unix;
  });
  state.sessions[e.session_id] = SessionLife{e.started_at_unix, e.expires_at_unix, false};
}

void ApplyProfile(UserState& state, const events::ProfileUpdated& e) {
  if (e.username) state.username = *e.username;
  if (e.about_markdown) state.about_markdown = *e.about_markdown;
}

}  // namespace

void Apply(UserState& state, const events::UserEvent& event) {
  std::visit(
      [&state](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::UserRegistered>) {
          state.exists = true;
          state.user_id = e.user_id;
          state.username = e.username;
          state.registered_at_unix = e.registered_at_unix;
        } else if constexpr (std::is_same_v<T, events::SessionStarted>) {
          ApplyStart(state, e);
        } else if constexpr (std::is_same_v<T, events::SessionRotated>) {
          state.sessions[e.session_id].expires_at_unix = e.expires_at_unix;
        } else if constexpr (std::is_same_v<T, events::SessionRevoked>) {
          state.sessions[e.session_id].revoked = true;
        } else if constexpr (std::is_same_v<T, events::ProfileUpdated>) {
          ApplyProfile(state, e);
        } else if constexpr (std::is_same_v<T, events::ProfileAvatarChanged>) {
          state.avatar_version = e.avatar_version;
        } else if constexpr (std::is_same_v<T, events::ProfileBannerChanged>) {
          state.banner_version = e.banner_version;
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
