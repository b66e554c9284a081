// `filament admin …` (ADR 0066): operator commands on the deployment's storage. A mutation is a
// command on the log (actor "operator"), decided by a pure decider; reads use the read models.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "apps/commands.hpp"
#include "apps/storage.hpp"
#include "commands/server/server_owner.hpp"
#include "core/ulid.hpp"
#include "events/log_scan.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::app {
namespace {

int Fail(const core::Error& error) {
  std::cerr << "filament: " << error.message << "\n";
  return 1;
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The server stream folded from the whole log.
core::Result<commands::ServerState> FoldServerStream(events::EventLog& log) {
  auto ends = log.EndOffsets();
  if (!ends.ok()) return ends.error();
  commands::ServerState state;
  auto status = events::ReadLogUpTo(log, *ends, [&](const events::StoredRecord& stored) {
    const auto& meta = stored.record.meta;
    if (meta.stream != commands::kServerStream) return core::OkStatus();
    if (stored.decode_error) return core::Status(core::Internal("undecodable server record"));
    auto event = events::DecodeEvent(meta.type, meta.schema_version, stored.record.payload);
    if (!event.ok()) return core::Status(event.error());
    if (auto server_event = events::AsServerEvent(*event)) Apply(state, *server_event);
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return state;
}

// Appends `decided` to the server stream at `state.version` as the operator.
core::Result<std::vector<events::Position>> AppendAsOperator(
    events::EventLog& log, const commands::ServerState& state,
    const std::vector<events::ServerEvent>& decided) {
  core::UlidGenerator ids;
  int64_t now_ms = NowUnixMs();
  std::string correlation = ids.Next(static_cast<uint64_t>(now_ms)).ToString();
  events::AppendBatch batch{.stream = commands::kServerStream, .expected_version = state.version};
  for (const auto& server_event : decided) {
    events::Event event = events::ToEvent(server_event);
    events::LogRecord record;
    record.meta = events::RecordMeta{
        .event_id = ids.Next(static_cast<uint64_t>(now_ms)).ToString(),
        .type = std::string(events::TypeOf(event)),
        .schema_version = events::SchemaVersionOf(event),
        .stream = commands::kServerStream,
        .stream_version = state.version + static_cast<int64_t>(batch.records.size()) + 1,
        .time_unix_ms = now_ms,
        .actor_user_id = commands::kOperatorActor,
        .correlation_id = correlation,
        .causation_id = correlation,
    };
    record.payload = events::EncodePayload(event);
    batch.records.push_back(std::move(record));
  }
  return log.Append(batch);
}

}  // namespace

int RunAdminMakeOwner(const AdminMakeOwnerCommand& command) {
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  pgstore::ConnectionPool pool((*storage)->conninfo, 1);
  projections::UsersQueries users(pool);
  auto user_id = users.FindIdByUsername(command.username);
  if (!user_id.ok()) return Fail(user_id.error());
  if (!*user_id) return Fail(core::NotFound("no user named '" + command.username + "'"));
  auto state = FoldServerStream(*(*storage)->log);
  if (!state.ok()) return Fail(state.error());
  auto decided =
      commands::Decide(*state, commands::SetServerOwner{**user_id, true, NowUnixMs() / 1000});
  if (!decided.ok()) return Fail(decided.error());
  if (decided->empty()) {
    std::cout << command.username << " (" << **user_id << ") already is the server owner\n";
    return 0;
  }
  auto positions = AppendAsOperator(*(*storage)->log, *state, *decided);
  if (!positions.ok()) {
    if (positions.error().code == core::ErrorCode::kAborted) {
      return Fail(core::Aborted("the server settings changed meanwhile: run the command again"));
    }
    return Fail(positions.error());
  }
  std::cout << command.username << " (" << **user_id << ") is the server owner (recorded at "
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
