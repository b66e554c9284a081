#pragma once

#include <memory>
#include <string>

#include "commands/command_service.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace filament::pgstore {
class AuthStore;
}  // namespace filament::pgstore
namespace filament::projections {
class UsersQueries;
}  // namespace filament::projections

namespace filament::api {

// Who a valid access token speaks for.
struct Principal {
  std::string user_id;
  std::string username;
};

struct IssuedTokens {
  std::string access_token;
  std::string refresh_token;
  int64_t expires_in_secs = 0;
};

// Registration, login and token checks (REST_API.md §4.2). Passwords are Argon2id hashes in
// the credential store, never in the log; access tokens are PASETO v4.local signed with a key
// persisted (with its key id) in the database, so tokens survive restarts. Thread-safe.
class AuthService {
 public:
  struct Options {
    core::Limits limits;
    uint64_t argon2_ops_limit = 0;      // 0 = libsodium's interactive default
    size_t argon2_mem_limit_bytes = 0;  // 0 = libsodium's interactive default
  };
  AuthService(commands::CommandService& commands, pgstore::AuthStore& store,
              projections::UsersQueries& users, const core::Clock& clock, Options options);
  ~AuthService();

  // Loads the signing keys (creating the first one). Must succeed before serving.
  core::Status Init();

  // Errors: kInvalidArgument (username/password rules). A taken username is not an error.
  core::Result<commands::Appended> Register(const commands::CommandContext& ctx,
                                            const std::string& username,
                                            const std::string& password);
  // Every failure is kUnauthenticated with the same cost and the same answer: bad format,
  // unknown user, wrong password, locked account (5 wrong passwords lock it for 30 s).
  core::Result<IssuedTokens> Login(const commands::CommandContext& ctx, const std::string& username,
                                   const std::string& password);
  // Rotates the refresh session named by `refresh_token` (`<session_id>.<secret>`): new
  // tokens, expiry slid to now + TTL, the old token recorded as used. Presenting a used token
  // again revokes that session (only it) and answers kUnauthenticated, as does every other
  // failure (empty/oversize, unknown, expired, revoked, mismatched). The log records the
  // rotation or revocation by session id only (ADR 0020). Errors: kUnauthenticated,
  // kUnavailable (storage or log down: retry).
  core::Result<IssuedTokens> Refresh(const commands::CommandContext& ctx,
                                     const std::string& refresh_token);
  // Revokes the session whose *current* token is `refresh_token`. Errors: kUnauthenticated
  // (empty/oversize, unknown session, not its current token, already revoked), kUnavailable.
  core::Status Logout(const commands::CommandContext& ctx, const std::string& refresh_token);
  // Verifies an access token and that its user exists: in the command side's user directory
  // where this process runs the commands (ADR 0099), else in the users read model.
  // Errors: kUnauthenticated, kUnavailable (the read model or the operator's lists unreachable).
  core::Result<Principal> Authenticate(std::string_view token);
  // Verifies only the token (no database): for keying the global rate limiter.
  std::optional<std::string> TokenSubject(std::string_view token) const;

 private:
  struct Impl;
  core::Result<IssuedTokens> IssueTokens(const std::string& user_id, const std::string& username,
                                         const std::string& session_id, int64_t now);
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::api
