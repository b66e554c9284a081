// `filament admin reset-password` (ADR 0066). The hash never enters the log (ADR 0006), so the
// reset runs in steps that cannot half-apply: (1) the credential store takes the new hash as
// *pending* under a fresh reset id; (2) UserPasswordReset {user_id, reset_id} is appended to
// the server stream as the operator; (3) the pending hash is promoted and the user's refresh
// sessions are revoked. A crash after (1) leaves the old password (nothing on the log names
// the pending hash); a crash after (2) leaves a recorded reset whose hash the next login
// promotes (AuthService checks the reset id against the users read model).
#include <iostream>
#include <iterator>

#include <unistd.h>

#include "adapters/crypto/password.hpp"
#include "adapters/crypto/primitives.hpp"
#include "adapters/pgstore/auth_store.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "apps/admin_log.hpp"
#include "apps/commands.hpp"
#include "apps/storage.hpp"
#include "commands/server/user_lock.hpp"
#include "commands/validation.hpp"
#include "core/ulid.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::app {
namespace {

// The new password: generated (and printed once) with --generate or when stdin is a terminal,
// else stdin without one trailing line break. Never from argv.
core::Result<std::string> NewPassword(bool generate, bool& generated) {
  generated = generate || isatty(STDIN_FILENO) == 1;
  if (generated) return crypto::RandomBase64Url(18);  // 24 characters, 144 bits
  std::string password;
  char c = 0;
  while (password.size() <= crypto::kMaxPasswordBytes && std::cin.get(c)) password.push_back(c);
  if (password.size() > crypto::kMaxPasswordBytes) {
    return core::InvalidArgument("the password on stdin is too long");
  }
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (auto valid = commands::ValidatePassword(password); !valid.ok()) return valid.error();
  return password;
}

// Steps (1) and (2); returns the reset id. A pending reset that the log already records is
// promoted first, so a new reset never discards a recorded one's hash.
core::Result<std::string> StageAndRecord(Storage& storage, pgstore::AuthStore& auth,
                                         projections::UsersQueries& users,
                                         const std::string& user_id, const std::string& hash) {
  auto recorded = users.LastPasswordResetId(user_id);
  if (!recorded.ok()) return recorded.error();
  if (!recorded->empty()) {
    if (auto promoted = auth.PromotePasswordReset(user_id, *recorded); !promoted.ok()) {
      return promoted.error();
    }
  }
  const int64_t now_ms = NowUnixMs();
  core::UlidGenerator ids;
  const std::string reset_id = ids.Next(static_cast<uint64_t>(now_ms)).ToString();
  auto state = FoldServerStream(*storage.log);
  if (!state.ok()) return state.error();
  auto decided =
      commands::Decide(*state, commands::ResetPassword{user_id, true, reset_id, now_ms / 1000});
  if (!decided.ok()) return decided.error();
  auto staged = auth.StagePasswordReset(user_id, reset_id, hash);
  if (!staged.ok()) return staged.error();
  if (!*staged) return core::NotFound("the user has no credentials");
  auto positions = AppendAsOperator(*storage.log, *state, *decided);
  if (!positions.ok()) {
    if (positions.error().code == core::ErrorCode::kAborted) {
      return core::Aborted("the server settings changed meanwhile: run the command again");
    }
    return positions.error();
  }
  return reset_id;
}

}  // namespace

int RunAdminResetPassword(const AdminResetPasswordCommand& command) {
  bool generated = false;
  auto password = NewPassword(command.generate, generated);
  if (!password.ok()) return Fail(password.error());
  if (auto init = crypto::InitCrypto(); !init.ok()) return Fail(init.error());
  auto hash = crypto::HashPassword(*password);  // Argon2id, the parameters registration uses
  if (!hash.ok()) return Fail(hash.error());
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  pgstore::ConnectionPool pool((*storage)->conninfo, 1);
  projections::UsersQueries users(pool);
  auto user_id = UserIdNamed(users, command.username);
  if (!user_id.ok()) return Fail(user_id.error());
  pgstore::AuthStore auth(pool);
  auto reset_id = StageAndRecord(**storage, auth, users, *user_id, *hash);
  if (!reset_id.ok()) return Fail(reset_id.error());
  auto promoted = auth.PromotePasswordReset(*user_id, *reset_id);
  if (!promoted.ok()) return Fail(promoted.error());
  auto revoked = auth.RevokeUserSessions(*user_id);
  if (!revoked.ok()) return Fail(revoked.error());
  std::cout << "the password of " << command.username << " (" << *user_id << ") is reset (reset "
            << *reset_id << "); revoked " << *revoked << " refresh session(s)\n";
  if (generated) std::cout << "new password: " << *password << "\n";
  return 0;
}

}  // namespace filament::app
