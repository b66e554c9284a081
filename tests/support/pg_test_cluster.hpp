#pragma once

#include <string>

#include "core/result.hpp"

// Test support shared by every test that needs PostgreSQL (label pg / e2e).
namespace filament::testing {

// Returns a libpq conninfo for a brand-new, empty database (no migrations applied), so each test
// is isolated. The server is, in order of preference:
//   - $FILAMENT_TEST_DATABASE_URL (an existing server whose user may CREATE DATABASE; the
//     databases created are dropped at exit), or
//   - one private EmbeddedCluster per test process, started on first use under a fresh
//     /tmp/filament-test-XXXXXX (durable=false), stopped and removed at exit. Clusters left
//     behind by crashed test processes are stopped and removed on the next first use.
// Thread-safe. Errors: kUnavailable (no server could be started or reached).
core::Result<std::string> TryCreateFreshDatabase();

// As TryCreateFreshDatabase, but aborts the test process with a clear message on failure
// (a broken test environment, not a test failure).
std::string CreateFreshDatabase();

// A fresh database with every embedded migration applied (adapters/postgres/migrations.hpp).
std::string CreateMigratedDatabase();

}  // namespace filament::testing
