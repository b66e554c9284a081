#pragma once

#include <string>

#include "adapters/http/http_types.hpp"
#include "api/routes/auth_service.hpp"
#include "commands/command_service.hpp"
#include "gateway/ports.hpp"

namespace filament::projections {
class GuildQueries;
}  // namespace filament::projections

namespace filament::pgstore {
class IpObservationStore;
}  // namespace filament::pgstore

namespace filament::api {

// The gateway's ports, answered by the same code paths as REST: subscribe authorization is
// the channel's create_message bit from the read models (contract GATEWAY.md §4.1), and an
// ingress message_create is the REST message POST without a response. Thread-safe.
class GatewaySubscribeAuthorizer final : public gateway::SubscribeAuthorizer {
 public:
  explicit GatewaySubscribeAuthorizer(projections::GuildQueries& guilds) : guilds_(guilds) {}
  core::Result<bool> MayView(const std::string& user_id, const std::string& guild_id,
                             const std::string& channel_id) override;

 private:
  projections::GuildQueries& guilds_;
};

// The IP-ban check of GATEWAY.md §4.2 runs as the REST post's does (ADR 0104): the address is
// looked up only in a guild with an active ban; a banned address gets the `ip_ban_hit` audit
// record and the error reason "ip_banned" (the hub disconnects with it). `ip_observations`
// null: no check (tests without the side store).
class GatewayMessagePoster final : public gateway::IngressMessagePoster {
 public:
  GatewayMessagePoster(commands::CommandService& commands,
                       pgstore::IpObservationStore* ip_observations, const core::Clock& clock)
      : commands_(commands), ip_observations_(ip_observations), clock_(clock) {}
  core::Status Post(const std::string& user_id, const std::string& guild_id,
                    const std::string& channel_id, const std::string& content,
                    const std::vector<std::string>& attachment_ids,
                    const std::string& client_ip) override;

 private:
  commands::CommandService& commands_;
  pgstore::IpObservationStore* ip_observations_;
  const core::Clock& clock_;
};

// The gateway's IP-ban gate for `subscribe` (GATEWAY.md §4.1) over the IP side store. A hit is
// appended to the guild's stream as `ip_ban_hit` (the audit trail) through `commands`; null in a
// process without a command side (gateway only), which then only enforces.
class GatewayIpBanGate final : public gateway::IpBanGate {
 public:
  GatewayIpBanGate(pgstore::IpObservationStore& store, commands::CommandService* commands,
                   const core::Clock& clock)
      : store_(store), commands_(commands), clock_(clock) {}
  core::Result<bool> IsBanned(const std::string& user_id, const std::string& guild_id,
                              const std::string& client_ip) override;

 private:
  pgstore::IpObservationStore& store_;
  commands::CommandService* commands_;
  const core::Clock& clock_;
};

// The addresses of IP observations for the log bridge's live IP bans (ADR 0032).
class GatewayIpResolver final : public gateway::IpObservationResolver {
 public:
  explicit GatewayIpResolver(pgstore::IpObservationStore& store) : store_(store) {}
  core::Result<std::vector<std::optional<std::string>>> AddressesOf(
      const std::vector<std::string>& observation_ids) override;

 private:
  pgstore::IpObservationStore& store_;
};

// The upgrade check of GET /gateway/ws: the access token from `access_token` (query, wins) or
// the Bearer header. Returns the user id. Errors: kUnauthenticated.
core::Result<std::string> AuthenticateUpgrade(AuthService& auth, const http::HttpRequest& request);

}  // namespace filament::api
