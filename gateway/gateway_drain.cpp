// GatewayHub::CloseAll: the SIGTERM drain of the gateway (ADR 0076).
#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_session.hpp"
#include "gateway/worker_pool.hpp"

namespace filament::gateway {

void GatewayHub::CloseAll(uint16_t code, std::string reason) {
  std::lock_guard lock(mu_);
  if (closing_all_) return;
  closing_all_.emplace(code, std::move(reason));
  for (auto& [id, session] : connections_) CloseForDrainLocked(*session);
}

size_t GatewayHub::ingress_queue_depth() const { return workers_->queued(); }

void GatewayHub::CloseForDrainLocked(GatewaySession& session) {
  if (session.dropping.exchange(true)) return;
  if (session.disconnect_reason.empty()) session.disconnect_reason = "server_shutdown";
  session.ws->Close(closing_all_->first, closing_all_->second);
}

}  // namespace filament::gateway
