#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"

namespace filament::postgres {
class EmbeddedCluster;
}

// Test support shared by every test that needs PostgreSQL (label pg / e2e).
namespace filament::testing {

// A private PostgreSQL server for tests: an EmbeddedCluster (durable=false) under a fresh
// /tmp/filament-test-XXXXXX whose owner.pid names this process. Start first stops and removes
// the clusters of such directories whose owner died. Destruction stops the server (if Stop has
// not) and removes the directory. Errors: kUnavailable.
class TestCluster {
 public:
  static core::Result<std::unique_ptr<TestCluster>> Start();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;
  ~TestCluster();

  // libpq key/value conninfo for `database` on this server ("postgres": the maintenance one).
  std::string ConninfoFor(const std::string& database) const;
  core::Status Stop();

 private:
  TestCluster(std::string dir, std::unique_ptr<postgres::EmbeddedCluster> cluster);

  std::string dir_;
  std::unique_ptr<postgres::EmbeddedCluster> cluster_;
};

// Returns a libpq conninfo for a brand-new, empty database (no migrations applied), so each test
// is isolated. The server is, in order of preference:
//   - $FILAMENT_TEST_DATABASE_URL (an existing server whose user may CREATE DATABASE; the
//     databases created are dropped at exit), or
//   - one private TestCluster per test process, started on first use, stopped and removed
//     at exit.
// Thread-safe. Errors: kUnavailable (no server could be started or reached).
core::Result<std::string> TryCreateFreshDatabase();

// As TryCreateFreshDatabase, but aborts the test process with a clear message on failure
// (a broken test environment, not a test failure).
std::string CreateFreshDatabase();

// A fresh database with every embedded migration applied (adapters/postgres/migrations.hpp).
std::string CreateMigratedDatabase();

}  // namespace filament::testing
