// Shared by the `filament admin` commands (ADR 0066): the server stream folded from the log,
// appends as the operator.
#include "apps/admin_log.hpp"

#include <chrono>
#include <iostream>

#include "core/ulid.hpp"
#include "events/log_scan.hpp"

namespace filament::app {

int Fail(const core::Error& error) {
  std::cerr << "filament: " << error.message << "\n";
  return 1;
}

core::Result<std::string> UserIdNamed(projections::UsersQueries& users,
                                      const std::string& username) {
  auto user_id = users.FindIdByUsername(username);
  if (!user_id.ok()) return user_id.error();
  if (!*user_id) return core::NotFound("no user named '" + username + "'");
  return **user_id;
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

}  // namespace filament::app
