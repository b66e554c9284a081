#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace filament::pgstore {

class ConnectionPool;

// The IP side store (migration 0021, ADR 0006): client addresses observed on directory joins,
// by observation id. The log only ever names observation ids. Thread-safe. Errors:
// kUnavailable (database unreachable), kInternal.
class IpObservationStore {
 public:
  explicit IpObservationStore(ConnectionPool& pool) : pool_(pool) {}

  // Records `address` for `user_id` unless the same pair was recorded less than
  // `throttle_secs` ago (then that observation is reused). nullopt when `address` is not an
  // IP (e.g. "unknown" for in-process requests).
  core::Result<std::optional<std::string>> Observe(const std::string& user_id,
                                                   const std::string& address, int64_t now_unix,
                                                   const std::string& new_observation_id,
                                                   int64_t throttle_secs = 60);
  // The user's observations, most recent first, one per distinct address.
  core::Result<std::vector<std::string>> ObservationsOf(const std::string& user_id);
  // An active ban of `guild_id` (read model guild_ip_bans) on `address`, if any.
  core::Result<std::optional<std::string>> ActiveBanFor(const std::string& guild_id,
                                                        const std::string& address,
                                                        int64_t now_unix);
  // The address of each observation id, in order (host text, e.g. "10.0.0.7"); nullopt for
  // an unknown or erased one.
  core::Result<std::vector<std::optional<std::string>>> AddressesOf(
      const std::vector<std::string>& observation_ids);
  // Erasure: forgets every address of `user_id` (their bans stop matching anything).
  core::Status EraseUser(const std::string& user_id);

 private:
  ConnectionPool& pool_;
};

// True when `text` is a bare IPv4 or IPv6 address.
bool IsIpAddress(const std::string& text);

}  // namespace filament::pgstore
