// One PostgreSQL server for a whole test run (tools/dev/test.sh), so that each test process
// creates its database on it instead of starting a cluster of its own (pg_test_cluster.hpp,
// FILAMENT_TEST_DATABASE_URL).
//
//   pg_test_server CONNINFO_FILE
//
// Starts a TestCluster (pg_test_cluster.hpp), writes the conninfo of its maintenance database to
// CONNINFO_FILE (mode 0600, renamed into place once complete), then runs until SIGTERM or
// SIGINT, or until its parent exits; then stops the server and removes its directory. Exit 0,
// or 1 (with the reason on stderr) if the server did not start or stop. A directory left by a
// killed server is reaped by the next TestCluster started (its owner.pid names a dead process).
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/pg_test_cluster.hpp"

namespace {

bool WriteConninfo(const std::string& path, const std::string& conninfo) {
  const std::string partial = path + ".partial";
  const mode_t old_mask = umask(077);
  std::ofstream(partial) << conninfo << "\n";
  umask(old_mask);
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CONNINFO_FILE\n", argv[0]);
    return 2;
  }
  // Blocked before anything else, so a signal that arrives during the start waits for sigwait.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) return 1;  // the parent is already gone

  auto cluster = filament::testing::TestCluster::Start();
  if (!cluster.ok()) {
    std::fprintf(stderr, "pg_test_server: %s\n", cluster.error().message.c_str());
    return 1;
  }
  int status = 0;
  if (WriteConninfo(argv[1], (*cluster)->ConninfoFor("postgres"))) {
    int signal = 0;
    sigwait(&stop, &signal);
  } else {
    std::fprintf(stderr, "pg_test_server: cannot write %s\n", argv[1]);
    status = 1;
  }
  if (!(*cluster)->Stop().ok()) status = 1;
  return status;
}
