#include "gateway/gateway_upgrade.hpp"

namespace filament::gateway {

std::optional<std::string> ExtractGatewayToken(const http::HttpRequest& request) {
  if (auto token = http::QueryParam(request.query, "access_token")) return token;
  auto header = request.Header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (header && header->size() > kPrefix.size() &&
      header->compare(0, kPrefix.size(), kPrefix) == 0) {
    return header->substr(kPrefix.size());
  }
  return std::nullopt;
}

GatewayUpgradeHandler::GatewayUpgradeHandler(GatewayHub& hub, GatewayAuthenticator authenticate,
                                             ClientIpResolver client_ip)
    : hub_(hub), authenticate_(std::move(authenticate)), client_ip_(std::move(client_ip)) {}

std::variant<http::HttpResponse, std::shared_ptr<http::WsSessionHandler>>
GatewayUpgradeHandler::OnUpgradeRequest(const http::HttpRequest& request) {
  int version = 1;  // ADR 0060: ?gateway_version=2 opts into v2
  if (auto requested = http::QueryParam(request.query, "gateway_version")) {
    if (*requested == "2") {
      version = 2;
    } else if (*requested != "1") {
      return http::HttpResponse{400, R"({"error":"invalid_request"})"};
    }
  }
  core::Result<std::string> user_id = authenticate_(request);
  if (!user_id.ok()) return http::HttpResponse{401, R"({"error":"invalid_credentials"})"};
  std::string ip = client_ip_ ? client_ip_(request) : request.peer_ip;
  return hub_.CreateSession(std::move(*user_id), std::move(ip), version);
}

}  // namespace filament::gateway
