#include "gateway/gateway_session.hpp"

#include "gateway/gateway_hub.hpp"
#include "gateway/ip_key.hpp"
#include "gateway/worker_pool.hpp"

namespace filament::gateway {

GatewaySession::GatewaySession(GatewayHub& hub, WorkerPool& workers, std::string user,
                               std::string ip, int64_t ingress_limit, int64_t ingress_window_ms,
                               size_t max_backlog, int protocol_version)
    : version(protocol_version),
      user_id(std::move(user)),
      client_ip(std::move(ip)),
      ip_key(IpKey(client_ip)),
      limiter(ingress_limit, ingress_window_ms),
      hub_(hub),
      workers_(workers),
      max_backlog_(max_backlog) {}

void GatewaySession::OnOpen(std::shared_ptr<http::WsConnection> connection) {
  ws = std::move(connection);
  id = ws->id();
  hub_.Register(shared_from_this());
}

void GatewaySession::OnMessage(std::string_view payload) {
  if (dropping.load()) return;
  hub_.HandleIngress(*this, payload);
}

void GatewaySession::OnClose(http::WsCloseReason reason) {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    pending_.clear();
  }
  hub_.Unregister(*this, reason);
}

bool GatewaySession::EnqueueCommand(IngressCommand command) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return true;
    if (pending_.size() >= max_backlog_) return false;
    pending_.push_back(std::move(command));
    if (scheduled_) return true;
    scheduled_ = true;
  }
  std::shared_ptr<GatewaySession> self = shared_from_this();
  workers_.Post([self] { self->RunPending(); });
  return true;
}

void GatewaySession::RunPending() {
  for (;;) {
    IngressCommand command;
    {
      std::lock_guard lock(mu_);
      if (pending_.empty() || closed_) {
        pending_.clear();
        scheduled_ = false;
        return;
      }
      command = std::move(pending_.front());
      pending_.pop_front();
    }
    hub_.Execute(*this, command);
  }
}

}  // namespace filament::gateway
