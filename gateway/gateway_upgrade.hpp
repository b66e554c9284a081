#pragma once

#include <functional>
#include <optional>
#include <string>

#include "adapters/http/websocket.hpp"
#include "core/result.hpp"
#include "gateway/gateway_hub.hpp"

namespace filament::gateway {

// Resolves the user id of an upgrade request, or fails (any error → 401). Thread-safe.
using GatewayAuthenticator =
    std::function<core::Result<std::string /*user_id*/>(const http::HttpRequest&)>;
// Resolves the client IP used for IP-ban checks (REST_API.md §1.1). Thread-safe.
using ClientIpResolver = std::function<std::string(const http::HttpRequest&)>;

// The token of a gateway upgrade request (GATEWAY.md §1): the `access_token` query parameter
// when present (it wins), else the `Authorization: Bearer <token>` header; nullopt if neither.
std::optional<std::string> ExtractGatewayToken(const http::HttpRequest& request);

// Implements http::GatewayUpgrade for the hub: authenticate, then hand over a session.
// Failure → 401 {"error":"invalid_credentials"} and no upgrade.
class GatewayUpgradeHandler final : public http::GatewayUpgrade {
 public:
  // `client_ip` defaults to the TCP peer address.
  GatewayUpgradeHandler(GatewayHub& hub, GatewayAuthenticator authenticate,
                        ClientIpResolver client_ip = {});
  std::variant<http::HttpResponse, std::shared_ptr<http::WsSessionHandler>> OnUpgradeRequest(
      const http::HttpRequest& request) override;

 private:
  GatewayHub& hub_;
  GatewayAuthenticator authenticate_;
  ClientIpResolver client_ip_;
};

}  // namespace filament::gateway
