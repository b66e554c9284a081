#include "api/routes/gateway_ports.hpp"

#include "adapters/pgstore/ip_observation_store.hpp"
#include "api/routes/governance_helpers.hpp"
#include "commands/guild/messages.hpp"
#include "gateway/gateway_upgrade.hpp"
#include "projections/guilds/guilds_projection.hpp"

namespace filament::api {

core::Result<bool> GatewaySubscribeAuthorizer::MayView(const std::string& user_id,
                                                       const std::string& guild_id,
                                                       const std::string& channel_id) {
  auto access = guilds_.VisibleChannelAccess(guild_id, channel_id, user_id);
  if (access.ok()) return true;
  const auto code = access.error().code;
  if (code == core::ErrorCode::kPermissionDenied || code == core::ErrorCode::kNotFound) {
    return false;  // a forbidden subscribe is silently ignored (GATEWAY.md §4.1)
  }
  return access.error();
}

core::Status GatewayMessagePoster::Post(const std::string& user_id, const std::string& guild_id,
                                        const std::string& channel_id, const std::string& content,
                                        const std::vector<std::string>& attachment_ids,
                                        const std::string& client_ip) {
  const commands::CommandContext ctx{user_id, ""};
  auto post = [&](bool address_cleared) {
    return commands_.OnGuild(ctx, guild_id, [&](commands::Minter& m) {
      return commands::PostMessage{guild_id, channel_id,     m.NewId(),   user_id,
                                   content,  attachment_ids, m.NowUnix(), address_cleared};
    });
  };
  auto appended = post(/*address_cleared=*/ip_observations_ == nullptr);
  if (!appended.ok() && appended.error().reason == commands::kAddressCheckRequired) {
    auto ban = ip_observations_->ActiveBanFor(guild_id, client_ip, clock_.NowUnix());
    if (!ban.ok()) return ban.error();
    if (ban->has_value()) {
      (void)AppendIpBanHit(commands_, ctx, guild_id, **ban);  // the refusal stands regardless
      return core::MakeError(core::ErrorCode::kPermissionDenied, "address is banned", "ip_banned");
    }
    appended = post(/*address_cleared=*/true);
  }
  if (!appended.ok()) return appended.error();
  return core::OkStatus();
}

core::Result<std::string> AuthenticateUpgrade(AuthService& auth, const http::HttpRequest& request) {
  std::optional<std::string> token = gateway::ExtractGatewayToken(request);
  if (!token || token->empty()) return core::Unauthenticated("no access token");
  auto principal = auth.Authenticate(*token);
  if (!principal.ok()) return principal.error();
  return principal->user_id;
}

core::Result<bool> GatewayIpBanGate::IsBanned(const std::string& user_id,
                                              const std::string& guild_id,
                                              const std::string& client_ip) {
  auto ban = store_.ActiveBanFor(guild_id, client_ip, clock_.NowUnix());
  if (!ban.ok()) return ban.error();
  if (!ban->has_value()) return false;
  if (commands_ != nullptr) {
    (void)AppendIpBanHit(*commands_, {user_id, ""}, guild_id, **ban);  // the refusal stands
  }
  return true;
}

core::Result<std::vector<std::optional<std::string>>> GatewayIpResolver::AddressesOf(
    const std::vector<std::string>& observation_ids) {
  return store_.AddressesOf(observation_ids);
}

}  // namespace filament::api
