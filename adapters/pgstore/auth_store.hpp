#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "commands/ports.hpp"
#include "core/result.hpp"

namespace filament::pgstore {

class ConnectionPool;

// A refresh session as the store sees it, and how a presented token hash relates to it.
struct SessionLookup {
  enum class Match { kCurrent, kUsed, kOther };  // kUsed: an already-rotated token (replay)
  std::string user_id;
  int64_t expires_at_unix = 0;
  bool revoked = false;
  Match match = Match::kOther;
};

// What to do with a locked session: nothing, rotate to a new token hash (recording the old
// one as used) with a new expiry, or revoke it.
struct SessionChange {
  enum class Kind { kNone, kRotate, kRevoke };
  Kind kind = Kind::kNone;
  std::string new_token_hash;
  int64_t new_expires_at_unix = 0;
};

// What one sweep batch deleted.
struct SweepCounts {
  int64_t sessions = 0;     // expired sessions (their used-token records went with them)
  int64_t used_tokens = 0;  // used-token records past their retention, of live sessions
};

struct CredentialRow {
  std::string user_id;
  std::string password_hash;
  int64_t failed_attempts = 0;
  int64_t locked_until_unix = 0;
  // A password reset written but not yet promoted (ADR 0066); both empty when none.
  std::string pending_reset_id;
  std::string pending_password_hash;
};

// Credentials, sessions and signing keys in PostgreSQL (migration 0003). Thread-safe.
// Every method may fail with kUnavailable (database unreachable: retry) or kInternal.
class AuthStore final : public commands::CredentialStore {
 public:
  explicit AuthStore(ConnectionPool& pool) : pool_(pool) {}

  core::Result<bool> Claim(const std::string& user_id, const std::string& username,
                           const std::string& password_hash) override;
  core::Status Release(const std::string& user_id) override;

  core::Result<std::optional<CredentialRow>> FindCredential(const std::string& username);
  // Counts a wrong password; at `threshold` consecutive failures locks the account until
  // now + lock_secs and starts counting again.
  core::Status RecordLoginFailure(const std::string& user_id, int64_t now_unix, int64_t threshold,
                                  int64_t lock_secs);
  core::Status RecordLoginSuccess(const std::string& user_id);
  // `filament admin lock` (ADR 0066): revokes every live refresh session of `user_id`;
  // returns how many. Idempotent.
  core::Result<int64_t> RevokeUserSessions(const std::string& user_id);
  // `filament admin reset-password` (ADR 0066), step 1: stores `password_hash` as pending
  // under `reset_id` (replacing any earlier pending one). False: no such user.
  core::Result<bool> StagePasswordReset(const std::string& user_id, const std::string& reset_id,
                                        const std::string& password_hash);
  // Step 3 (also done at login): makes the pending hash of `reset_id` the password and clears
  // the wrong-password lockout. The caller checked that the log records `reset_id`. False:
  // nothing pending under that id (already promoted, or replaced).
  core::Result<bool> PromotePasswordReset(const std::string& user_id, const std::string& reset_id);

  core::Result<bool> Rename(const std::string& user_id, const std::string& username) override;

  // Stores a new session; drops the user's sessions that expired more than an hour ago.
  core::Status CreateSession(const std::string& session_id, const std::string& user_id,
                             const std::string& token_hash, int64_t expires_at_unix,
                             int64_t now_unix);

  // Locks the session `session_id` (no other rotation, revocation or logout of it runs
  // meanwhile, in any process), classifies `token_hash` against it and calls
  // `decide(lookup)` (nullopt: no such session). When `decide` succeeds its change is written
  // and committed; when it fails nothing is written and its error is returned. `decide` may
  // append to the log: a rotation is then recorded exactly when it is committed or retried.
  // Used-token records older than `used_retention_secs` are dropped on rotation.
  core::Status WithSessionLocked(
      const std::string& session_id, const std::string& token_hash, int64_t now_unix,
      int64_t used_retention_secs,
      const std::function<core::Result<SessionChange>(const std::optional<SessionLookup>&)>&
          decide);

  // One bounded sweep batch (the session sweeper, ADR 0020): deletes up to `batch` sessions
  // that expired at or before `now_unix` (with their used-token records) and up to `batch`
  // used-token records older than `used_retention_secs`. Rows another transaction holds locked
  // (a refresh or logout of that session, another process's sweep) are skipped, not waited
  // for, so several processes may sweep one database at once.
  core::Result<SweepCounts> SweepExpiredSessions(int64_t now_unix, int64_t used_retention_secs,
                                                 int64_t batch);

  // Returns every stored key (encoded), newest first; when there is none, stores
  // `generate()` first. Safe when several processes start at once.
  core::Result<std::vector<std::string>> LoadOrCreateKeys(
      const std::function<std::pair<std::string, std::string>()>& generate /* kid, encoded */);

 private:
  ConnectionPool& pool_;
};

}  // namespace filament::pgstore
