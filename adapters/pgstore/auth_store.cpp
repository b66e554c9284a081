#include "adapters/pgstore/auth_store.hpp"

#include "adapters/pgstore/connection_pool.hpp"

namespace filament::pgstore {

core::Result<bool> AuthStore::Claim(const std::string& user_id, const std::string& username,
                                    const std::string& password_hash) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<bool> {
    pqxx::work tx(c);
    auto rows = tx.exec_params(
        "INSERT INTO credentials (user_id, username, password_hash) VALUES ($1, $2, $3) "
        "ON CONFLICT (username) DO NOTHING RETURNING user_id",
        user_id, username, password_hash);
    tx.commit();
    return !rows.empty();
  });
}

core::Status AuthStore::Release(const std::string& user_id) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    tx.exec_params("DELETE FROM credentials WHERE user_id = $1", user_id);
    tx.commit();
    return core::OkStatus();
  });
}

core::Result<std::optional<CredentialRow>> AuthStore::FindCredential(const std::string& username) {
  using Out = core::Result<std::optional<CredentialRow>>;
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT user_id, password_hash, failed_attempts, locked_until_unix, "
        "coalesce(pending_reset_id, ''), coalesce(pending_password_hash, '') FROM credentials "
        "WHERE username = $1",
        username);
    if (rows.empty()) return std::optional<CredentialRow>{};
    const auto& row = rows[0];
    return std::optional<CredentialRow>{
        CredentialRow{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<int64_t>(),
                      row[3].as<int64_t>(), row[4].as<std::string>(), row[5].as<std::string>()}};
  });
}

core::Status AuthStore::RecordLoginFailure(const std::string& user_id, int64_t now_unix,
                                           int64_t threshold, int64_t lock_secs) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    tx.exec_params(
        "UPDATE credentials SET "
        "  locked_until_unix = CASE WHEN failed_attempts + 1 >= $2::int THEN $3::bigint + "
        "$4::bigint "
        "                           ELSE locked_until_unix END, "
        "  failed_attempts = CASE WHEN failed_attempts + 1 >= $2::int THEN 0 "
        "                         ELSE failed_attempts + 1 END "
        "WHERE user_id = $1",
        user_id, threshold, now_unix, lock_secs);
    tx.commit();
    return core::OkStatus();
  });
}

core::Status AuthStore::RecordLoginSuccess(const std::string& user_id) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    tx.exec_params("UPDATE credentials SET failed_attempts = 0 WHERE user_id = $1", user_id);
    tx.commit();
    return core::OkStatus();
  });
}

core::Result<int64_t> AuthStore::RevokeUserSessions(const std::string& user_id) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<int64_t> {
    pqxx::work tx(c);
    auto result = tx.exec_params(
        "UPDATE auth_sessions SET revoked = true WHERE user_id = $1 AND NOT revoked", user_id);
    tx.commit();
    return static_cast<int64_t>(result.affected_rows());
  });
}

core::Result<bool> AuthStore::StagePasswordReset(const std::string& user_id,
                                                 const std::string& reset_id,
                                                 const std::string& password_hash) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<bool> {
    pqxx::work tx(c);
    auto result = tx.exec_params(
        "UPDATE credentials SET pending_reset_id = $2, pending_password_hash = $3 "
        "WHERE user_id = $1",
        user_id, reset_id, password_hash);
    tx.commit();
    return result.affected_rows() == 1;
  });
}

core::Result<bool> AuthStore::PromotePasswordReset(const std::string& user_id,
                                                   const std::string& reset_id) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<bool> {
    pqxx::work tx(c);
    auto result = tx.exec_params(
        "UPDATE credentials SET password_hash = pending_password_hash, "
        "pending_password_hash = NULL, pending_reset_id = NULL, failed_attempts = 0, "
        "locked_until_unix = 0 WHERE user_id = $1 AND pending_reset_id = $2 "
        "AND pending_password_hash IS NOT NULL",
        user_id, reset_id);
    tx.commit();
    return result.affected_rows() == 1;
  });
}

core::Status AuthStore::CreateSession(const std::string& session_id, const std::string& user_id,
                                      const std::string& token_hash, int64_t expires_at_unix,
                                      int64_t now_unix) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    // The user's sessions that expired over an hour ago go (their used-token records with
    // them, ON DELETE CASCADE): the store stays bounded without a sweeper (LIMITS.md §1.3).
    tx.exec_params(
        "DELETE FROM auth_sessions WHERE user_id = $1 AND expires_at_unix < $2::bigint - 3600",
        user_id, now_unix);
    tx.exec_params(
        "INSERT INTO auth_sessions (session_id, user_id, token_hash, expires_at_unix, "
        "created_at_unix) VALUES ($1, $2, $3, $4, $5)",
        session_id, user_id, token_hash, expires_at_unix, now_unix);
    tx.commit();
    return core::OkStatus();
  });
}

core::Result<std::vector<std::string>> AuthStore::LoadOrCreateKeys(
    const std::function<std::pair<std::string, std::string>()>& generate) {
  using Out = core::Result<std::vector<std::string>>;
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::work tx(c);
    // Serialize first start-ups of several processes so exactly one key is created.
    tx.exec("SELECT pg_advisory_xact_lock(7318201)");
    auto rows = tx.exec("SELECT key_material FROM token_keys ORDER BY created_at DESC, kid");
    if (rows.empty()) {
      auto [kid, encoded] = generate();
      tx.exec_params("INSERT INTO token_keys (kid, key_material) VALUES ($1, $2)", kid, encoded);
      tx.commit();
      return std::vector<std::string>{encoded};
    }
    std::vector<std::string> keys;
    for (const auto& row : rows) keys.push_back(row[0].as<std::string>());
    tx.commit();
    return keys;
  });
}

}  // namespace filament::pgstore
