#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace filament::postgres {

struct EmbeddedClusterOptions {
  // Filament's data directory. The cluster lives in DATA_DIR/postgres (PGDATA), its unix socket
  // in DATA_DIR/pgrun, its server log in DATA_DIR/postgresql.log and the generated superuser
  // password in DATA_DIR/postgres.password (mode 0600). Created if missing.
  std::string data_dir;
  int port = 0;  // 0 = pick a free loopback port at each start (owner only)
  // false: fsync=off, synchronous_commit=off, full_page_writes=off (tests; owner only)
  bool durable = true;
  std::string database = "filament";  // created if missing (owner and attacher)
  // How long an attacher waits for the owner's server to answer (the owner may still be
  // running initdb or starting the server).
  std::chrono::milliseconds attach_timeout{60000};
};

// A private PostgreSQL 15 server under a data directory: the embedded default of
// `filament serve --data-dir DIR`. Listens on 127.0.0.1 only; TCP clients authenticate with a
// random password generated at initdb time, so other local users cannot connect.
//
// Ownership. Several processes may Start on the same data directory at once (`filament serve`
// and the operator subcommands `replay`, `audit`, `log tail`, `migrate`, `project`). Exactly one
// of them is the OWNER: the process holding an exclusive flock(2) on DATA_DIR/filament.lock
// (which also holds the owner's pid, for humans). The owner initialises, starts and finally
// stops the server. Every other Start ATTACHES: it starts and stops nothing, connects to the
// owner's server (whose port the owner publishes in DATA_DIR/pgrun/port once the server
// answers) and only creates its `database` if missing. The kernel releases the lock when the
// owner dies, however it dies; the next Start then becomes the owner and restarts a server the
// dead owner left running. The lock fd is O_CLOEXEC, so the server never inherits it; a process
// that fork()s without exec shares its lock with the child.
//
// Runs as root (initdb/pg_ctl/postgres are run as the `postgres` user via runuser; the data
// directory is chowned to postgres and every parent must be traversable by it) or as any
// other user (run directly). Binaries: $FILAMENT_PG_BIN_DIR, /usr/lib/postgresql/15/bin, or
// `pg_config --bindir`.
//
// Thread safety: Start/Stop/destruction must not race; the accessors are const and safe.
class EmbeddedCluster {
 public:
  // Becomes the owner if no live process owns the data directory: initialises the cluster on
  // first use (keeps existing data afterwards), starts the server (recovering from a crash, a
  // stale postmaster.pid and a server left running by a dead owner) and creates `database` if
  // missing. Otherwise attaches to the owner's server, waiting up to `attach_timeout` for it to
  // answer; `port` and `durable` are then the owner's, not the options'. If the owner gives up
  // or dies meanwhile, this Start becomes the owner.
  // Errors: kInvalidArgument (bad options), kFailedPrecondition (binaries missing, data dir or
  // its lock file not usable, data dir not usable by the postgres user), kUnavailable (the
  // server did not start or accept connections, or the owner's server did not answer within
  // `attach_timeout`; see DATA_DIR/postgresql.log). Retrying later is safe.
  static core::Result<std::unique_ptr<EmbeddedCluster>> Start(
      const EmbeddedClusterOptions& options);

  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;
  // Owner: stops the server if it is still running, then releases ownership. Attacher: nothing.
  ~EmbeddedCluster();

  // libpq key/value conninfo for `database`, e.g.
  // "host=127.0.0.1 port=5433 dbname=filament user=postgres password=...".
  std::string ConnectionString() const;
  // The same for another database on this server (tests create one per case).
  std::string ConnectionStringFor(const std::string& database) const;
  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  // True if this process started the server and will stop it; false if it attached to the
  // server of another live process (whose Stop, or death, ends it: then connections fail).
  bool owner() const { return owner_; }

  // Owner: `pg_ctl -m fast stop`, then releases the ownership lock (only once the server is
  // down). Attacher: does nothing to the server. Idempotent.
  // Errors: kUnavailable (pg_ctl failed; ownership is kept, so Stop may be retried).
  core::Status Stop();

 private:
  EmbeddedCluster(std::string data_dir, std::string database, std::string pg_ctl, bool as_postgres,
                  int lock_fd);
  void ReleaseOwnership();

  std::string data_dir_;
  std::string database_;
  std::string password_;
  int port_ = 0;
  std::string pg_ctl_;
  bool as_postgres_;
  int lock_fd_;  // the flock on DATA_DIR/filament.lock; -1 when attached or released
  bool owner_;
  bool running_ = false;  // the owner's server is running (never true for an attacher)
};

}  // namespace filament::postgres
