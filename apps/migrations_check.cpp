#include <set>

#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/postgres/migrations.hpp"
#include "apps/ops_monitor.hpp"

namespace filament::app {

std::function<core::Status()> MigrationsCheck(pgstore::ConnectionPool& pool) {
  return [&pool]() -> core::Status {
    std::set<std::string> recorded;
    FILAMENT_RETURN_IF_ERROR(pgstore::WithConnection(pool, [&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      for (const auto& row : tx.exec("SELECT name FROM schema_migrations")) {
        recorded.insert(row[0].as<std::string>());
      }
      return core::OkStatus();
    }));
    const auto names = postgres::MigrationNames();
    for (const auto& name : names) {
      if (recorded.erase(name) == 0) return core::Unavailable("migration " + name + " not applied");
    }
    if (!recorded.empty()) {
      return core::MakeError(core::ErrorCode::kFailedPrecondition,
                             "unknown migration " + *recorded.begin() + " (a newer build?)");
    }
    return core::OkStatus();
  };
}

}  // namespace filament::app
