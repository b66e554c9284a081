#include "adapters/postgres/embedded_cluster.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

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

TEST(EmbeddedCluster, StartsRestartsWithItsDataAndStops) {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  {
    auto cluster = MustStart(data_dir);
    ASSERT_NE(cluster, nullptr);
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
