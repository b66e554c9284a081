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

struct CredentialRow {
  std::string user_id;
  std::string password_hash;
  int64_t failed_attempts = 0;
  int64_t locked_until_unix = 0;
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

  core::Status CreateSession(const std::string& session_id, const std::string& user_id,
                             const std::string& token_hash, int64_t expires_at_unix,
                             int64_t now_unix);

  // Returns every stored key (encoded), newest first; when there is none, stores
  // `generate()` first. Safe when several processes start at once.
  core::Result<std::vector<std::string>> LoadOrCreateKeys(
      const std::function<std::pair<std::string, std::string>()>& generate /* kid, encoded */);

 private:
  ConnectionPool& pool_;
};

}  // namespace filament::pgstore
