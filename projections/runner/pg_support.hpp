#pragma once

// Internal to the runner library: PostgreSQL helpers shared by the runner, replay and the
// checkpoint store. Not a public header (it includes libpqxx).

#include <exception>
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "core/result.hpp"

namespace filament::projections::pg {

// Maps an exception thrown by libpqxx to an error value:
//   broken connection / in doubt          -> kUnavailable (reconnect and retry)
//   serialization failure / deadlock      -> kAborted (retry the transaction)
//   anything else                          -> kInternal
core::Error DbError(const std::exception& e, const std::string& context);

// Opens a connection. Errors: kUnavailable.
core::Result<std::unique_ptr<pqxx::connection>> Connect(const std::string& conninfo);

// Makes the session's commits asynchronous (synchronous_commit=off): a commit is visible at
// once and flushed by the WAL writer within ~3 × wal_writer_delay. A crash of PostgreSQL may
// lose the last commits whole (writes and checkpoint together), never part of one.
// Errors: as DbError.
core::Status AsyncCommit(pqxx::connection& conn);

// Runs `fn(conn)` and turns any exception into an error value (see DbError).
template <typename Fn>
core::Status Guard(const std::string& context, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return DbError(e, context);
  }
}

// The SQL of migrations/0002_projection_checkpoints.sql (embedded at build time), for tests and
// tools that need the tables without the migration runner. Idempotent.
const char* CheckpointTablesSql();

}  // namespace filament::projections::pg
