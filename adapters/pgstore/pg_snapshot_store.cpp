#include "adapters/pgstore/pg_snapshot_store.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "adapters/pgstore/connection_pool.hpp"
#include "commands/snapshot/snapshot_codec.hpp"

namespace filament::pgstore {
namespace {

constexpr size_t kChunkBytes = 8u << 20;

std::string FormatEnds(const std::vector<int64_t>& ends) {
  std::string out;
  for (size_t p = 0; p < ends.size(); ++p) out += (p ? "," : "") + std::to_string(ends[p]);
  return out;
}

// Strict: non-negative decimal numbers separated by single commas.
std::optional<std::vector<int64_t>> ParseEnds(std::string_view text) {
  std::vector<int64_t> ends;
  while (!text.empty()) {
    int64_t v = -1;
    auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || v < 0) return std::nullopt;
    ends.push_back(v);
    text.remove_prefix(static_cast<size_t>(rest - text.data()));
    if (text.empty()) break;
    if (text[0] != ',' || text.size() == 1) return std::nullopt;
    text.remove_prefix(1);
  }
  return ends;
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string ErrorOf(PGconn* conn) { return PQerrorMessage(conn); }

bool ParseInt(std::string_view text, int64_t& v) {
  auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && rest == text.data() + text.size();
}

// A libpq connection of its own, closed (its transaction rolled back) on destruction.
struct RawConnection {
  PGconn* pg = nullptr;
  ~RawConnection() {
    if (pg != nullptr) PQfinish(pg);
  }
  core::Status Command(const char* sql) {
    ResultPtr r(PQexec(pg, sql), &PQclear);
    if (PQresultStatus(r.get()) == PGRES_COMMAND_OK) return core::OkStatus();
    return core::Unavailable("snapshot store: " + ErrorOf(pg));
  }
  // `params` as text; the result in text (0) or binary (1) format.
  core::Result<ResultPtr> Query(const char* sql, const std::vector<std::string>& params,
                                int result_format) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    ResultPtr r(PQexecParams(pg, sql, static_cast<int>(values.size()), nullptr, values.data(),
                             nullptr, nullptr, result_format),
                &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      return core::Unavailable("snapshot store: " + ErrorOf(pg));
    }
    return r;
  }
};

}  // namespace

core::Result<std::vector<commands::SnapshotStore::Entry>> PgSnapshotStore::List() {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<std::vector<Entry>> {
    pqxx::read_transaction tx(c);
    std::vector<Entry> out;
    for (const auto& row :
         tx.exec("SELECT snapshot_id, end_offsets, size_bytes FROM command_snapshots "
                 "ORDER BY snapshot_id DESC")) {
      auto ends = ParseEnds(row[1].as<std::string>());
      if (!ends) continue;  // unreadable row: as if absent (the loader logs nothing for it)
      out.push_back({row[0].as<int64_t>(), std::move(*ends), row[2].as<int64_t>()});
    }
    return out;
  });
}

namespace {

// Opens a connection in a read-only REPEATABLE READ transaction; with `snapshot`, one that
// sees exactly what the transaction that exported it sees.
core::Status Open(RawConnection& conn, const std::string& conninfo, const std::string& snapshot) {
  conn.pg = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn.pg) != CONNECTION_OK) {
    return core::Unavailable("snapshot store: cannot connect: " + ErrorOf(conn.pg));
  }
  FILAMENT_RETURN_IF_ERROR(conn.Command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  if (snapshot.empty()) return core::OkStatus();
  if (snapshot.find_first_not_of("0123456789ABCDEFabcdef-") != std::string::npos) {
    return core::Internal("snapshot store: unexpected snapshot id");
  }
  return conn.Command(("SET TRANSACTION SNAPSHOT '" + snapshot + "'").c_str());
}

// Reads chunks first, first + step, ... < chunks into `out` at seq * kChunkBytes. Each chunk
// must be exactly as long as Save writes it (kChunkBytes; the last one the rest).
core::Status ReadChunks(RawConnection& conn, const std::string& sid, int64_t first, int64_t step,
                        int64_t chunks, std::string& out) {
  for (int64_t seq = first; seq < chunks; seq += step) {
    auto rows =
        conn.Query("SELECT data FROM command_snapshot_chunks WHERE snapshot_id = $1 AND seq = $2",
                   {sid, std::to_string(seq)}, 1);
    if (!rows.ok()) return rows.error();
    if (PQntuples(rows->get()) != 1) return core::InvalidArgument("snapshot chunk missing");
    const size_t at = static_cast<size_t>(seq) * kChunkBytes;
    const size_t expected = std::min(kChunkBytes, out.size() - at);
    if (static_cast<size_t>(PQgetlength(rows->get(), 0, 0)) != expected) {
      return core::InvalidArgument("snapshot chunks do not add up");
    }
    std::memcpy(out.data() + at, PQgetvalue(rows->get(), 0, 0), expected);
  }
  return core::OkStatus();
}

}  // namespace

// Reads in binary result format on libpq connections of its own (ADR 0095): libpqxx 6 asks
// for text results only, and bytea as text is hex — twice the bytes on the wire, then
// unescaped by the client, which made the read most of a snapshot restart. The chunks are
// read on `read_connections_` connections at once, all in one REPEATABLE READ snapshot
// (exported by the first), so the row and its chunks are one consistent state.
core::Result<std::string> PgSnapshotStore::Load(int64_t id) {
  RawConnection conn;
  FILAMENT_RETURN_IF_ERROR(Open(conn, pool_.conninfo(), ""));
  const std::string sid = std::to_string(id);
  auto head = conn.Query("SELECT size_bytes, chunks FROM command_snapshots WHERE snapshot_id = $1",
                         {sid}, 0);
  if (!head.ok()) return head.error();
  if (PQntuples(head->get()) != 1) return core::NotFound("snapshot " + sid + " is gone");
  int64_t size = -1, chunks = -1;
  const auto k = static_cast<int64_t>(kChunkBytes);
  if (!ParseInt(PQgetvalue(head->get(), 0, 0), size) ||
      !ParseInt(PQgetvalue(head->get(), 0, 1), chunks) || chunks < 0 || size < 0 ||
      size > chunks * k || chunks != (size + k - 1) / k) {
    return core::InvalidArgument("snapshot row is inconsistent");
  }
  const int64_t readers = std::clamp<int64_t>(read_connections_, 1, std::max<int64_t>(1, chunks));
  std::string snapshot;
  if (readers > 1) {
    auto exported = conn.Query("SELECT pg_export_snapshot()", {}, 0);
    if (!exported.ok()) return exported.error();
    snapshot = PQgetvalue(exported->get(), 0, 0);
  }
  std::string out(static_cast<size_t>(size), '\0');
  std::vector<core::Status> results(static_cast<size_t>(readers), core::OkStatus());
  std::vector<std::thread> helpers;
  for (int64_t r = 1; r < readers; ++r) {
    helpers.emplace_back([&, r] {
      RawConnection own;
      auto& result = results[static_cast<size_t>(r)];
      result = Open(own, pool_.conninfo(), snapshot);
      if (result.ok()) result = ReadChunks(own, sid, r, readers, chunks, out);
    });
  }
  results[0] = ReadChunks(conn, sid, 0, readers, chunks, out);
  for (auto& helper : helpers) helper.join();
  for (const auto& result : results) FILAMENT_RETURN_IF_ERROR(result);
  return out;
}

core::Status PgSnapshotStore::Save(std::string_view bytes, const std::vector<int64_t>& ends,
                                   int keep) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    const auto chunks = static_cast<int32_t>((bytes.size() + kChunkBytes - 1) / kChunkBytes);
    const auto id = tx.exec_params1(
                          "INSERT INTO command_snapshots (format_version, end_offsets, size_bytes, "
                          "chunks) VALUES ($1, $2, $3, $4) RETURNING snapshot_id",
                          static_cast<int32_t>(commands::snapshot::kSnapshotFormatVersion),
                          FormatEnds(ends), static_cast<int64_t>(bytes.size()), chunks)[0]
                        .as<int64_t>();
    for (int32_t seq = 0; seq < chunks; ++seq) {
      auto chunk = bytes.substr(static_cast<size_t>(seq) * kChunkBytes, kChunkBytes);
      tx.exec_params(
          "INSERT INTO command_snapshot_chunks (snapshot_id, seq, data) "
          "VALUES ($1, $2, $3)",
          id, seq, pqxx::binarystring(chunk.data(), chunk.size()));
    }
    tx.exec_params(
        "DELETE FROM command_snapshots WHERE snapshot_id NOT IN (SELECT snapshot_id "
        "FROM command_snapshots ORDER BY snapshot_id DESC LIMIT $1)",
        std::max(1, keep));
    tx.commit();
    return core::OkStatus();
  });
}

}  // namespace filament::pgstore
