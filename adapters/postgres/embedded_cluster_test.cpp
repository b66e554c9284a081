#include "adapters/postgres/embedded_cluster.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pqxx/pqxx>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace filament::postgres {
namespace {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/filament-ec-test-XXXXXX";
    FILAMENT_CHECK(mkdtemp(pattern) != nullptr);
    path_ = pattern;
    chmod(pattern, 0755);  // the postgres user must be able to enter it
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<EmbeddedCluster> MustStart(const std::string& dir, bool durable = false) {
  EmbeddedClusterOptions options;
  options.data_dir = dir;
  options.durable = durable;
  auto cluster = EmbeddedCluster::Start(options);
  EXPECT_TRUE(cluster.ok()) << (cluster.ok() ? "" : cluster.error().message);
  return cluster.ok() ? std::move(*cluster) : nullptr;
}

int64_t CountNotes(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  return tx.exec("SELECT count(*) FROM notes")[0][0].as<int64_t>();
}

pid_t PostmasterPid(const std::string& data_dir) {
  pid_t pid = 0;
  std::ifstream(data_dir + "/postgres/postmaster.pid") >> pid;
  return pid;
}

// Another process on the same data dir, as `filament serve` is to `filament audit`: runs
// embedded_cluster_owner_for_test (see its header comment for the line protocol).
class OtherProcess {
 public:
  struct Hello {
    bool owner = false;
    int port = 0;
  };

  explicit OtherProcess(const std::string& data_dir) {
    signal(SIGPIPE, SIG_IGN);  // a helper that died must fail the test, not kill it
    int in[2], out[2];
    FILAMENT_CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::string helper = FILAMENT_EC_OWNER_HELPER;
    char* argv[] = {helper.data(), const_cast<char*>(data_dir.c_str()), nullptr};
    FILAMENT_CHECK(posix_spawn(&pid_, helper.c_str(), &actions, nullptr, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
  }
  ~OtherProcess() {
    (void)Finish();
    close(from_child_);
  }

  // The first line: whether it became the owner, and the port of the server it uses.
  Hello ReadHello() {
    std::string line = ReadLine();
    Hello hello;
    int owner = -1;
    EXPECT_EQ(std::sscanf(line.c_str(), "owner=%d port=%d", &owner, &hello.port), 2) << line;
    hello.owner = owner == 1;
    return hello;
  }
  // Runs SELECT 1 on the connection it opened right after Start: "ok" or "error=...".
  std::string Ping() {
    std::string line = "ping\n";
    if (write(to_child_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return "";
    return ReadLine();
  }
  // Closes its stdin (it calls Stop and exits) and returns its exit status.
  int Finish() {
    if (to_child_ >= 0) close(to_child_);
    to_child_ = -1;
    return Wait();
  }
  // SIGKILL: it dies without stopping anything; the kernel releases its lock.
  void Kill() {
    kill(pid_, SIGKILL);
    (void)Wait();
  }

 private:
  int Wait() {
    if (pid_ <= 0) return exit_status_;
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_status_;
  }

  std::string ReadLine() {
    std::string line;
    for (char c = 0; line.size() < 4096;) {
      pollfd pfd{from_child_, POLLIN, 0};
      if (poll(&pfd, 1, 120000) <= 0 || read(from_child_, &c, 1) != 1 || c == '\n') break;
      line.push_back(c);
    }
    return line;
  }

  pid_t pid_ = 0;
  int exit_status_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

// Holds DATA_DIR/filament.lock as an owner would, without starting anything.
class HeldLock {
 public:
  explicit HeldLock(const std::string& data_dir) {
    fs::create_directories(data_dir);
    fd_ = open((data_dir + "/filament.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    FILAMENT_CHECK(fd_ >= 0 && flock(fd_, LOCK_EX) == 0);
  }
  ~HeldLock() { Release(); }
  void Release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

TEST(EmbeddedCluster, StartsRestartsWithItsDataAndStops) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  {
    auto cluster = MustStart(data_dir);
    ASSERT_NE(cluster, nullptr);
    EXPECT_TRUE(cluster->owner());
    EXPECT_GT(cluster->port(), 0);
    pqxx::connection conn(cluster->ConnectionString());
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE TABLE notes (t text); INSERT INTO notes VALUES ('kept')");
    EXPECT_TRUE(fs::exists(data_dir + "/postgresql.log"));
    ASSERT_TRUE(cluster->Stop().ok());
    EXPECT_TRUE(cluster->Stop().ok());  // idempotent
    EXPECT_FALSE(fs::exists(data_dir + "/postgres/postmaster.pid"));
  }
  auto again = MustStart(data_dir);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(CountNotes(again->ConnectionString()), 1);
}

TEST(EmbeddedCluster, RecoversAfterTheServerWasKilled) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  auto cluster = MustStart(data_dir);
  ASSERT_NE(cluster, nullptr);
  {
    pqxx::connection conn(cluster->ConnectionString());
    // durable=false runs synchronous_commit=off, where a SIGKILL may lose the last commits;
    // this session commits synchronously (to the OS) so the row must survive the crash.
    pqxx::nontransaction(conn).exec(
        "SET synchronous_commit = on; CREATE TABLE notes (t text); INSERT INTO notes VALUES ('x')");
  }
  pid_t postmaster = 0;
  std::ifstream(data_dir + "/postgres/postmaster.pid") >> postmaster;
  ASSERT_GT(postmaster, 0);
  ASSERT_EQ(kill(postmaster, SIGKILL), 0);
  for (int i = 0; i < 100 && kill(postmaster, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(fs::exists(data_dir + "/postgres/postmaster.pid"));  // stale now
  cluster.reset();  // its Stop fails quietly: nothing is running
  auto again = MustStart(data_dir);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(CountNotes(again->ConnectionString()), 1);
}

TEST(EmbeddedCluster, AttachesToTheServerOfALiveOwnerAndLeavesItRunning) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  OtherProcess serve(data_dir);
  OtherProcess::Hello hello = serve.ReadHello();
  ASSERT_TRUE(hello.owner);
  pid_t postmaster = PostmasterPid(data_dir);

  auto attached = MustStart(data_dir);
  ASSERT_NE(attached, nullptr);
  EXPECT_FALSE(attached->owner());
  EXPECT_EQ(attached->port(), hello.port);
  std::string conninfo = attached->ConnectionString();
  {
    pqxx::connection conn(conninfo);
    pqxx::nontransaction(conn).exec("CREATE TABLE notes (t text); INSERT INTO notes VALUES ('x')");
  }
  EXPECT_TRUE(attached->Stop().ok());
  attached.reset();

  EXPECT_EQ(CountNotes(conninfo), 1);  // the server still runs...
  EXPECT_EQ(PostmasterPid(data_dir), postmaster);
  EXPECT_EQ(serve.Ping(), "ok");  // ...and was never restarted under the owner's connection
  EXPECT_EQ(serve.Finish(), 0);   // the owner stops it
  EXPECT_FALSE(fs::exists(data_dir + "/postgres/postmaster.pid"));
}

TEST(EmbeddedCluster, BecomesTheOwnerAfterTheOwnerWasKilled) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  OtherProcess serve(data_dir);
  ASSERT_TRUE(serve.ReadHello().owner);
  {
    auto attached = MustStart(data_dir);
    ASSERT_NE(attached, nullptr);
    pqxx::connection conn(attached->ConnectionString());
    pqxx::nontransaction(conn).exec("CREATE TABLE notes (t text); INSERT INTO notes VALUES ('x')");
  }
  pid_t postmaster = PostmasterPid(data_dir);
  serve.Kill();
  ASSERT_EQ(kill(postmaster, 0), 0) << "the server outlives its killed owner";

  auto again = MustStart(data_dir);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->owner());
  EXPECT_NE(PostmasterPid(data_dir), postmaster);  // restarted under the new owner's settings
  EXPECT_EQ(CountNotes(again->ConnectionString()), 1);
  ASSERT_TRUE(again->Stop().ok());
  EXPECT_FALSE(fs::exists(data_dir + "/postgres/postmaster.pid"));
}

TEST(EmbeddedCluster, TwoProcessesStartingAtOnceGetExactlyOneOwner) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";  // fresh: both race to initdb
  OtherProcess first(data_dir);
  OtherProcess second(data_dir);
  OtherProcess::Hello first_hello = first.ReadHello();
  OtherProcess::Hello second_hello = second.ReadHello();
  ASSERT_NE(first_hello.owner, second_hello.owner);
  EXPECT_EQ(first_hello.port, second_hello.port);
  OtherProcess& owner = first_hello.owner ? first : second;
  OtherProcess& attacher = first_hello.owner ? second : first;
  EXPECT_EQ(attacher.Ping(), "ok");
  EXPECT_EQ(attacher.Finish(), 0);
  EXPECT_EQ(owner.Ping(), "ok");
  EXPECT_EQ(owner.Finish(), 0);
  EXPECT_FALSE(fs::exists(data_dir + "/postgres/postmaster.pid"));
}

TEST(EmbeddedCluster, AnAttacherGivesUpWhenTheOwnerNeverAnswers) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  HeldLock lock(data_dir);
  EmbeddedClusterOptions options;
  options.data_dir = data_dir;
  options.attach_timeout = std::chrono::milliseconds(300);
  auto cluster = EmbeddedCluster::Start(options);
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.error().code, core::ErrorCode::kUnavailable);
  EXPECT_NE(cluster.error().message.find("did not answer"), std::string::npos)
      << cluster.error().message;
  EXPECT_FALSE(fs::exists(data_dir + "/postgres"));  // it initialised nothing
}

TEST(EmbeddedCluster, AnAttacherTakesOverWhenTheOwnerGivesUp) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  HeldLock lock(data_dir);
  auto waiting = std::async(std::launch::async, [&] { return MustStart(data_dir); });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  lock.Release();  // e.g. the owner's initdb failed
  auto cluster = waiting.get();
  ASSERT_NE(cluster, nullptr);
  EXPECT_TRUE(cluster->owner());
  EXPECT_TRUE(cluster->Stop().ok());
}

TEST(EmbeddedCluster, RefusesADataDirThePostgresUserCannotReach) {
  if (geteuid() != 0) GTEST_SKIP() << "only root hands the cluster to the postgres user";
  TempDir dir;
  std::string closed = dir.path() + "/closed";
  ASSERT_EQ(mkdir(closed.c_str(), 0700), 0);
  EmbeddedClusterOptions options;
  options.data_dir = closed + "/data";
  auto cluster = EmbeddedCluster::Start(options);
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(cluster.error().message.find("cannot traverse"), std::string::npos)
      << cluster.error().message;
}

TEST(EmbeddedCluster, RejectsBadOptions) {
  EXPECT_EQ(EmbeddedCluster::Start({}).error().code, core::ErrorCode::kInvalidArgument);
  EmbeddedClusterOptions options;
  options.data_dir = "/tmp/unused";
  options.database = "bad name";
  EXPECT_EQ(EmbeddedCluster::Start(options).error().code, core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace filament::postgres
