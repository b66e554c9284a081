#include "api/routes/upgrade_limit.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "api/routes/api_handler.hpp"
#include "api/routes/error_response.hpp"
#include "api/support/errors.hpp"

namespace filament::api {

GlobalLimitedUpgrade::GlobalLimitedUpgrade(const core::Clock& clock, const core::Limits& limits,
                                           const ClientIpResolver& resolver,
                                           const AuthService& auth, http::GatewayUpgrade& inner)
    : resolver_(resolver),
      auth_(auth),
      inner_(inner),
      limiter_(clock, limits.rate_limit_requests_per_minute) {}

std::variant<http::HttpResponse, std::shared_ptr<http::WsSessionHandler>>
GlobalLimitedUpgrade::OnUpgradeRequest(const http::HttpRequest& request) {
  std::string key = "ip:" + ClientIpOf(resolver_, request);
  constexpr std::string_view kBearer = "Bearer ";
  if (auto header = request.Header("authorization");
      header && header->compare(0, kBearer.size(), kBearer) == 0) {
    if (auto subject = auth_.TokenSubject(header->substr(kBearer.size()))) key = "user:" + *subject;
  }
  RateDecision decision = limiter_.Check(key);
  if (decision.allowed) return inner_.OnUpgradeRequest(request);
  return FromReply(RateLimitedReply(decision.retry_after_secs));
}

}  // namespace filament::api
