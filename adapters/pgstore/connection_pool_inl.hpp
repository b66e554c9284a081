#pragma once

// Template part of connection_pool.hpp. Included only from there; pulls in pqxx, so only
// projections and adapters (which may see pqxx by design) include connection_pool.hpp.
#include <cstdio>
#include <pqxx/pqxx>

namespace filament::pgstore {

template <typename Body>
auto WithConnection(ConnectionPool& pool, Body&& body)
    -> decltype(body(std::declval<pqxx::connection&>())) {
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

}  // namespace filament::pgstore
