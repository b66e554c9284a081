#pragma once

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "core/blocking.hpp"
#include "core/result.hpp"

namespace filament::pgstore {

// A fixed-size pool of PostgreSQL connections, opened lazily. Thread-safe.
// A lease returns its connection on destruction; a lease whose connection broke (the caller
// calls MarkBroken) is reopened next time.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> connection);
    Lease(Lease&&) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() { return *connection_; }
    pqxx::connection* operator->() { return connection_.get(); }
    void MarkBroken() { broken_ = true; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
    bool broken_ = false;
  };

  ConnectionPool(std::string conninfo, size_t size);
  ~ConnectionPool();

  // Waits for a free connection. Errors: kUnavailable when a new connection cannot be opened.
  core::Result<Lease> Acquire();
  const std::string& conninfo() const { return conninfo_; }

 private:
  void Return(std::unique_ptr<pqxx::connection> connection, bool broken);

  std::string conninfo_;
  size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;
};

// Runs `body(pqxx::connection&)` on a pooled connection, turning libpqxx exceptions into
// kUnavailable (broken connection) or kInternal (SQL error) and logging the detail to stderr.
// pqxx is visible here by design: only adapters and projections include this header.
template <typename Body>
auto WithConnection(ConnectionPool& pool, Body&& body)
    -> decltype(body(std::declval<pqxx::connection&>())) {
  const core::ScopedBlocking waiting;  // on the pool, then on PostgreSQL (ADR 0113)
  auto lease = pool.Acquire();
  if (!lease.ok()) return lease.error();
  try {
    return body(**lease);
  } catch (const pqxx::broken_connection& e) {
    lease->MarkBroken();
    std::fprintf(stderr, "postgres: connection lost: %s\n", e.what());
    return core::Unavailable("database connection lost");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postgres: %s\n", e.what());
    return core::Internal("database error");
  }
}

// Runs the prepared statement `name` outside a transaction: one round trip, no BEGIN/COMMIT
// (under READ COMMITTED a transaction gives each statement its own snapshot anyway; several
// tables at one instant need one statement, ADR 0105). `sql` is registered on the connection
// under `name` on first use and PostgreSQL parses and plans it once per connection; every call
// with one name must pass the same `sql`. Throws as pqxx does (WithConnection catches).
template <typename... Args>
pqxx::result ExecPrepared(pqxx::connection& c, const char* name, const std::string& sql,
                          Args&&... args) {
  c.prepare(name, sql);
  pqxx::nontransaction tx(c);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace filament::pgstore
