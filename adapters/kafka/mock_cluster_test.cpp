// RunKafkaMock as a process: first stdout line is a usable bootstrap, SIGINT/SIGTERM end it
// with status 0. The child starts with SIGINT ignored, as a shell's background job does.
#include "adapters/kafka/mock_cluster.hpp"

#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/kafka/kafka_event_log.hpp"

namespace filament::adapters {
namespace {

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

// Starts the helper with stdout on a pipe and SIGINT ignored.
Child Spawn() {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, ignored;
  sigemptyset(&none);
  sigemptyset(&ignored);
  sigaddset(&ignored, SIGINT);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  signal(SIGINT, SIG_IGN);  // inherited by the child, like `filament kafka-mock &`
  Child child;
  char* argv[] = {const_cast<char*>(FILAMENT_KAFKA_MOCK_HELPER), nullptr};
  EXPECT_EQ(posix_spawn(&child.pid, FILAMENT_KAFKA_MOCK_HELPER, &actions, &attr, argv, environ), 0);
  signal(SIGINT, SIG_DFL);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  child.out = fdopen(fds[0], "r");
  return child;
}

int WaitExit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 100; ++i) {  // up to 10 s
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    usleep(100'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -2;
}

void ExpectServesThenStopsOn(int sig) {
  Child child = Spawn();
  ASSERT_GT(child.pid, 0);
  char line[512] = {};
  ASSERT_NE(fgets(line, sizeof line, child.out), nullptr);
  std::string bootstrap(line);
  while (!bootstrap.empty() && bootstrap.back() == '\n') bootstrap.pop_back();
  EXPECT_NE(bootstrap.find("127.0.0.1:"), std::string::npos);
  auto log = KafkaEventLog::Open({bootstrap, "filament.events", 4, 3000});
  ASSERT_TRUE(log.ok()) << log.error().message;
  events::LogRecord r;
  r.meta = {"01HZX3F4G5H6J7K8M9N0P1Q2R3", "t", 1, "guild:A", 1, 0, "", "", ""};
  EXPECT_TRUE((*log)->Append({"guild:A", 0, {r}}).ok());
  log->reset();
  kill(child.pid, sig);
  EXPECT_EQ(WaitExit(child.pid), 0);
  fclose(child.out);
}

TEST(RunKafkaMock, PrintsBootstrapServesAndExitsZeroOnSigint) { ExpectServesThenStopsOn(SIGINT); }
TEST(RunKafkaMock, ExitsZeroOnSigterm) { ExpectServesThenStopsOn(SIGTERM); }

TEST(MockCluster, RejectsBadArguments) {
  EXPECT_FALSE(MockCluster::Start(0).ok());
  auto cluster = MockCluster::Start(1, "t", 1);
  ASSERT_TRUE(cluster.ok());
  EXPECT_FALSE((*cluster)->CreateTopic("", 1).ok());
  EXPECT_FALSE((*cluster)->CreateTopic("u", 0).ok());
}

}  // namespace
}  // namespace filament::adapters
