#include "commands/user/sessions.hpp"

namespace filament::commands {
namespace {

const SessionLife* LiveSession(const UserState& user, const std::string& id, int64_t now) {
  auto it = user.sessions.find(id);
  if (it == user.sessions.end() || it->second.revoked || it->second.expires_at_unix <= now) {
    return nullptr;
  }
  return &it->second;
}

}  // namespace

core::Result<UserEvents> Decide(const UserState& user, const StartSession& cmd) {
  if (!user.exists) return core::Unauthenticated("unknown user");
  if (user.sessions.count(cmd.session_id) != 0) return core::Internal("session id reused");
  if (cmd.expires_at_unix <= cmd.now_unix) return core::InvalidArgument("session already expired");
  return UserEvents{events::SessionStarted{.user_id = user.user_id,
                                           .session_id = cmd.session_id,
                                           .started_at_unix = cmd.now_unix,
                                           .expires_at_unix = cmd.expires_at_unix}};
}

core::Result<UserEvents> Decide(const UserState& user, const RotateSession& cmd) {
  if (!user.exists || LiveSession(user, cmd.session_id, cmd.now_unix) == nullptr) {
    return core::Unauthenticated("session is not live");
  }
  return UserEvents{events::SessionRotated{.user_id = user.user_id,
                                           .session_id = cmd.session_id,
                                           .rotated_at_unix = cmd.now_unix,
                                           .expires_at_unix = cmd.expires_at_unix}};
}

core::Result<UserEvents> Decide(const UserState& user, const RevokeSession& cmd) {
  if (cmd.reason != "logout" && cmd.reason != "replay") {
    return core::InvalidArgument("unknown revocation reason");
  }
  auto it = user.sessions.find(cmd.session_id);
  if (!user.exists || it == user.sessions.end()) return core::Unauthenticated("unknown session");
  if (it->second.revoked) return UserEvents{};
  return UserEvents{events::SessionRevoked{.user_id = user.user_id,
                                           .session_id = cmd.session_id,
                                           .reason = cmd.reason,
                                           .revoked_at_unix = cmd.now_unix}};
}

}  // namespace filament::commands
