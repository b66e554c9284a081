#include "adapters/postgres/migrations.hpp"

#include <map>

#include <pqxx/pqxx>

#include "adapters/postgres/migrations_table.hpp"

namespace filament::postgres {
namespace {

// "filament" in ASCII: the session advisory lock that serialises migrators.
constexpr int64_t kMigrationLockKey = 0x66696c616d656e74;

core::Error Precondition(std::string message) {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, std::move(message));
}

std::map<int, std::string> AppliedMigrations(pqxx::connection& conn) {
  pqxx::work tx(conn);
  tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version int PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  std::map<int, std::string> applied;
  for (const auto& row : tx.exec("SELECT version, name FROM schema_migrations")) {
    applied[row[0].as<int>()] = row[1].as<std::string>();
  }
  tx.commit();
  return applied;
}

core::Status CheckRecorded(const std::map<int, std::string>& applied) {
  std::map<int, std::string> embedded;
  for (const auto& m : internal::EmbeddedMigrations()) embedded[m.version] = m.name;
  for (const auto& [version, name] : applied) {
    auto it = embedded.find(version);
    if (it == embedded.end()) {
      return Precondition("database has migration " + name +
                          " which this binary does not know (migrated by a newer build?)");
    }
    if (it->second != name) {
      return Precondition("migration " + std::to_string(version) + " is recorded as '" + name +
                          "' but this binary has '" + it->second + "'");
    }
  }
  return core::OkStatus();
}

core::Status ApplyOne(pqxx::connection& conn, const internal::EmbeddedMigration& migration) {
  try {
    pqxx::work tx(conn);
    tx.exec(migration.sql);
    tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                   migration.version, std::string(migration.name));
    tx.commit();
    return core::OkStatus();
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    return core::Internal("migration " + std::string(migration.name) + " failed: " + e.what());
  }
}

core::Status ApplyLocked(pqxx::connection& conn) {
  auto applied = AppliedMigrations(conn);
  FILAMENT_RETURN_IF_ERROR(CheckRecorded(applied));
  for (const auto& migration : internal::EmbeddedMigrations()) {
    if (applied.count(migration.version) != 0) continue;
    FILAMENT_RETURN_IF_ERROR(ApplyOne(conn, migration));
  }
  return core::OkStatus();
}

}  // namespace

core::Status ApplyMigrations(const std::string& conninfo) {
  try {
    pqxx::connection conn(conninfo);
    pqxx::nontransaction(conn).exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) +
                                    ")");
    auto status = ApplyLocked(conn);
    // Closing the connection would release the lock too; unlock explicitly for poolers.
    pqxx::nontransaction(conn).exec("SELECT pg_advisory_unlock(" +
                                    std::to_string(kMigrationLockKey) + ")");
    return status;
  } catch (const pqxx::broken_connection& e) {
    return core::Unavailable(std::string("migrations: database unreachable: ") + e.what());
  } catch (const std::exception& e) {
    return core::Internal(std::string("migrations: ") + e.what());
  }
}

std::vector<std::string> MigrationNames() {
  std::vector<std::string> names;
  for (const auto& m : internal::EmbeddedMigrations()) names.emplace_back(m.name);
  return names;
}

}  // namespace filament::postgres
