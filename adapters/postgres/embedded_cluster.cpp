#include "adapters/postgres/embedded_cluster.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pqxx/pqxx>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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
  fs::path lock_file;  // DATA_DIR/filament.lock: flock'ed by the owner, holds its pid
  fs::path port_file;  // DATA_DIR/pgrun/port: "port=P pid=N\n", published by the owner
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
  if (fs::exists("/usr/lib/postgresql/15/bin/pg_ctl"))
    return std::string("/usr/lib/postgresql/15/bin");
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
                          "enter, e.g. chmod o+x " +
                          dir.string() + " or a path under /var/lib");
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
  layout.lock_file = layout.data_dir / "filament.lock";
  layout.port_file = layout.socket_dir / "port";
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
  std::vector<std::string> args = {"-D",
                                   layout.pgdata.string(),
                                   "-U",
                                   "postgres",
                                   "--auth-local=trust",
                                   "--auth-host=scram-sha-256",
                                   "--pwfile=" + layout.password_file.string(),
                                   "-E",
                                   "UTF8",
                                   "--locale=C.UTF-8"};
  if (!durable) args.push_back("--no-sync");
  auto code = RunTool(layout, "initdb", std::move(args));
  if (!code.ok()) return code.error();
  if (*code != 0) {
    return Precondition("initdb failed (exit " + std::to_string(*code) + "); see " +
                        layout.log_file.string());
  }
  FILAMENT_RETURN_IF_ERROR(WriteFile(layout.pgdata / "postgresql.conf",
                                     std::string("\n") + kConfInclude + "\n", layout,
                                     /*append=*/true));
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

void StopServer(const Layout& layout) {
  (void)RunTool(layout, "pg_ctl",
                {"-D", layout.pgdata.string(), "-m", "fast", "-w", "-t", "20", "stop"});
}

// Starts the server; with an automatic port, a port taken meanwhile is retried on another.
// Only the owner calls this, so a server already running was left behind by a dead owner.
core::Result<int> StartServer(const Layout& layout, int requested_port, bool durable) {
  if (ServerRunning(layout)) StopServer(layout);  // restart it under our settings
  for (int attempt = 0; attempt < 3; ++attempt) {
    int port = requested_port != 0 ? requested_port : FreeLoopbackPort();
    FILAMENT_RETURN_IF_ERROR(WriteServerConfig(layout, port, durable));
    auto code = RunTool(layout, "pg_ctl",
                        {"-D", layout.pgdata.string(), "-l", layout.log_file.string(), "-w", "-t",
                         "60", "-s", "start"});
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
    // Created concurrently (by an attacher or the owner): duplicate_database, or the
    // unique_violation on pg_database that a close race gives instead.
    if (e.sqlstate() == "42P04" || e.sqlstate() == "23505") return core::OkStatus();
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

core::Status CheckOptions(const EmbeddedClusterOptions& options) {
  if (options.data_dir.empty()) return core::InvalidArgument("data_dir is empty");
  if (options.port < 0 || options.port > 65535) return core::InvalidArgument("bad port");
  if (!ValidDatabaseName(options.database)) return core::InvalidArgument("bad database name");
  if (options.attach_timeout.count() < 0) return core::InvalidArgument("bad attach_timeout");
  return core::OkStatus();
}

// ---- Ownership: one process per data dir starts and stops the server; others attach. ----

// Closes its descriptor on destruction unless released.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string ErrnoText() { return std::strerror(errno); }

// Creates DATA_DIR if needed and opens its lock file (O_CLOEXEC: the server must never
// inherit the lock, or it would outlive its owner).
core::Result<UniqueFd> OpenLockFile(const Layout& layout) {
  std::error_code ec;
  fs::create_directories(layout.data_dir, ec);
  if (ec) return Precondition("cannot create " + layout.data_dir.string() + ": " + ec.message());
  int fd = open(layout.lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Precondition("cannot open " + layout.lock_file.string() + ": " + ErrnoText());
  return UniqueFd(fd);
}

// True: this process now owns the data dir. False: another live process does.
core::Result<bool> TryLock(int fd, const Layout& layout) {
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return false;
    if (errno != EINTR) {
      return Precondition("cannot lock " + layout.lock_file.string() + ": " + ErrnoText());
    }
  }
  // The pid is for humans (and error messages); nobody relies on it.
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    return Precondition("cannot write " + layout.lock_file.string() + ": " + ErrnoText());
  }
  return true;
}

struct OwnerRecord {
  int port = 0;
  int pid = 0;
};

std::string FormatRecord(const OwnerRecord& record) {
  return "port=" + std::to_string(record.port) + " pid=" + std::to_string(record.pid) + "\n";
}

// Written to a temporary file and renamed, so a reader sees the whole record or none.
core::Status PublishRecord(const Layout& layout, int port) {
  fs::path tmp = layout.port_file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << FormatRecord({port, static_cast<int>(getpid())});
    if (!out.flush()) return Precondition("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, layout.port_file, ec);
  if (ec) return Precondition("cannot publish " + layout.port_file.string() + ": " + ec.message());
  return core::OkStatus();
}

// Takes `prefix` and a decimal in [1, max] off the front of `text`.
bool TakeField(std::string_view& text, std::string_view prefix, int max, int& out) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || out <= 0 || out > max) return false;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return true;
}

// Strict: anything but exactly what FormatRecord wrote counts as "not published yet".
core::Result<OwnerRecord> ReadRecord(const Layout& layout) {
  char buffer[64];
  std::ifstream in(layout.port_file);
  in.read(buffer, sizeof buffer);
  const std::string text(buffer, static_cast<size_t>(in.gcount()));
  std::string_view rest = text;
  OwnerRecord record;
  if (!TakeField(rest, "port=", 65535, record.port) ||
      !TakeField(rest, " pid=", std::numeric_limits<int>::max(), record.pid) || rest != "\n" ||
      FormatRecord(record) != text) {
    return core::Unavailable("the owner has not published its server's port yet");
  }
  return record;
}

bool ProcessAlive(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

struct Endpoint {
  int port = 0;
  std::string password;
};

// Attacher: the owner's server, once it answers. kUnavailable while it is not ready.
core::Result<Endpoint> AttachToOwner(const Layout& layout, const std::string& database) {
  auto record = ReadRecord(layout);
  if (!record.ok()) return record.error();
  // A dead owner's record may be read in the instant before its successor removes it.
  if (!ProcessAlive(record->pid)) return core::Unavailable("the published port is stale");
  auto password = ReadPassword(layout);
  if (!password.ok()) return password.error();
  FILAMENT_RETURN_IF_ERROR(EnsureDatabase(record->port, database, *password));
  return Endpoint{record->port, *password};
}

// Owner: everything after taking the lock. On error no server is left running.
core::Result<Endpoint> StartOwnedServer(const Layout& layout,
                                        const EmbeddedClusterOptions& options) {
  std::error_code ec;
  fs::remove(layout.port_file, ec);  // a dead owner's record must not reach attachers
  FILAMENT_RETURN_IF_ERROR(PrepareDirectories(layout));
  auto password = EnsureInitialised(layout, options.durable);
  if (!password.ok()) return password.error();
  auto port = StartServer(layout, options.port, options.durable);
  if (!port.ok()) return port.error();
  core::Status ready = EnsureDatabase(*port, options.database, *password);
  if (ready.ok()) ready = PublishRecord(layout, *port);
  if (!ready.ok()) {
    StopServer(layout);
    return ready.error();
  }
  return Endpoint{*port, *password};
}

core::Error AttachTimedOut(const Layout& layout, const core::Error& last) {
  std::ifstream in(layout.lock_file);
  std::string pid;
  std::getline(in, pid);
  if (pid.empty() || pid.size() > 20) pid = "?";
  return core::Unavailable("the data dir " + layout.data_dir.string() +
                           " is owned by another process (pid " + pid + ", see " +
                           layout.lock_file.string() +
                           ") whose PostgreSQL server did not answer in time: " + last.message);
}

}  // namespace

core::Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::Start(
    const EmbeddedClusterOptions& options) {
  FILAMENT_RETURN_IF_ERROR(CheckOptions(options));
  auto layout = MakeLayout(options);
  if (!layout.ok()) return layout.error();
  auto lock = OpenLockFile(*layout);
  if (!lock.ok()) return lock.error();
  const auto deadline = std::chrono::steady_clock::now() + options.attach_timeout;
  for (;;) {
    auto owned = TryLock(lock->get(), *layout);
    if (!owned.ok()) return owned.error();
    // The owner's cluster holds the lock from here on; on error its destructor releases it.
    std::unique_ptr<EmbeddedCluster> cluster(new EmbeddedCluster(
        layout->data_dir.string(), options.database, layout->bin_dir + "/pg_ctl",
        layout->as_postgres, *owned ? lock->release() : -1));
    auto endpoint =
        *owned ? StartOwnedServer(*layout, options) : AttachToOwner(*layout, options.database);
    if (endpoint.ok()) {
      cluster->port_ = endpoint->port;
      cluster->password_ = std::move(endpoint->password);
      cluster->running_ = *owned;
      return cluster;
    }
    if (*owned || endpoint.error().code != core::ErrorCode::kUnavailable) return endpoint.error();
    if (std::chrono::steady_clock::now() >= deadline) {
      return AttachTimedOut(*layout, endpoint.error());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

EmbeddedCluster::EmbeddedCluster(std::string data_dir, std::string database, std::string pg_ctl,
                                 bool as_postgres, int lock_fd)
    : data_dir_(std::move(data_dir)),
      database_(std::move(database)),
      pg_ctl_(std::move(pg_ctl)),
      as_postgres_(as_postgres),
      lock_fd_(lock_fd),
      owner_(lock_fd >= 0) {}

EmbeddedCluster::~EmbeddedCluster() {
  (void)Stop();
  ReleaseOwnership();  // even if Stop failed: the next owner restarts what is left running
}

std::string EmbeddedCluster::ConnectionString() const { return ConnectionStringFor(database_); }

std::string EmbeddedCluster::ConnectionStringFor(const std::string& database) const {
  return ConnInfo(port_, database, password_);
}

core::Status EmbeddedCluster::Stop() {
  if (!running_) return core::OkStatus();  // attachers never run the server
  ProcessSpec spec;
  if (as_postgres_) spec.argv = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  for (std::string arg :
       {pg_ctl_, std::string("-D"), data_dir_ + "/postgres", std::string("-m"), std::string("fast"),
        std::string("-w"), std::string("-s"), std::string("stop")}) {
    spec.argv.push_back(std::move(arg));
  }
  spec.cwd = data_dir_;
  spec.output_path = data_dir_ + "/postgresql.log";
  auto code = RunProcess(spec);
  if (!code.ok()) return code.error();
  if (*code != 0) return core::Unavailable("pg_ctl stop failed; see " + spec.output_path);
  running_ = false;
  ReleaseOwnership();
  return core::OkStatus();
}

void EmbeddedCluster::ReleaseOwnership() {
  if (lock_fd_ < 0) return;
  // Still the owner here, so no successor can be publishing its own record yet.
  unlink((data_dir_ + "/pgrun/port").c_str());
  close(lock_fd_);  // releases the flock: only now may another process take over
  lock_fd_ = -1;
}

}  // namespace filament::postgres
