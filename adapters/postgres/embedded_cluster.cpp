#include "adapters/postgres/embedded_cluster.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <pqxx/pqxx>

#include "adapters/postgres/process.hpp"

namespace filament::postgres {
namespace {

namespace fs = std::filesystem;
using internal::ProcessSpec;
using internal::RunProcess;

constexpr const char* kConfInclude = "include_if_exists = 'filament.conf'";

// Everything Start needs to know about where things live and who runs the tools.
struct Layout {
  fs::path data_dir, pgdata, socket_dir, log_file, password_file;
  std::string bin_dir;
  bool as_postgres = false;
  uid_t pg_uid = 0;
  gid_t pg_gid = 0;
};

core::Error Precondition(std::string message) {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, std::move(message));
}

core::Result<std::string> LocateBinDir() {
  if (const char* env = std::getenv("FILAMENT_PG_BIN_DIR"); env != nullptr && *env != '\0') {
    if (fs::exists(fs::path(env) / "pg_ctl")) return std::string(env);
    return Precondition(std::string("FILAMENT_PG_BIN_DIR has no pg_ctl: ") + env);
  }
  if (fs::exists("/usr/lib/postgresql/15/bin/pg_ctl")) return std::string("/usr/lib/postgresql/15/bin");
  for (const char* pg_config : {"/usr/bin/pg_config", "/usr/local/bin/pg_config"}) {
    if (!fs::exists(pg_config)) continue;
    auto out = internal::RunAndCapture({pg_config, "--bindir"});
    if (!out.ok()) continue;
    std::string dir = *out;
    while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
    if (fs::exists(fs::path(dir) / "pg_ctl")) return dir;
  }
  return Precondition("PostgreSQL 15 binaries not found (set FILAMENT_PG_BIN_DIR)");
}

bool CanTraverse(const struct stat& st, const Layout& layout, const std::vector<gid_t>& groups) {
  if (st.st_uid == layout.pg_uid) return (st.st_mode & S_IXUSR) != 0;
  for (gid_t g : groups) {
    if (st.st_gid == g) return (st.st_mode & S_IXGRP) != 0;
  }
  return (st.st_mode & S_IXOTH) != 0;
}

// The postgres user must reach DATA_DIR: every ancestor needs search permission for it.
core::Status CheckParentsTraversable(const Layout& layout) {
  passwd* pw = getpwuid(layout.pg_uid);
  std::vector<gid_t> groups(64);
  int count = static_cast<int>(groups.size());
  if (pw == nullptr || getgrouplist(pw->pw_name, layout.pg_gid, groups.data(), &count) < 0) {
    groups = {layout.pg_gid};
  } else {
    groups.resize(static_cast<size_t>(count));
  }
  for (fs::path dir = layout.data_dir.parent_path();; dir = dir.parent_path()) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !CanTraverse(st, layout, groups)) {
      return Precondition("the postgres user cannot traverse " + dir.string() +
                          " (a parent of the data dir); use a data dir under a directory it can "
                          "enter, e.g. chmod o+x " + dir.string() + " or a path under /var/lib");
    }
    if (dir == dir.parent_path()) return core::OkStatus();
  }
}

core::Status Chown(const fs::path& path, const Layout& layout) {
  if (!layout.as_postgres) return core::OkStatus();
  if (chown(path.c_str(), layout.pg_uid, layout.pg_gid) != 0) {
    return Precondition("cannot chown " + path.string() + " to postgres");
  }
  return core::OkStatus();
}

core::Result<Layout> MakeLayout(const EmbeddedClusterOptions& options) {
  Layout layout;
  layout.data_dir = fs::absolute(options.data_dir).lexically_normal();
  if (layout.data_dir.filename().empty()) layout.data_dir = layout.data_dir.parent_path();
  layout.pgdata = layout.data_dir / "postgres";
  layout.socket_dir = layout.data_dir / "pgrun";
  layout.log_file = layout.data_dir / "postgresql.log";
  layout.password_file = layout.data_dir / "postgres.password";
  auto bin_dir = LocateBinDir();
  if (!bin_dir.ok()) return bin_dir.error();
  layout.bin_dir = *bin_dir;
  layout.as_postgres = geteuid() == 0;
  if (layout.as_postgres) {
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return Precondition("running as root but there is no postgres user");
    layout.pg_uid = pw->pw_uid;
    layout.pg_gid = pw->pw_gid;
  }
  return layout;
}

core::Status PrepareDirectories(const Layout& layout) {
  std::error_code ec;
  fs::create_directories(layout.data_dir, ec);
  if (ec) return Precondition("cannot create " + layout.data_dir.string() + ": " + ec.message());
  if (layout.as_postgres) FILAMENT_RETURN_IF_ERROR(CheckParentsTraversable(layout));
  FILAMENT_RETURN_IF_ERROR(Chown(layout.data_dir, layout));
  fs::create_directories(layout.socket_dir, ec);
  if (ec) return Precondition("cannot create " + layout.socket_dir.string());
  fs::permissions(layout.socket_dir, fs::perms::owner_all, ec);
  FILAMENT_RETURN_IF_ERROR(Chown(layout.socket_dir, layout));
  // Created here so both we (tool output) and the server (as postgres) can append to it.
  std::ofstream(layout.log_file, std::ios::app).flush();
  chmod(layout.log_file.c_str(), 0600);  // statements in errors may carry user data
  return Chown(layout.log_file, layout);
}

core::Result<int> RunTool(const Layout& layout, const std::string& tool,
                          std::vector<std::string> args) {
  ProcessSpec spec;
  if (layout.as_postgres) spec.argv = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  spec.argv.push_back(layout.bin_dir + "/" + tool);
  for (auto& a : args) spec.argv.push_back(std::move(a));
  spec.cwd = layout.data_dir.string();
  spec.output_path = layout.log_file.string();
  return RunProcess(spec);
}

core::Result<std::string> NewPassword() {
  unsigned char bytes[18];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return core::Internal("getrandom failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

core::Status WriteFile(const fs::path& path, const std::string& text, const Layout& layout,
                       bool append = false) {
  {
    std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
    out << text;
    if (!out) return Precondition("cannot write " + path.string());
  }
  if (!append) chmod(path.c_str(), 0600);
  return Chown(path, layout);
}

core::Result<std::string> ReadPassword(const Layout& layout) {
  std::ifstream in(layout.password_file);
  std::string password;
  if (!in || !std::getline(in, password) || password.size() < 16 || password.size() > 128) {
    return Precondition("missing or bad " + layout.password_file.string() +
                        " for the existing cluster in " + layout.pgdata.string());
  }
  return password;
}

// Runs initdb once; afterwards the existing cluster (and its password) is reused.
core::Result<std::string> EnsureInitialised(const Layout& layout, bool durable) {
  if (fs::exists(layout.pgdata / "PG_VERSION")) return ReadPassword(layout);
  auto password = NewPassword();
  if (!password.ok()) return password.error();
  FILAMENT_RETURN_IF_ERROR(WriteFile(layout.password_file, *password + "\n", layout));
  std::vector<std::string> args = {"-D", layout.pgdata.string(), "-U", "postgres",
                                   "--auth-local=trust", "--auth-host=scram-sha-256",
                                   "--pwfile=" + layout.password_file.string(), "-E", "UTF8",
                                   "--locale=C.UTF-8"};
  if (!durable) args.push_back("--no-sync");
  auto code = RunTool(layout, "initdb", std::move(args));
  if (!code.ok()) return code.error();
  if (*code != 0) {
    return Precondition("initdb failed (exit " + std::to_string(*code) + "); see " +
                        layout.log_file.string());
  }
  FILAMENT_RETURN_IF_ERROR(
      WriteFile(layout.pgdata / "postgresql.conf", std::string("\n") + kConfInclude + "\n",
                layout, /*append=*/true));
  return password;
}

std::string QuoteConf(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

core::Status WriteServerConfig(const Layout& layout, int port, bool durable) {
  std::string socket_dir = layout.socket_dir.string();
  // The socket path must fit sockaddr_un; beyond that, clients use TCP only.
  if (socket_dir.size() + 20 >= sizeof(sockaddr_un::sun_path)) socket_dir.clear();
  const char* on_off = durable ? "on" : "off";
  std::ostringstream conf;
  conf << "# Written by filament at every start; settings here are overwritten.\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "port = " << port << "\n"
       << "unix_socket_directories = " << QuoteConf(socket_dir) << "\n"
       << "unix_socket_permissions = 0700\n"
       << "max_connections = 200\n"
       << "fsync = " << on_off << "\nsynchronous_commit = " << on_off << "\n"
       << "full_page_writes = " << on_off << "\n";
  return WriteFile(layout.pgdata / "filament.conf", conf.str(), layout);
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool ServerRunning(const Layout& layout) {
  auto code = RunTool(layout, "pg_ctl", {"-D", layout.pgdata.string(), "-s", "status"});
  return code.ok() && *code == 0;
}

// Starts the server; with an automatic port, a port taken meanwhile is retried on another.
core::Result<int> StartServer(const Layout& layout, int requested_port, bool durable) {
  if (ServerRunning(layout)) {
    // Left behind by a process that died without stopping it: restart it under our settings.
    (void)RunTool(layout, "pg_ctl",
                  {"-D", layout.pgdata.string(), "-m", "fast", "-w", "-t", "20", "stop"});
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    int port = requested_port != 0 ? requested_port : FreeLoopbackPort();
    FILAMENT_RETURN_IF_ERROR(WriteServerConfig(layout, port, durable));
    auto code = RunTool(layout, "pg_ctl",
                        {"-D", layout.pgdata.string(), "-l", layout.log_file.string(), "-w",
                         "-t", "60", "-s", "start"});
    if (!code.ok()) return code.error();
    if (*code == 0) return port;
    // A crashed server's children may still hold the old shared memory for a moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(300 * (attempt + 1)));
  }
  return core::Unavailable("PostgreSQL did not start; see " + layout.log_file.string());
}

std::string ConnInfo(int port, const std::string& database, const std::string& password) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " dbname=" + database +
         " user=postgres password=" + password + " connect_timeout=10";
}

core::Status EnsureDatabase(int port, const std::string& database, const std::string& password) {
  try {
    pqxx::connection conn(ConnInfo(port, "postgres", password));
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", database);
    if (rows.empty()) tx.exec("CREATE DATABASE " + tx.quote_name(database));
    return core::OkStatus();
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "42P04") return core::OkStatus();  // created concurrently
    return core::Unavailable(std::string("cannot create database: ") + e.what());
  } catch (const std::exception& e) {
    return core::Unavailable(std::string("cannot connect to the embedded server: ") + e.what());
  }
}

bool ValidDatabaseName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

core::Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::Start(
    const EmbeddedClusterOptions& options) {
  if (options.data_dir.empty()) return core::InvalidArgument("data_dir is empty");
  if (options.port < 0 || options.port > 65535) return core::InvalidArgument("bad port");
  if (!ValidDatabaseName(options.database)) return core::InvalidArgument("bad database name");
  auto layout = MakeLayout(options);
  if (!layout.ok()) return layout.error();
  FILAMENT_RETURN_IF_ERROR(PrepareDirectories(*layout));
  auto password = EnsureInitialised(*layout, options.durable);
  if (!password.ok()) return password.error();
  auto port = StartServer(*layout, options.port, options.durable);
  if (!port.ok()) return port.error();
  std::unique_ptr<EmbeddedCluster> cluster(
      new EmbeddedCluster(layout->data_dir.string(), options.database, *password, *port,
                          layout->bin_dir + "/pg_ctl", layout->as_postgres));
  auto created = EnsureDatabase(*port, options.database, *password);
  if (!created.ok()) return created.error();  // ~EmbeddedCluster stops the server
  return cluster;
}

EmbeddedCluster::EmbeddedCluster(std::string data_dir, std::string database, std::string password,
                                 int port, std::string pg_ctl, bool as_postgres)
    : data_dir_(std::move(data_dir)),
      database_(std::move(database)),
      password_(std::move(password)),
      port_(port),
      pg_ctl_(std::move(pg_ctl)),
      as_postgres_(as_postgres) {}

EmbeddedCluster::~EmbeddedCluster() { (void)Stop(); }

std::string EmbeddedCluster::ConnectionString() const { return ConnectionStringFor(database_); }

std::string EmbeddedCluster::ConnectionStringFor(const std::string& database) const {
  return ConnInfo(port_, database, password_);
}

core::Status EmbeddedCluster::Stop() {
  if (!running_) return core::OkStatus();
  ProcessSpec spec;
  if (as_postgres_) spec.argv = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  for (std::string arg : {pg_ctl_, std::string("-D"), data_dir_ + "/postgres",
                          std::string("-m"), std::string("fast"), std::string("-w"),
                          std::string("-s"), std::string("stop")}) {
    spec.argv.push_back(std::move(arg));
  }
  spec.cwd = data_dir_;
  spec.output_path = data_dir_ + "/postgresql.log";
  auto code = RunProcess(spec);
  if (!code.ok()) return code.error();
  if (*code != 0) return core::Unavailable("pg_ctl stop failed; see " + spec.output_path);
  running_ = false;
  return core::OkStatus();
}

}  // namespace filament::postgres
