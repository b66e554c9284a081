// UsersQueries for `filament admin` (ADR 0066): lookups by name, paging, the recorded owner.
#include "adapters/pgstore/connection_pool.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::projections {

core::Result<std::optional<std::string>> UsersQueries::FindIdByUsername(
    const std::string& username) {
  using Out = core::Result<std::optional<std::string>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params("SELECT user_id FROM users WHERE username = $1", username);
    if (rows.empty()) return std::optional<std::string>{};
    return std::optional<std::string>{rows[0][0].as<std::string>()};
  });
}

core::Result<std::vector<Profile>> UsersQueries::ListByUsername(const std::string& after_username,
                                                                int64_t limit) {
  using Out = core::Result<std::vector<Profile>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT user_id, username, registered_at_unix FROM users WHERE username > $1 "
        "ORDER BY username LIMIT $2",
        after_username, limit);
    std::vector<Profile> out;
    for (const auto& r : rows) {
      Profile p;
      p.user_id = r[0].as<std::string>();
      p.username = r[1].as<std::string>();
      p.registered_at_unix = r[2].as<int64_t>();
      out.push_back(std::move(p));
    }
    return out;
  });
}

core::Result<std::string> UsersQueries::RecordedServerOwner() {
  using Out = core::Result<std::string>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec("SELECT owner_user_id FROM server_owner");
    return rows.empty() ? std::string() : rows[0][0].as<std::string>();
  });
}

core::Result<std::set<std::string>> UsersQueries::LockedUserIds() {
  using Out = core::Result<std::set<std::string>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    std::set<std::string> out;
    for (const auto& row : tx.exec("SELECT user_id FROM locked_users")) {
      out.insert(row[0].as<std::string>());
    }
    return out;
  });
}

core::Result<std::map<std::string, int64_t>> UsersQueries::PasswordResetTimes() {
  using Out = core::Result<std::map<std::string, int64_t>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    std::map<std::string, int64_t> out;
    for (const auto& row : tx.exec("SELECT user_id, reset_at_unix FROM password_resets")) {
      out.emplace(row[0].as<std::string>(), row[1].as<int64_t>());
    }
    return out;
  });
}

core::Result<std::string> UsersQueries::LastPasswordResetId(const std::string& user_id) {
  using Out = core::Result<std::string>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params("SELECT reset_id FROM password_resets WHERE user_id = $1", user_id);
    return rows.empty() ? std::string() : rows[0][0].as<std::string>();
  });
}

}  // namespace filament::projections
