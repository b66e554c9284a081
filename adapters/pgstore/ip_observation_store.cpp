#include "adapters/pgstore/ip_observation_store.hpp"

#include <arpa/inet.h>

#include "adapters/pgstore/connection_pool.hpp"

namespace filament::pgstore {

bool IsIpAddress(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

core::Result<std::optional<std::string>> IpObservationStore::Observe(
    const std::string& user_id, const std::string& address, int64_t now_unix,
    const std::string& new_observation_id, int64_t throttle_secs) {
  using Out = core::Result<std::optional<std::string>>;
  if (!IsIpAddress(address)) return std::optional<std::string>{};
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::work tx(c);
    auto recent = tx.exec_params(
        "SELECT observation_id FROM ip_observations WHERE user_id = $1 AND address = $2::inet "
        "AND observed_at_unix > $3 ORDER BY observed_at_unix DESC LIMIT 1",
        user_id, address, now_unix - throttle_secs);
    if (!recent.empty()) return std::optional<std::string>(recent[0][0].as<std::string>());
    tx.exec_params(
        "INSERT INTO ip_observations (observation_id, user_id, address, observed_at_unix) "
        "VALUES ($1, $2, $3::inet, $4)",
        new_observation_id, user_id, address, now_unix);
    tx.commit();
    return std::optional<std::string>(new_observation_id);
  });
}

core::Result<std::vector<std::string>> IpObservationStore::ObservationsOf(
    const std::string& user_id) {
  using Out = core::Result<std::vector<std::string>>;
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    std::vector<std::string> out;
    for (const auto& r :
         tx.exec_params("SELECT observation_id FROM (SELECT DISTINCT ON (address) observation_id, "
                        "observed_at_unix FROM ip_observations WHERE user_id = $1 "
                        "ORDER BY address, observed_at_unix DESC) latest "
                        "ORDER BY observed_at_unix DESC, observation_id DESC",
                        user_id)) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  });
}

core::Result<std::optional<std::string>> IpObservationStore::ActiveBanFor(
    const std::string& guild_id, const std::string& address, int64_t now_unix) {
  using Out = core::Result<std::optional<std::string>>;
  if (!IsIpAddress(address)) return std::optional<std::string>{};
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    // On every gated request: one prepared statement, one round trip.
    auto rows = ExecPrepared(
        c, "filament_ip_ban_active",
        "SELECT b.ban_id FROM guild_ip_bans b JOIN ip_observations o "
        "ON o.observation_id = b.observation_id WHERE b.guild_id = $1 AND "
        "o.address = $2::inet AND (b.expires_at_unix IS NULL OR b.expires_at_unix > $3) "
        "ORDER BY b.ban_id LIMIT 1",
        guild_id, address, now_unix);
    if (rows.empty()) return std::optional<std::string>{};
    return std::optional<std::string>(rows[0][0].as<std::string>());
  });
}

core::Result<std::vector<std::optional<std::string>>> IpObservationStore::AddressesOf(
    const std::vector<std::string>& observation_ids) {
  using Out = core::Result<std::vector<std::optional<std::string>>>;
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    std::vector<std::optional<std::string>> out;
    for (const std::string& id : observation_ids) {
      auto rows =
          tx.exec_params("SELECT host(address) FROM ip_observations WHERE observation_id = $1", id);
      if (rows.empty()) {
        out.emplace_back();
      } else {
        out.emplace_back(rows[0][0].as<std::string>());
      }
    }
    return out;
  });
}

core::Status IpObservationStore::EraseUser(const std::string& user_id) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    tx.exec_params("DELETE FROM ip_observations WHERE user_id = $1", user_id);
    tx.commit();
    return core::OkStatus();
  });
}

}  // namespace filament::pgstore
