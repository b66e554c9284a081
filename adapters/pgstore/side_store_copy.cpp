#include "adapters/pgstore/side_store_copy.hpp"

#include <istream>
#include <ostream>
#include <set>
#include <sstream>

#include <libpq-fe.h>

namespace filament::pgstore {

const std::vector<SideStoreTable>& SideStoreTables() {
  static const std::vector<SideStoreTable> tables = {
      {"token_keys", "kid, key_material, created_at, active", "kid"},
      {"credentials",
       "user_id, username, password_hash, failed_attempts, locked_until_unix, claimed_at, "
       "pending_password_hash, pending_reset_id",
       "user_id"},
      {"auth_sessions",
       "session_id, user_id, token_hash, expires_at_unix, revoked, created_at_unix", "session_id"},
      {"auth_used_refresh_tokens", "token_hash, session_id, used_at_unix", "token_hash"},
      {"ip_observations", "observation_id, user_id, address, observed_at_unix", "observation_id"},
      {"blobs", "key, object_id, size_bytes, sha256_hex, mime_type, chunk_count, created_at",
       "key"},
      {"blob_chunks", "object_id, seq, data", "object_id, seq"},
  };
  return tables;
}

namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string ErrorOf(PGconn* conn) { return PQerrorMessage(conn); }

}  // namespace

// One libpq connection; closed on destruction (an open transaction is rolled back).
struct SideStoreSnapshot::Conn {
  PGconn* pg = nullptr;
  ~Conn() {
    if (pg != nullptr) PQfinish(pg);
  }
  core::Status Exec(const std::string& sql, ExecStatusType want = PGRES_COMMAND_OK) {
    ResultPtr r(PQexec(pg, sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) == want) return core::OkStatus();
    if (PQstatus(pg) != CONNECTION_OK) return core::Unavailable("side stores: " + ErrorOf(pg));
    return core::Internal("side stores: " + sql.substr(0, 60) + ": " + ErrorOf(pg));
  }
  // The first column of the first row of a one-row query.
  core::Result<std::string> Value(const std::string& sql) {
    ResultPtr r(PQexec(pg, sql.c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
      return core::Unavailable("side stores: " + ErrorOf(pg));
    }
    return std::string(PQgetvalue(r.get(), 0, 0));
  }
};
struct SideStoreLoad::Conn : SideStoreSnapshot::Conn {};

namespace {

template <typename C>
core::Result<std::unique_ptr<C>> Connect(const std::string& conninfo) {
  auto conn = std::make_unique<C>();
  conn->pg = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn->pg) != CONNECTION_OK) {
    return core::Unavailable("side stores: cannot connect: " + ErrorOf(conn->pg));
  }
  return conn;
}

// Refuses a table with a column the copy list does not name.
core::Status CheckColumns(SideStoreSnapshot::Conn& conn, const SideStoreTable& table) {
  auto actual = conn.Value(
      "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns"
      " WHERE table_schema = current_schema() AND table_name = '" +
      table.name + "'");
  if (!actual.ok()) return actual.error();
  std::set<std::string> listed;
  std::istringstream names(table.columns);
  for (std::string name; std::getline(names, name, ',');) {
    listed.insert(name.substr(name.find_first_not_of(' ')));
  }
  std::istringstream found(*actual);
  for (std::string name; std::getline(found, name, ',');) {
    if (listed.count(name) == 0) {
      return core::MakeError(core::ErrorCode::kFailedPrecondition,
                             "backup does not know column " + table.name + "." + name +
                                 " (add it to adapters/pgstore/side_store_copy.cpp)");
    }
  }
  return core::OkStatus();
}

}  // namespace

SideStoreSnapshot::SideStoreSnapshot(std::unique_ptr<Conn> conn) : conn_(std::move(conn)) {}
SideStoreSnapshot::~SideStoreSnapshot() = default;

core::Result<std::unique_ptr<SideStoreSnapshot>> SideStoreSnapshot::Begin(
    const std::string& conninfo) {
  auto conn = Connect<Conn>(conninfo);
  if (!conn.ok()) return conn.error();
  FILAMENT_RETURN_IF_ERROR((*conn)->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  // The first query of a REPEATABLE READ transaction fixes its snapshot.
  auto taken = (*conn)->Value("SELECT count(*) FROM token_keys");
  if (!taken.ok()) return taken.error();
  for (const auto& table : SideStoreTables()) {
    FILAMENT_RETURN_IF_ERROR(CheckColumns(**conn, table));
  }
  return std::unique_ptr<SideStoreSnapshot>(new SideStoreSnapshot(std::move(*conn)));
}

core::Status SideStoreSnapshot::CopyOut(const SideStoreTable& table, std::ostream& out) {
  FILAMENT_RETURN_IF_ERROR(conn_->Exec("COPY (SELECT " + table.columns + " FROM " + table.name +
                                           " ORDER BY " + table.order +
                                           ") TO STDOUT (FORMAT binary)",
                                       PGRES_COPY_OUT));
  for (;;) {
    char* data = nullptr;
    int n = PQgetCopyData(conn_->pg, &data, 0);
    if (n == -1) break;  // done; the command's result follows
    if (n < 0)
      return core::Unavailable("side stores: copy of " + table.name + ": " + ErrorOf(conn_->pg));
    out.write(data, n);
    PQfreemem(data);
    if (!out) return core::Unavailable("writing the backup failed");
  }
  ResultPtr r(PQgetResult(conn_->pg), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return core::Unavailable("side stores: copy of " + table.name + ": " + ErrorOf(conn_->pg));
  }
  while (PGresult* rest = PQgetResult(conn_->pg)) PQclear(rest);
  return core::OkStatus();
}

SideStoreLoad::SideStoreLoad(std::unique_ptr<Conn> conn) : conn_(std::move(conn)) {}
SideStoreLoad::~SideStoreLoad() = default;

core::Result<std::unique_ptr<SideStoreLoad>> SideStoreLoad::Begin(const std::string& conninfo) {
  auto conn = Connect<Conn>(conninfo);
  if (!conn.ok()) return conn.error();
  FILAMENT_RETURN_IF_ERROR((*conn)->Exec("BEGIN"));
  for (const auto& table : SideStoreTables()) {
    auto any = (*conn)->Value("SELECT EXISTS (SELECT 1 FROM " + table.name + ")");
    if (!any.ok()) return any.error();
    if (*any != "f") {
      return core::MakeError(
          core::ErrorCode::kFailedPrecondition,
          "restore needs empty side stores; table " + table.name + " holds rows");
    }
  }
  return std::unique_ptr<SideStoreLoad>(new SideStoreLoad(std::move(*conn)));
}

core::Status SideStoreLoad::CopyIn(const SideStoreTable& table, std::istream& in) {
  FILAMENT_RETURN_IF_ERROR(conn_->Exec(
      "COPY " + table.name + " (" + table.columns + ") FROM STDIN (FORMAT binary)", PGRES_COPY_IN));
  char chunk[64 * 1024];
  const char* failure = nullptr;
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    if (PQputCopyData(conn_->pg, chunk, static_cast<int>(in.gcount())) != 1) {
      return core::Unavailable("side stores: loading " + table.name + ": " + ErrorOf(conn_->pg));
    }
  }
  if (in.bad()) failure = "the backup section could not be read";
  if (PQputCopyEnd(conn_->pg, failure) != 1) {
    return core::Unavailable("side stores: loading " + table.name + ": " + ErrorOf(conn_->pg));
  }
  ResultPtr r(PQgetResult(conn_->pg), &PQclear);
  bool ok = PQresultStatus(r.get()) == PGRES_COMMAND_OK;
  while (PGresult* rest = PQgetResult(conn_->pg)) PQclear(rest);
  if (!ok) {
    return core::InvalidArgument("side stores: table " + table.name +
                                 " refused the backup's rows: " + ErrorOf(conn_->pg));
  }
  return core::OkStatus();
}

core::Status SideStoreLoad::Commit() {
  FILAMENT_RETURN_IF_ERROR(conn_->Exec(
      "SELECT setval('blob_object_ids', GREATEST((SELECT max(object_id) FROM blobs), 1))",
      PGRES_TUPLES_OK));
  return conn_->Exec("COMMIT");
}

core::Result<int64_t> DropClaimsWithoutAccount(const std::string& conninfo) {
  auto conn = Connect<SideStoreSnapshot::Conn>(conninfo);
  if (!conn.ok()) return conn.error();
  FILAMENT_RETURN_IF_ERROR((*conn)->Exec("BEGIN"));
  FILAMENT_RETURN_IF_ERROR(
      (*conn)->Exec("DELETE FROM auth_sessions s WHERE NOT EXISTS (SELECT 1 FROM users u"
                    " WHERE u.user_id = s.user_id)"));
  auto dropped = (*conn)->Value(
      "WITH gone AS (DELETE FROM credentials c WHERE NOT EXISTS (SELECT 1 FROM users u"
      " WHERE u.user_id = c.user_id) RETURNING 1) SELECT count(*) FROM gone");
  if (!dropped.ok()) return dropped.error();
  FILAMENT_RETURN_IF_ERROR((*conn)->Exec("COMMIT"));
  return std::stoll(*dropped);
}

}  // namespace filament::pgstore
