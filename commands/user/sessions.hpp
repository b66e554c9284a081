#pragma once

#include <cstdint>
#include <string>

#include "commands/user/user_state.hpp"
#include "core/result.hpp"

// The life of refresh sessions on the user stream (REST_API.md §4.2, ADR 0020). The secrets
// (token hashes, used-token records) live in the auth store; these deciders keep the log's
// account of each session — started, rotated, revoked with a reason — consistent: no rotation
// of a session the log does not know as live. Errors: kUnauthenticated (unknown, revoked or
// expired session: the contract's 401 invalid_credentials).
namespace filament::commands {

struct StartSession {
  std::string session_id;
  int64_t now_unix = 0;
  int64_t expires_at_unix = 0;
};

struct RotateSession {
  std::string session_id;
  int64_t now_unix = 0;
  int64_t expires_at_unix = 0;  // the new, slid expiry
};

struct RevokeSession {
  std::string session_id;
  std::string reason;  // "logout" or "replay"
  int64_t now_unix = 0;
};

core::Result<UserEvents> Decide(const UserState& user, const StartSession& cmd);
core::Result<UserEvents> Decide(const UserState& user, const RotateSession& cmd);
// Revoking a session that is already revoked appends nothing (idempotent).
core::Result<UserEvents> Decide(const UserState& user, const RevokeSession& cmd);

}  // namespace filament::commands
