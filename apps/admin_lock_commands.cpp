// `filament admin lock / unlock` (ADR 0066): UserLocked / UserUnlocked on the server stream as
// the operator; both also revoke the user's refresh sessions in the credential store.
#include <iostream>

#include "adapters/pgstore/auth_store.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "apps/admin_log.hpp"
#include "apps/commands.hpp"
#include "apps/storage.hpp"
#include "commands/server/user_lock.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::app {
namespace {

core::Result<std::vector<events::ServerEvent>> DecideLock(const AdminLockCommand& command,
                                                          const commands::ServerState& state,
                                                          const std::string& user_id) {
  const int64_t now = NowUnixMs() / 1000;
  if (command.unlock) return commands::Decide(state, commands::UnlockUser{user_id, true, now});
  return commands::Decide(state, commands::LockUser{user_id, true, command.reason, now});
}

}  // namespace

int RunAdminLock(const AdminLockCommand& command) {
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  pgstore::ConnectionPool pool((*storage)->conninfo, 1);
  projections::UsersQueries users(pool);
  auto user_id = UserIdNamed(users, command.username);
  if (!user_id.ok()) return Fail(user_id.error());
  auto state = FoldServerStream(*(*storage)->log);
  if (!state.ok()) return Fail(state.error());
  auto decided = DecideLock(command, *state, *user_id);
  if (!decided.ok()) return Fail(decided.error());
  const std::string who = command.username + " (" + *user_id + ")";
  if (!decided->empty()) {
    auto positions = AppendAsOperator(*(*storage)->log, *state, *decided);
    if (!positions.ok()) {
      if (positions.error().code == core::ErrorCode::kAborted) {
        return Fail(core::Aborted("the server settings changed meanwhile: run the command again"));
      }
      return Fail(positions.error());
    }
    std::cout << who << (command.unlock ? " is unlocked" : " is locked") << " (recorded at "
              << events::FormatPosition(positions->front()) << ")\n";
  } else {
    std::cout << who << (command.unlock ? " is not locked" : " already is locked") << "\n";
  }
  // After the append, and on unlock too: a login that the running server let through before
  // it saw the lock (read model lag + its ≤ 2 s cache) may have made a session after this
  // revocation; while locked it cannot refresh, and unlock revokes it. A crash between the
  // append and this step is mended by running the command again (it revokes even when the
  // event is already recorded).
  pgstore::AuthStore auth(pool);
  auto revoked = auth.RevokeUserSessions(*user_id);
  if (!revoked.ok()) return Fail(revoked.error());
  std::cout << "revoked " << *revoked << " refresh session(s)\n";
  return 0;
}

}  // namespace filament::app
