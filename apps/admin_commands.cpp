// `filament admin …` (ADR 0066): operator commands on the deployment's storage. A mutation is a
// command on the log (actor "operator"), decided by a pure decider; reads use the read models.
#include <iostream>

#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "apps/admin_log.hpp"
#include "apps/commands.hpp"
#include "apps/storage.hpp"
#include "commands/server/server_owner.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::app {

int RunAdminMakeOwner(const AdminMakeOwnerCommand& command) {
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  pgstore::ConnectionPool pool((*storage)->conninfo, 1);
  projections::UsersQueries users(pool);
  auto user_id = UserIdNamed(users, command.username);
  if (!user_id.ok()) return Fail(user_id.error());
  auto state = FoldServerStream(*(*storage)->log);
  if (!state.ok()) return Fail(state.error());
  auto decided =
      commands::Decide(*state, commands::SetServerOwner{*user_id, true, NowUnixMs() / 1000});
  if (!decided.ok()) return Fail(decided.error());
  if (decided->empty()) {
    std::cout << command.username << " (" << *user_id << ") already is the server owner\n";
    return 0;
  }
  auto positions = AppendAsOperator(*(*storage)->log, *state, *decided);
  if (!positions.ok()) {
    if (positions.error().code == core::ErrorCode::kAborted) {
      return Fail(core::Aborted("the server settings changed meanwhile: run the command again"));
    }
    return Fail(positions.error());
  }
  std::cout << command.username << " (" << *user_id << ") is the server owner (recorded at "
            << events::FormatPosition(positions->front()) << ")\n";
  return 0;
}

int RunAdminListUsers(const AdminListUsersCommand& command) {
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  pgstore::ConnectionPool pool((*storage)->conninfo, 1);
  projections::UsersQueries users(pool);
  auto page = users.ListByUsername(command.after, command.limit);
  if (!page.ok()) return Fail(page.error());
  auto owner = users.RecordedServerOwner();
  if (!owner.ok()) return Fail(owner.error());
  for (const auto& user : *page) {
    bool is_owner = user.user_id == *owner;
    if (command.json) {
      std::cout << nlohmann::json{{"user_id", user.user_id},
                                  {"username", user.username},
                                  {"registered_at_unix", user.registered_at_unix},
                                  {"recorded_owner", is_owner}}
                       .dump()
                << "\n";
    } else {
      std::cout << user.user_id << "  " << user.username << (is_owner ? "  (owner)" : "") << "\n";
    }
  }
  if (static_cast<int64_t>(page->size()) == command.limit && !command.json) {
    std::cout << "-- more: --after " << page->back().username << "\n";
  }
  return 0;
}

}  // namespace filament::app
