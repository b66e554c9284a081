#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"

namespace filament::postgres {

struct EmbeddedClusterOptions {
  // Filament's data directory. The cluster lives in DATA_DIR/postgres (PGDATA), its unix socket
  // in DATA_DIR/pgrun, its server log in DATA_DIR/postgresql.log and the generated superuser
  // password in DATA_DIR/postgres.password (mode 0600). Created if missing.
  std::string data_dir;
  int port = 0;          // 0 = pick a free loopback port at each start
  bool durable = true;   // false: fsync=off, synchronous_commit=off, full_page_writes=off (tests)
  std::string database = "filament";  // created if missing
};

// A private PostgreSQL 15 server under a data directory: the embedded default of
// `filament serve --data-dir DIR`. Listens on 127.0.0.1 only; TCP clients authenticate with a
// random password generated at initdb time, so other local users cannot connect.
//
// Runs as root (initdb/pg_ctl/postgres are run as the `postgres` user via runuser; the data
// directory is chowned to postgres and every parent must be traversable by it) or as any
// other user (run directly). Binaries: $FILAMENT_PG_BIN_DIR, /usr/lib/postgresql/15/bin, or
// `pg_config --bindir`.
//
// Thread safety: Start/Stop/destruction must not race; the accessors are const and safe.
class EmbeddedCluster {
 public:
  // Initialises the cluster on first use (keeps existing data afterwards), starts the server
  // (recovering from a crash and a stale postmaster.pid) and creates `database` if missing.
  // Errors: kInvalidArgument (bad options), kFailedPrecondition (binaries missing, data dir not
  // usable by the postgres user, a server already running on the data dir), kUnavailable
  // (the server did not start or accept connections; see DATA_DIR/postgresql.log).
  static core::Result<std::unique_ptr<EmbeddedCluster>> Start(const EmbeddedClusterOptions& options);

  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;
  ~EmbeddedCluster();  // stops the server if it is still running

  // libpq key/value conninfo for `database`, e.g.
  // "host=127.0.0.1 port=5433 dbname=filament user=postgres password=...".
  std::string ConnectionString() const;
  // The same for another database on this server (tests create one per case).
  std::string ConnectionStringFor(const std::string& database) const;
  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }

  // `pg_ctl -m fast stop`. Idempotent. Errors: kUnavailable (pg_ctl failed).
  core::Status Stop();

 private:
  EmbeddedCluster(std::string data_dir, std::string database, std::string password, int port,
                  std::string pg_ctl, bool as_postgres);

  std::string data_dir_;
  std::string database_;
  std::string password_;
  int port_;
  std::string pg_ctl_;
  bool as_postgres_;
  bool running_ = true;
};

}  // namespace filament::postgres
