#pragma once

#include <cstdint>
#include <functional>
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

// Reservations of attachment bytes still arriving, shared by every command writer of one
// deployment (ADR 0096). With fenced writers (ADR 0091) each api process admits uploads, so
// the per-user quota needs one place where their reservations meet. Implemented over
// PostgreSQL in adapters/pgstore; a single writer keeps them in memory (AttachmentQuota).
class UploadReservations {
 public:
  virtual ~UploadReservations() = default;

  // Adds between `at_least` and `at_most` bytes (as many as the quota leaves) to the hold
  // `hold_id` of `user_id`, counting the user's live holds (every process's, this one's
  // included) and `used()`; returns the bytes added, 0 when fewer than `at_least` are left
  // (nothing added). Runs under a lock on `user_id` shared by every process, and calls
  // `used()` (the caller's fold of the log, brought to the log's end) only after it has summed
  // the holds, so an upload whose hold was released before the sum is in the fold. A hold dies
  // with the process that made it. Errors: kUnavailable (storage or log down; retry), or
  // `used()`'s error.
  virtual core::Result<uint64_t> Reserve(const std::string& user_id, const std::string& hold_id,
                                         uint64_t at_least, uint64_t at_most, uint64_t quota,
                                         const std::function<core::Result<uint64_t>()>& used) = 0;

  // Drops the hold (its upload was appended and folded, or failed). Idempotent, and never
  // blocks on storage: the caller may be a thread that must not wait (ADR 0096).
  virtual core::Status Release(const std::string& hold_id) = 0;
};

}  // namespace filament::commands
