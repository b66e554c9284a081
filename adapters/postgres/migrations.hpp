#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"

namespace filament::postgres {

// Applies every migration embedded in this binary (migrations/NNNN_description.sql, compiled in
// at build time) that the database has not recorded in `schema_migrations` yet, in version
// order, each in its own transaction. A session advisory lock serialises concurrent callers
// (several processes starting at once). Forward-only and idempotent: re-running is a no-op.
// Errors: kUnavailable (cannot connect; retry), kFailedPrecondition (a recorded migration has a
// different name than the embedded one with that version, or the database has a migration this
// binary does not know: it was migrated by a newer build), kInternal (a migration's SQL failed;
// that migration is rolled back, the earlier ones stay applied).
core::Status ApplyMigrations(const std::string& conninfo);

// The embedded migrations' names in version order, e.g. {"0001_event_log", ...}.
std::vector<std::string> MigrationNames();

}  // namespace filament::postgres
