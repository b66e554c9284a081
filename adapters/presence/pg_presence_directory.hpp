#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "gateway/ports.hpp"

namespace filament::presence {

struct PgPresenceOptions {
  std::string conninfo;
  // This process's identity in the directory: fresh at every start (a ULID), so a restarted
  // process never renews, and so never resurrects, the leases of its previous life.
  std::string instance_id;
  int64_t ttl_ms = 15'000;                      // FILAMENT_GATEWAY_PRESENCE_TTL_MS
  int64_t heartbeat_ms = 5'000;                 // FILAMENT_GATEWAY_PRESENCE_HEARTBEAT_MS; < ttl_ms
  std::function<void(const std::string&)> log;  // failures (retried), optional
};

// gateway::PresenceDirectory on PostgreSQL (migration 0043, ADR 0057): UNLOGGED lease tables,
// NOTIFY filament_presence for changes, a heartbeat that renews this process's row.
//
// - A writer thread applies the hub's announcements in batches (one transaction: renew the
//   instance, net lease inserts/deletes, the user-gone check, one NOTIFY per guild touched);
//   the hub never waits for the database. Every heartbeat_ms it renews the instance (and
//   re-inserts all its leases if others had swept it as dead) and sweeps dead instances.
// - A listener thread LISTENs, re-reads the guilds named by other processes' notifications and,
//   every heartbeat_ms, all live leases of other processes (expires_at > now(), the database's
//   clock), and reports the differences to the hub in order.
// A process that dies without closing its sockets stops renewing: its users are absent for
// every other process within ttl_ms + heartbeat_ms of its death.
class PgPresenceDirectory final : public gateway::PresenceDirectory {
 public:
  // Registers the instance and loads the others' presence before returning, then starts the
  // threads. Errors: kInvalidArgument (heartbeat_ms >= ttl_ms, empty instance id),
  // kUnavailable (database).
  static core::Result<std::unique_ptr<PgPresenceDirectory>> Start(PgPresenceOptions options);
  ~PgPresenceDirectory() override;  // Stop()

  // Writes what is queued, deletes this instance's rows (others see its users leave at once)
  // and joins the threads. Idempotent.
  void Stop();
  // Tests: joins the threads and leaves the rows behind, like kill -9.
  void Abandon();

  void Announce(const std::string& guild_id, const std::string& user_id) override;
  void Withdraw(const std::string& guild_id, const std::string& user_id) override;
  void Connected(const std::string& user_id) override;
  void Disconnected(const std::string& user_id) override;
  void SetListener(gateway::PresenceListener* listener) override;
  // One query on a connection of its own (serialized); nullopt when the database fails.
  std::optional<bool> ConnectedAnywhere(const std::string& user_id) override;

 private:
  class Impl;
  explicit PgPresenceDirectory(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads the directory without joining it: whether a user holds a gateway connection in any
// live gateway process. For a process that runs no gateway (an api process of the
// multi-process recipe, whose voice sweeper finds gone users this way, ADR 0096).
// Thread-safe: one query at a time on a connection of its own, opened on first use.
class PgPresenceReader {
 public:
  explicit PgPresenceReader(std::string conninfo);
  ~PgPresenceReader();
  // nullopt when the database fails (the next call reconnects).
  std::optional<bool> ConnectedAnywhere(const std::string& user_id);

 private:
  std::mutex mu_;
  const std::string conninfo_;
  struct Connection;  // a pqxx::connection (libpqxx stays out of this header)
  std::unique_ptr<Connection> connection_;
};

}  // namespace filament::presence
