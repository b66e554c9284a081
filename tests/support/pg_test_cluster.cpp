#include "tests/support/pg_test_cluster.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include <libpq-fe.h>
#include <pqxx/pqxx>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "adapters/postgres/embedded_cluster.hpp"
#include "adapters/postgres/migrations.hpp"

namespace filament::testing {
namespace {

namespace fs = std::filesystem;

// Rewrites `conninfo` (key/value or URI) as key/value with dbname replaced.
std::string WithDatabase(const std::string& conninfo, const std::string& database) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return conninfo + " dbname=" + database;
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    std::string key = o->keyword;
    if (key == "dbname" || o->val == nullptr) continue;
    std::string value = "'";
    for (const char* c = o->val; *c != '\0'; ++c) {
      if (*c == '\'' || *c == '\\') value.push_back('\\');
      value.push_back(*c);
    }
    out += key + "=" + value + "' ";
  }
  PQconninfoFree(options);
  return out + "dbname=" + database;
}

// Stops and removes clusters whose owning test process died without cleaning up.
void ReapAbandonedClusters() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    if (entry.path().filename().string().rfind("filament-test-", 0) != 0) continue;
    std::ifstream owner(entry.path() / "owner.pid");
    pid_t owner_pid = 0;
    if (!(owner >> owner_pid) || owner_pid <= 0 || kill(owner_pid, 0) == 0 || errno != ESRCH) {
      continue;
    }
    std::ifstream pidfile(entry.path() / "postgres" / "postmaster.pid");
    pid_t postmaster = 0;
    if (pidfile >> postmaster && postmaster > 0) {
      std::ifstream comm("/proc/" + std::to_string(postmaster) + "/comm");
      std::string name;
      if (comm >> name && name == "postgres") kill(postmaster, SIGQUIT);
    }
    fs::remove_all(entry.path(), ec);
  }
}

class TestServer {
 public:
  // Connection info of the server's maintenance database (to CREATE DATABASE on).
  core::Result<std::string> AdminConninfo() {
    std::lock_guard lock(mu_);
    if (!external_.empty()) return external_;
    if (cluster_ == nullptr) {
      auto cluster = TestCluster::Start();
      if (!cluster.ok()) return cluster.error();
      cluster_ = std::move(*cluster);
    }
    return cluster_->ConninfoFor("postgres");
  }

  std::string ConninfoFor(const std::string& admin, const std::string& database) {
    std::lock_guard lock(mu_);
    if (external_.empty()) return cluster_->ConninfoFor(database);
    created_.push_back(database);
    // Dropped at exit by a handler registered now, after the first connection: exit handlers
    // run in reverse order, so it runs before OpenSSL's own (registered when libpq first
    // used it), which frees the locks libpq's SCRAM login needs. This object's destructor,
    // registered before any connection, would run after it and crash in the login.
    static std::once_flag registered;
    std::call_once(registered, [] { std::atexit([] { Get().DropCreatedDatabases(); }); });
    return WithDatabase(admin, database);
  }

  static TestServer& Get() {
    static TestServer server;
    return server;
  }

 private:
  TestServer() {
    const char* url = std::getenv("FILAMENT_TEST_DATABASE_URL");
    if (url != nullptr) external_ = url;
  }

  void DropCreatedDatabases() {
    std::lock_guard lock(mu_);
    if (created_.empty()) return;
    try {
      pqxx::connection conn(external_);
      pqxx::nontransaction tx(conn);
      for (const auto& db : created_) {
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db) + " WITH (FORCE)");
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "pg_test_cluster: cannot drop test databases: %s\n", e.what());
    }
    created_.clear();
  }

  std::mutex mu_;
  std::string external_;
  std::unique_ptr<TestCluster> cluster_;
  std::vector<std::string> created_;
};

std::string NewDatabaseName() {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  return "filament_test_" + std::to_string(getpid()) + "_" + std::to_string(salt % 100000) + "_" +
         std::to_string(counter++);
}

}  // namespace

core::Result<std::unique_ptr<TestCluster>> TestCluster::Start() {
  ReapAbandonedClusters();
  char pattern[] = "/tmp/filament-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return core::Unavailable("mkdtemp failed");
  std::string dir = pattern;
  std::ofstream(fs::path(dir) / "owner.pid") << getpid() << "\n";
  postgres::EmbeddedClusterOptions options;
  options.data_dir = dir;  // mkdtemp made it 0700; Start hands it to postgres
  options.durable = false;
  auto cluster = postgres::EmbeddedCluster::Start(options);
  if (!cluster.ok()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    return cluster.error();
  }
  return std::unique_ptr<TestCluster>(new TestCluster(std::move(dir), std::move(*cluster)));
}

TestCluster::TestCluster(std::string dir, std::unique_ptr<postgres::EmbeddedCluster> cluster)
    : dir_(std::move(dir)), cluster_(std::move(cluster)) {}

TestCluster::~TestCluster() {
  cluster_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string TestCluster::ConninfoFor(const std::string& database) const {
  return cluster_->ConnectionStringFor(database);
}

core::Status TestCluster::Stop() { return cluster_->Stop(); }

core::Result<std::string> TryCreateFreshDatabase() {
  TestServer& server = TestServer::Get();
  auto admin = server.AdminConninfo();
  if (!admin.ok()) return admin.error();
  std::string name = NewDatabaseName();
  try {
    pqxx::connection conn(*admin);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
  } catch (const std::exception& e) {
    return core::Unavailable(std::string("cannot create test database: ") + e.what());
  }
  return server.ConninfoFor(*admin, name);
}

std::string CreateFreshDatabase() {
  auto conninfo = TryCreateFreshDatabase();
  if (!conninfo.ok()) {
    std::fprintf(stderr, "pg_test_cluster: no PostgreSQL for tests: %s\n",
                 conninfo.error().message.c_str());
    std::abort();
  }
  return *conninfo;
}

std::string CreateMigratedDatabase() {
  std::string conninfo = CreateFreshDatabase();
  auto status = postgres::ApplyMigrations(conninfo);
  if (!status.ok()) {
    std::fprintf(stderr, "pg_test_cluster: migrations failed: %s\n",
                 status.error().message.c_str());
    std::abort();
  }
  return conninfo;
}

}  // namespace filament::testing
