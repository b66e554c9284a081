#pragma once

#include <cstdint>
#include <vector>

#include "commands/server/server_owner.hpp"
#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/users/users_projection.hpp"

// Helpers of the `filament admin` commands (ADR 0066).
namespace filament::app {

// Prints `error` on stderr; returns the exit code 1.
int Fail(const core::Error& error);

int64_t NowUnixMs();

// The id of the user named `username` in the users read model; kNotFound when there is none.
core::Result<std::string> UserIdNamed(projections::UsersQueries& users,
                                      const std::string& username);

// The server stream folded from the whole log.
core::Result<commands::ServerState> FoldServerStream(events::EventLog& log);

// Appends `decided` to the server stream at `state.version` as the operator. Errors: kAborted
// (another admin appended meanwhile), the log's errors.
core::Result<std::vector<events::Position>> AppendAsOperator(
    events::EventLog& log, const commands::ServerState& state,
    const std::vector<events::ServerEvent>& decided);

}  // namespace filament::app
