#pragma once

#include <memory>
#include <variant>

#include "adapters/http/websocket.hpp"
#include "api/routes/auth_service.hpp"
#include "api/support/client_ip.hpp"
#include "api/support/rate_limit.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"

namespace filament::api {

// The global request limiter (REST_API.md §9) on the gateway upgrade of a process without the
// REST API (`filament gateway`), where RateLimitedUpgrade has no ApiHandler to borrow it from:
// the same bucket size and the same key (the token's user, else the resolved client address),
// one bucket set per process as on every api process. `clock`, `resolver`, `auth` and `inner`
// must outlive it. Thread-safe.
class GlobalLimitedUpgrade final : public http::GatewayUpgrade {
 public:
  GlobalLimitedUpgrade(const core::Clock& clock, const core::Limits& limits,
                       const ClientIpResolver& resolver, const AuthService& auth,
                       http::GatewayUpgrade& inner);
  std::variant<http::HttpResponse, std::shared_ptr<http::WsSessionHandler>> OnUpgradeRequest(
      const http::HttpRequest& request) override;

 private:
  const ClientIpResolver& resolver_;
  const AuthService& auth_;
  http::GatewayUpgrade& inner_;
  TokenBucketLimiter limiter_;
};

}  // namespace filament::api
