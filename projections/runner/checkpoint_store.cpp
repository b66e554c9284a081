// The checkpoint and skip tables seen from outside a running projection (runner.hpp).
#include <pqxx/pqxx>

#include "projections/runner/pg_support.hpp"
#include "projections/runner/runner.hpp"

namespace filament::projections {

core::Status EnsureCheckpointTables(const std::string& conninfo) {
  auto conn = pg::Connect(conninfo);
  if (!conn.ok()) return conn.error();
  return pg::Guard("create checkpoint tables", [&]() -> core::Status {
    pqxx::work tx(**conn);
    tx.exec(pg::CheckpointTablesSql());
    tx.commit();
    return core::OkStatus();
  });
}

core::Status AddSkip(const std::string& conninfo, std::string_view projection,
                     const events::Position& position, std::string_view reason,
                     std::string_view created_by) {
  if (projection.empty()) return core::InvalidArgument("skip needs a projection name");
  if (position.partition < 0 || position.offset < 0) {
    return core::InvalidArgument("bad skip position " + events::FormatPosition(position));
  }
  auto conn = pg::Connect(conninfo);
  if (!conn.ok()) return conn.error();
  return pg::Guard("record skip", [&]() -> core::Status {
    pqxx::work tx(**conn);
    tx.exec_params(
        "INSERT INTO projection_skips (projection, partition, \"offset\", reason, created_by) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        std::string(projection), position.partition, position.offset, std::string(reason),
        std::string(created_by));
    tx.commit();
    return core::OkStatus();
  });
}

core::Result<std::vector<SkipEntry>> ListSkips(const std::string& conninfo) {
  auto conn = pg::Connect(conninfo);
  if (!conn.ok()) return conn.error();
  std::vector<SkipEntry> skips;
  auto status = pg::Guard("list skips", [&]() -> core::Status {
    pqxx::read_transaction tx(**conn);
    for (const auto& row :
         tx.exec("SELECT projection, partition, \"offset\", reason, created_by, created_at::text "
                 "FROM projection_skips ORDER BY created_at, projection, partition, \"offset\"")) {
      skips.push_back({row[0].as<std::string>(),
                       {row[1].as<int32_t>(), row[2].as<int64_t>()},
                       row[3].as<std::string>(),
                       row[4].as<std::string>(),
                       row[5].as<std::string>()});
    }
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return skips;
}

core::Result<std::vector<int64_t>> ReadCheckpoints(const std::string& conninfo,
                                                   std::string_view projection,
                                                   int32_t partitions) {
  auto conn = pg::Connect(conninfo);
  if (!conn.ok()) return conn.error();
  std::vector<int64_t> next(static_cast<size_t>(partitions < 0 ? 0 : partitions), 0);
  auto status = pg::Guard("read checkpoints", [&]() -> core::Status {
    pqxx::read_transaction tx(**conn);
    for (const auto& row : tx.exec_params(
             "SELECT partition, next_offset FROM projection_checkpoints WHERE projection = $1",
             std::string(projection))) {
      auto p = row[0].as<int32_t>();
      if (p >= 0 && p < partitions) next[static_cast<size_t>(p)] = row[1].as<int64_t>();
    }
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return next;
}

}  // namespace filament::projections
