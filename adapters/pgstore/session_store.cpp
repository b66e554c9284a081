// Refresh sessions and renames of the credential store (REST_API.md §4.2, ADR 0020).
#include "adapters/pgstore/auth_store.hpp"
#include "adapters/pgstore/connection_pool.hpp"

namespace filament::pgstore {
namespace {

std::optional<SessionLookup> LockSession(pqxx::work& tx, const std::string& session_id,
                                         const std::string& token_hash) {
  auto rows = tx.exec_params(
      "SELECT user_id, expires_at_unix, revoked, token_hash = $2 FROM auth_sessions "
      "WHERE session_id = $1 FOR UPDATE",
      session_id, token_hash);
  if (rows.empty()) return std::nullopt;
  SessionLookup lookup;
  lookup.user_id = rows[0][0].as<std::string>();
  lookup.expires_at_unix = rows[0][1].as<int64_t>();
  lookup.revoked = rows[0][2].as<bool>();
  if (rows[0][3].as<bool>()) {
    lookup.match = SessionLookup::Match::kCurrent;
  } else {
    auto used = tx.exec_params(
        "SELECT 1 FROM auth_used_refresh_tokens WHERE token_hash = $1 AND session_id = $2",
        token_hash, session_id);
    lookup.match = used.empty() ? SessionLookup::Match::kOther : SessionLookup::Match::kUsed;
  }
  return lookup;
}

void WriteChange(pqxx::work& tx, const std::string& session_id, const std::string& old_hash,
                 const SessionChange& change, int64_t now_unix, int64_t used_retention_secs) {
  if (change.kind == SessionChange::Kind::kRotate) {
    tx.exec_params(
        "INSERT INTO auth_used_refresh_tokens (token_hash, session_id, used_at_unix) "
        "VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING",
        old_hash, session_id, now_unix);
    tx.exec_params(
        "DELETE FROM auth_used_refresh_tokens WHERE session_id = $1 AND used_at_unix < $2",
        session_id, now_unix - used_retention_secs);
    tx.exec_params(
        "UPDATE auth_sessions SET token_hash = $2, expires_at_unix = $3 WHERE session_id = $1",
        session_id, change.new_token_hash, change.new_expires_at_unix);
  } else if (change.kind == SessionChange::Kind::kRevoke) {
    tx.exec_params("UPDATE auth_sessions SET revoked = true WHERE session_id = $1", session_id);
  }
}

}  // namespace

core::Status AuthStore::WithSessionLocked(
    const std::string& session_id, const std::string& token_hash, int64_t now_unix,
    int64_t used_retention_secs,
    const std::function<core::Result<SessionChange>(const std::optional<SessionLookup>&)>& decide) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    auto change = decide(LockSession(tx, session_id, token_hash));
    if (!change.ok()) return change.error();  // rolled back by tx's destructor
    WriteChange(tx, session_id, token_hash, *change, now_unix, used_retention_secs);
    tx.commit();
    return core::OkStatus();
  });
}

core::Result<SweepCounts> AuthStore::SweepExpiredSessions(int64_t now_unix,
                                                          int64_t used_retention_secs,
                                                          int64_t batch) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<SweepCounts> {
    pqxx::work tx(c);
    SweepCounts counts;
    counts.sessions = tx.exec_params(
                            "DELETE FROM auth_sessions WHERE session_id IN ("
                            "SELECT session_id FROM auth_sessions WHERE expires_at_unix <= $1 "
                            "ORDER BY expires_at_unix LIMIT $2 FOR UPDATE SKIP LOCKED)",
                            now_unix, batch)
                          .affected_rows();
    counts.used_tokens = tx.exec_params(
                               "DELETE FROM auth_used_refresh_tokens WHERE token_hash IN ("
                               "SELECT token_hash FROM auth_used_refresh_tokens "
                               "WHERE used_at_unix < $1 ORDER BY used_at_unix LIMIT $2 "
                               "FOR UPDATE SKIP LOCKED)",
                               now_unix - used_retention_secs, batch)
                             .affected_rows();
    tx.commit();
    return counts;
  });
}

core::Result<bool> AuthStore::Rename(const std::string& user_id, const std::string& username) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<bool> {
    try {
      pqxx::work tx(c);
      auto rows = tx.exec_params(
          "UPDATE credentials SET username = $2 WHERE user_id = $1 RETURNING user_id", user_id,
          username);
      tx.commit();
      return !rows.empty();
    } catch (const pqxx::unique_violation&) {
      return false;  // another account holds the name (possibly claimed a moment ago)
    }
  });
}

}  // namespace filament::pgstore
