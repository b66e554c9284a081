// ApiHandler::ServerOwner (ADR 0066): the configured owner, else the one recorded on the log.
#include "commands/server/server_owner.hpp"

#include <climits>

#include "api/routes/api_handler.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::api {
namespace {
constexpr int64_t kOwnerRefreshMs = 2000;
}  // namespace

std::string ApiHandler::ServerOwner() {
  if (!deps_.server_owner_user_id.empty()) return deps_.server_owner_user_id;
  int64_t now = deps_.clock.NowUnixMs();
  std::lock_guard lock(owner_mu_);
  if (owner_read_at_ms_ == INT64_MIN || now - owner_read_at_ms_ >= kOwnerRefreshMs) {
    auto recorded = deps_.users.RecordedServerOwner();
    recorded_owner_ = recorded.ok() ? *recorded : std::string();
    owner_read_at_ms_ = now;
  }
  return commands::EffectiveServerOwner(deps_.server_owner_user_id, recorded_owner_);
}

}  // namespace filament::api
