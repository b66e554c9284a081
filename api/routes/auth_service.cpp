#include "api/routes/auth_service.hpp"

#include <array>
#include <climits>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "adapters/crypto/access_token.hpp"
#include "adapters/crypto/paseto.hpp"
#include "adapters/crypto/password.hpp"
#include "adapters/crypto/primitives.hpp"
#include "adapters/pgstore/auth_store.hpp"
#include "commands/user/sessions.hpp"
#include "commands/validation.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::api {

namespace {

// Access tokens that verified, by their exact text (ADR 0112). A client sends the same token
// with every request for the token's lifetime, and verifying one (base64url twice, three
// BLAKE2b, XChaCha20, the claims' JSON) cost a worker ~17 µs per request. Only a token that
// verified is stored, so no input can add an entry without the key; a hit re-applies the time
// checks (exp, nbf) against the clock; keys do not change while the process runs. Sharded
// to keep the workers off one lock; a full shard is emptied (its tokens verify again).
class VerifiedTokens {
 public:
  std::optional<crypto::AccessClaims> Find(std::string_view token, int64_t now_unix) {
    Shard& shard = ShardOf(token);
    std::lock_guard lock(shard.mu);
    auto it = shard.claims.find(token);
    if (it == shard.claims.end()) return std::nullopt;
    if (it->second.exp <= now_unix || it->second.nbf > now_unix) return std::nullopt;
    return it->second;
  }

  void Insert(std::string_view token, const crypto::AccessClaims& claims) {
    Shard& shard = ShardOf(token);
    std::lock_guard lock(shard.mu);
    if (shard.claims.size() >= kPerShard) shard.claims.clear();
    shard.claims.emplace(std::string(token), claims);
  }

 private:
  static constexpr size_t kShards = 8;
  static constexpr size_t kPerShard = 1024;  // 8 192 tokens, ~3 MiB at most

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, crypto::AccessClaims, Hash, std::equal_to<>> claims;
  };

  Shard& ShardOf(std::string_view token) { return shards_[Hash{}(token) % kShards]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace

struct AuthService::Impl {
  commands::CommandService& commands;
  pgstore::AuthStore& store;
  projections::UsersQueries& users;
  const core::Clock& clock;
  Options options;
  crypto::PasswordHashParams hash_params;
  crypto::KeyRing keys;
  crypto::SymmetricKey signing_key;  // the newest key signs; every stored key verifies
  core::UlidGenerator session_ids;
  // Operator actions on accounts (ADR 0066): locked users and the time of each user's latest
  // password reset, re-read from the users read model at most every kOperatorRefreshMs.
  std::mutex operator_mu;
  std::set<std::string> locked;                  // under operator_mu
  std::map<std::string, int64_t> reset_at_unix;  // under operator_mu
  int64_t operator_read_at_ms = INT64_MIN;       // under operator_mu
  VerifiedTokens verified;

  // VerifyAccessToken, answered from `verified` for a token that verified before.
  core::Result<crypto::AccessClaims> Verify(std::string_view token) {
    const int64_t now = clock.NowUnix();
    if (auto known = verified.Find(token, now)) return *std::move(known);
    auto claims = crypto::VerifyAccessToken(keys, token, now);
    if (claims.ok()) verified.Insert(token, *claims);
    return claims;
  }

  // Whether an operator action bars `user_id`: a lock, or (issued_at_unix >= 0) a password
  // reset after the token was issued. Errors: kUnavailable (the read model cannot be read:
  // the caller refuses rather than guess).
  core::Result<bool> Barred(const std::string& user_id, int64_t issued_at_unix = -1) {
    constexpr int64_t kOperatorRefreshMs = 2000;
    const int64_t now = clock.NowUnixMs();
    std::lock_guard lock(operator_mu);
    if (operator_read_at_ms == INT64_MIN || now - operator_read_at_ms >= kOperatorRefreshMs) {
      auto read_locked = users.LockedUserIds();
      auto read_resets = users.PasswordResetTimes();
      if (!read_locked.ok() || !read_resets.ok()) {
        return core::Unavailable("cannot read the operator's account actions");
      }
      locked = std::move(*read_locked);
      reset_at_unix = std::move(*read_resets);
      operator_read_at_ms = now;
    }
    if (locked.count(user_id) != 0) return true;
    auto reset = reset_at_unix.find(user_id);
    return issued_at_unix >= 0 && reset != reset_at_unix.end() && issued_at_unix < reset->second;
  }

  // The hash a login checks: a pending reset whose id the log records is promoted first
  // (ADR 0066: also done by `filament admin reset-password` itself, unless it crashed).
  core::Result<std::string> CurrentHash(const pgstore::CredentialRow& row) {
    if (row.pending_reset_id.empty()) return row.password_hash;
    auto recorded = users.LastPasswordResetId(row.user_id);
    if (!recorded.ok()) return recorded.error();
    if (*recorded != row.pending_reset_id) return row.password_hash;  // not on the log
    auto promoted = store.PromotePasswordReset(row.user_id, row.pending_reset_id);
    if (!promoted.ok()) return promoted.error();
    return row.pending_password_hash;
  }
};

AuthService::AuthService(commands::CommandService& commands, pgstore::AuthStore& store,
                         projections::UsersQueries& users, const core::Clock& clock,
                         Options options)
    : impl_(new Impl{commands, store, users, clock, options, {}, {}, {}, {}}) {
  if (options.argon2_ops_limit != 0) impl_->hash_params.ops_limit = options.argon2_ops_limit;
  if (options.argon2_mem_limit_bytes != 0) {
    impl_->hash_params.mem_limit_bytes = options.argon2_mem_limit_bytes;
  }
}

AuthService::~AuthService() = default;

core::Status AuthService::Init() {
  FILAMENT_RETURN_IF_ERROR(crypto::InitCrypto());
  auto encoded = impl_->store.LoadOrCreateKeys([] {
    crypto::SymmetricKey key = crypto::GenerateSymmetricKey();
    return std::make_pair(key.kid, crypto::EncodeKey(key));
  });
  if (!encoded.ok()) return encoded.error();
  for (size_t i = 0; i < encoded->size(); ++i) {
    auto key = crypto::DecodeKey((*encoded)[i]);
    if (!key.ok()) return core::Internal("stored token key is unreadable: " + key.error().message);
    if (i == 0) impl_->signing_key = *key;
    impl_->keys.Add(*key);
  }
  return core::OkStatus();
}

core::Result<commands::Appended> AuthService::Register(const commands::CommandContext& ctx,
                                                       const std::string& username,
                                                       const std::string& password) {
  FILAMENT_RETURN_IF_ERROR(commands::ValidateUsername(username));
  FILAMENT_RETURN_IF_ERROR(commands::ValidatePassword(password));
  auto hash = crypto::HashPassword(password, impl_->hash_params);
  if (!hash.ok()) return hash.error();
  return impl_->commands.RegisterUser(ctx, username, *hash);
}

core::Result<IssuedTokens> AuthService::Login(const commands::CommandContext& ctx,
                                              const std::string& username,
                                              const std::string& password) {
  const auto denied = core::Unauthenticated("invalid credentials");
  auto burn = [&] { crypto::BurnEquivalentVerifyCost(password, impl_->hash_params); };
  if (!commands::ValidateUsername(username).ok() || !commands::ValidatePassword(password).ok()) {
    burn();
    return denied;
  }
  auto credential = impl_->store.FindCredential(username);
  if (!credential.ok()) return credential.error();
  const int64_t now = impl_->clock.NowUnix();
  if (!credential->has_value() || (*credential)->locked_until_unix > now) {
    burn();
    return denied;
  }
  const auto& row = **credential;
  auto hash = impl_->CurrentHash(row);
  if (!hash.ok()) return hash.error();
  if (!crypto::VerifyPassword(*hash, password)) {
    const auto& limits = impl_->options.limits;
    FILAMENT_RETURN_IF_ERROR(impl_->store.RecordLoginFailure(
        row.user_id, now, limits.login_lock_threshold, limits.login_lock_secs));
    return denied;
  }
  // The registration must have reached the read model (it has, unless it failed mid-way).
  auto profile = impl_->users.FindById(row.user_id);
  if (!profile.ok()) return profile.error();
  if (!profile->has_value()) return denied;
  auto barred = impl_->Barred(row.user_id);  // an operator lock answers as bad credentials
  if (!barred.ok()) return barred.error();
  if (*barred) return denied;
  if (row.failed_attempts != 0)
    FILAMENT_RETURN_IF_ERROR(impl_->store.RecordLoginSuccess(row.user_id));

  const std::string session_id =
      impl_->session_ids.Next(static_cast<uint64_t>(impl_->clock.NowUnixMs())).ToString();
  const int64_t expires = now + impl_->options.limits.refresh_token_ttl_secs;
  // The log learns of the session before its token exists (ADR 0020): a token is never live
  // without its SessionStarted record.
  auto started = impl_->commands.OnUser(commands::CommandContext{row.user_id, ctx.request_id},
                                        row.user_id, [&](commands::Minter&) {
                                          return commands::StartSession{session_id, now, expires};
                                        });
  if (!started.ok()) return started.error();
  auto tokens = IssueTokens(row.user_id, username, session_id, now);
  if (!tokens.ok()) return tokens.error();
  FILAMENT_RETURN_IF_ERROR(impl_->store.CreateSession(
      session_id, row.user_id, crypto::Sha256Hex(tokens->refresh_token), expires, now));
  return tokens;
}

core::Result<IssuedTokens> AuthService::IssueTokens(const std::string& user_id,
                                                    const std::string& username,
                                                    const std::string& session_id, int64_t now) {
  const int64_t ttl = impl_->options.limits.access_token_ttl_secs;
  IssuedTokens tokens;
  tokens.access_token = crypto::IssueAccessToken(
      impl_->signing_key, crypto::AccessClaims{user_id, username, now, now, now + ttl});
  tokens.expires_in_secs = ttl;
  tokens.refresh_token = session_id + "." + crypto::RandomBase64Url(32);
  return tokens;
}

core::Result<Principal> AuthService::Authenticate(std::string_view token) {
  auto claims = impl_->Verify(token);
  if (!claims.ok()) return core::Unauthenticated("invalid access token");
  // The command side's user directory (folded from the log, in memory) answers in a process
  // that runs the commands; the users read model answers elsewhere (a `gateway` process), and
  // for a subject the directory does not know. One PostgreSQL round trip less per request.
  std::optional<std::string> username = impl_->commands.UsernameOf(claims->sub);
  if (!username) {
    auto profile = impl_->users.FindById(claims->sub);
    if (!profile.ok()) return profile.error();
    if (!profile->has_value()) return core::Unauthenticated("token subject no longer exists");
    username = (*profile)->username;
  }
  auto barred = impl_->Barred(claims->sub, claims->iat);  // locked, or issued before a reset
  if (!barred.ok()) return barred.error();
  if (*barred) return core::Unauthenticated("invalid access token");
  return Principal{claims->sub, std::move(*username)};
}

std::optional<std::string> AuthService::TokenSubject(std::string_view token) const {
  auto claims = impl_->Verify(token);
  if (!claims.ok()) return std::nullopt;
  return claims->sub;
}

namespace {

constexpr size_t kMaxRefreshTokenBytes = 512;

// The session id of a well-formed `<session_id>.<secret>` token, else nullopt.
std::optional<std::string> SessionIdOf(const std::string& token) {
  if (token.empty() || token.size() > kMaxRefreshTokenBytes) return std::nullopt;
  const size_t dot = token.find('.');
  if (dot == std::string::npos || dot + 1 == token.size()) return std::nullopt;
  auto id = core::Ulid::Parse(token.substr(0, dot));
  if (!id || id->ToString() != token.substr(0, dot)) return std::nullopt;
  return id->ToString();
}

bool Live(const pgstore::SessionLookup& session, int64_t now) {
  return !session.revoked && session.expires_at_unix > now;
}

}  // namespace

core::Result<IssuedTokens> AuthService::Refresh(const commands::CommandContext& ctx,
                                                const std::string& refresh_token) {
  const auto denied = core::Unauthenticated("invalid refresh token");
  auto session_id = SessionIdOf(refresh_token);
  if (!session_id) return denied;
  const int64_t now = impl_->clock.NowUnix();
  const int64_t ttl = impl_->options.limits.refresh_token_ttl_secs;
  const std::string fresh = *session_id + "." + crypto::RandomBase64Url(32);
  std::string user_id;
  bool rotated = false;
  auto status = impl_->store.WithSessionLocked(
      *session_id, crypto::Sha256Hex(refresh_token), now, ttl + 3600,
      [&](const std::optional<pgstore::SessionLookup>& session)
          -> core::Result<pgstore::SessionChange> {
        using Match = pgstore::SessionLookup::Match;
        if (!session || !Live(*session, now) || session->match == Match::kOther) {
          return pgstore::SessionChange{};
        }
        user_id = session->user_id;
        auto barred = impl_->Barred(user_id);  // a locked account neither rotates nor revokes
        if (!barred.ok()) return barred.error();
        if (*barred) return pgstore::SessionChange{};
        commands::CommandContext own{user_id, ctx.request_id};
        if (session->match == Match::kUsed) {  // replay: the whole session ends
          auto revoked = impl_->commands.OnUser(own, user_id, [&](commands::Minter&) {
            return commands::RevokeSession{*session_id, "replay", now};
          });
          if (!revoked.ok()) return revoked.error();
          return pgstore::SessionChange{pgstore::SessionChange::Kind::kRevoke, "", 0};
        }
        auto recorded = impl_->commands.OnUser(own, user_id, [&](commands::Minter&) {
          return commands::RotateSession{*session_id, now, now + ttl};
        });
        if (!recorded.ok()) return recorded.error();
        rotated = true;
        return pgstore::SessionChange{pgstore::SessionChange::Kind::kRotate,
                                      crypto::Sha256Hex(fresh), now + ttl};
      });
  if (!status.ok()) return status.error();
  if (!rotated) return denied;
  auto username = impl_->commands.UsernameOf(user_id);
  if (!username) return denied;
  auto tokens = IssueTokens(user_id, *username, *session_id, now);
  if (!tokens.ok()) return tokens.error();
  tokens->refresh_token = fresh;
  return tokens;
}

core::Status AuthService::Logout(const commands::CommandContext& ctx,
                                 const std::string& refresh_token) {
  const auto denied = core::Unauthenticated("invalid refresh token");
  auto session_id = SessionIdOf(refresh_token);
  if (!session_id) return denied;
  const int64_t now = impl_->clock.NowUnix();
  bool revoked = false;
  auto status = impl_->store.WithSessionLocked(
      *session_id, crypto::Sha256Hex(refresh_token), now,
      impl_->options.limits.refresh_token_ttl_secs + 3600,
      [&](const std::optional<pgstore::SessionLookup>& session)
          -> core::Result<pgstore::SessionChange> {
        if (!session || session->revoked ||
            session->match != pgstore::SessionLookup::Match::kCurrent) {
          return pgstore::SessionChange{};
        }
        commands::CommandContext own{session->user_id, ctx.request_id};
        auto recorded = impl_->commands.OnUser(own, session->user_id, [&](commands::Minter&) {
          return commands::RevokeSession{*session_id, "logout", now};
        });
        if (!recorded.ok()) return recorded.error();
        revoked = true;
        return pgstore::SessionChange{pgstore::SessionChange::Kind::kRevoke, "", 0};
      });
  if (!status.ok()) return status.error();
  return revoked ? core::OkStatus() : core::Status(denied);
}

}  // namespace filament::api
