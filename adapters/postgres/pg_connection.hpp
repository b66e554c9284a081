#pragma once

// Internal to adapters/postgres (includes libpqxx; never include from a public header).

#include <exception>
#include <functional>
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "core/result.hpp"

namespace filament::postgres::internal {

// A connection opened on first use and dropped after a failure, so the next call reconnects.
// Not thread-safe: one owner thread (or an external mutex).
class LazyConnection {
 public:
  // `on_connect` runs after each (re)connect, e.g. to prepare statements or LISTEN;
  // `on_reset` runs before the connection is dropped (to destroy objects bound to it).
  explicit LazyConnection(std::string conninfo,
                          std::function<void(pqxx::connection&)> on_connect = {},
                          std::function<void()> on_reset = {});
  ~LazyConnection();

  // Errors: kUnavailable (cannot connect).
  core::Result<pqxx::connection*> Get();
  // Drops the connection (after an error that may have left it unusable).
  void Reset();
  // Maps an exception thrown while using the connection to an error, resetting the
  // connection when it is broken. Call from a catch block.
  core::Error Fail(const std::exception& e, const std::string& what);

 private:
  std::string conninfo_;
  std::function<void(pqxx::connection&)> on_connect_;
  std::function<void()> on_reset_;
  std::unique_ptr<pqxx::connection> conn_;
};

// True for errors that mean "the server or the connection went away" (retry the call).
bool IsConnectionError(const std::exception& e);

}  // namespace filament::postgres::internal
