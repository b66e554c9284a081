#include "projections/runner/pg_support.hpp"

namespace filament::projections::pg {

core::Error DbError(const std::exception& e, const std::string& context) {
  std::string message = context + ": " + e.what();
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return core::Unavailable(message);
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    if (state == "40001" || state == "40P01") return core::Aborted(message);
    // Class 08: connection exceptions; 57P01..57P03: the server is shutting down / starting.
    if (state.rfind("08", 0) == 0 || state.rfind("57P0", 0) == 0) {
      return core::Unavailable(message);
    }
  }
  return core::Internal(message);
}

core::Result<std::unique_ptr<pqxx::connection>> Connect(const std::string& conninfo) {
  try {
    return std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    return core::Unavailable(std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

core::Status AsyncCommit(pqxx::connection& conn) {
  return Guard("set synchronous_commit", [&] {
    pqxx::nontransaction tx(conn);
    tx.exec0("SET synchronous_commit = off");
    return core::OkStatus();
  });
}

}  // namespace filament::projections::pg
