#pragma once

#include <vector>

// Internal to adapters/postgres: the table generated from migrations/*.sql at build time.
namespace filament::postgres::internal {

struct EmbeddedMigration {
  int version;       // NNNN from the file name
  const char* name;  // the file name without ".sql", e.g. "0001_event_log"
  const char* sql;   // the file's text, run in one transaction
};

// Every migration, ordered by version (versions unique; checked at build time).
const std::vector<EmbeddedMigration>& EmbeddedMigrations();

}  // namespace filament::postgres::internal
