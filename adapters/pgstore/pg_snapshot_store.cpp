#include "adapters/pgstore/pg_snapshot_store.hpp"

#include <charconv>

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

core::Result<std::string> PgSnapshotStore::Load(int64_t id) {
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<std::string> {
    pqxx::read_transaction tx(c);
    auto head = tx.exec_params(
        "SELECT size_bytes, chunks FROM command_snapshots "
        "WHERE snapshot_id = $1",
        id);
    if (head.empty()) return core::NotFound("snapshot " + std::to_string(id) + " is gone");
    const auto size = head[0][0].as<int64_t>();
    const auto chunks = head[0][1].as<int32_t>();
    if (chunks < 0 || size < 0 || size > static_cast<int64_t>(chunks) * int64_t{kChunkBytes}) {
      return core::InvalidArgument("snapshot row is inconsistent");
    }
    std::string out;
    out.reserve(static_cast<size_t>(size));
    for (int32_t seq = 0; seq < chunks;
         ++seq) {  // one chunk per query: memory stays ~3 chunks beyond `out`
      auto rows = tx.exec_params(
          "SELECT data FROM command_snapshot_chunks WHERE snapshot_id = $1 AND seq = $2", id, seq);
      if (rows.empty()) return core::InvalidArgument("snapshot chunk missing");
      pqxx::binarystring data(rows[0][0]);
      out.append(reinterpret_cast<const char*>(data.data()), data.size());
    }
    if (static_cast<int64_t>(out.size()) != size) {
      return core::InvalidArgument("snapshot chunks do not add up");
    }
    return out;
  });
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
