#pragma once

#include <string>

#include "core/result.hpp"

namespace filament::commands {

// Where password hashes live: outside the log, in storage that can be erased (contract:
// secrets never enter the log in clear). Implemented over PostgreSQL in adapters/postgres.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;

  // Claims `username` for `user_id` with `password_hash` (an encoded Argon2id hash).
  // Returns false when the username is already claimed (by any process: the store enforces
  // uniqueness). Errors: kUnavailable (storage down; retry).
  virtual core::Result<bool> Claim(const std::string& user_id, const std::string& username,
                                   const std::string& password_hash) = 0;

  // Undoes a Claim whose registration event could not be appended. Idempotent.
  virtual core::Status Release(const std::string& user_id) = 0;

  // Moves `user_id`'s claim to `username` (the old name is free again). Returns false when
  // another account holds `username`. Errors: kUnavailable (storage down; retry).
  virtual core::Result<bool> Rename(const std::string& user_id, const std::string& username) = 0;
};

}  // namespace filament::commands
