// `replay --check`: rebuild into a scratch schema and compare with a snapshot of the live
// tables (see replay.hpp for the steps and why the comparison is like for like).
#include <cstdio>

#include <pqxx/pqxx>

#include "projections/runner/pg_support.hpp"
#include "projections/runner/replay.hpp"
#include "projections/runner/replay_internal.hpp"

namespace filament::projections {

namespace {

constexpr const char* kScratch = "filament_replay_check";
constexpr const char* kLiveCopy = "filament_replay_check_live";
constexpr int kDiffRows = 5;

core::Status DropSchemas(pqxx::connection& conn) {
  return pg::Guard("drop scratch schemas", [&]() -> core::Status {
    pqxx::work tx(conn);
    tx.exec(std::string("DROP SCHEMA IF EXISTS ") + kScratch + " CASCADE");
    tx.exec(std::string("DROP SCHEMA IF EXISTS ") + kLiveCopy + " CASCADE");
    tx.commit();
    return core::OkStatus();
  });
}

core::Status CreateScratch(pqxx::connection& conn, const std::vector<Projection*>& chosen) {
  FILAMENT_RETURN_IF_ERROR(DropSchemas(conn));
  return pg::Guard("create scratch schema", [&]() -> core::Status {
    pqxx::work tx(conn);
    tx.exec(std::string("CREATE SCHEMA ") + kScratch);
    tx.exec(std::string("CREATE SCHEMA ") + kLiveCopy);
    auto like = [&](const std::string& table) {
      tx.exec(std::string("CREATE TABLE ") + kScratch + "." + tx.quote_name(table) +
              " (LIKE public." + tx.quote_name(table) + " INCLUDING ALL)");
    };
    like("projection_checkpoints");
    for (Projection* projection : chosen) {
      for (const auto& table : projection->Tables()) like(table);
    }
    tx.commit();
    return core::OkStatus();
  });
}

// Snapshots the live tables and checkpoints of `chosen` in one repeatable-read transaction.
core::Result<std::vector<std::vector<int64_t>>> SnapshotLive(pqxx::connection& conn,
                                                             const std::vector<Projection*>& chosen,
                                                             int32_t partitions) {
  std::vector<std::vector<int64_t>> until;
  auto status = pg::Guard("snapshot live tables", [&]() -> core::Status {
    pqxx::transaction<pqxx::isolation_level::repeatable_read> tx(conn);
    for (Projection* projection : chosen) {
      std::vector<int64_t> next(static_cast<size_t>(partitions), 0);
      for (const auto& row :
           tx.exec_params("SELECT partition, next_offset FROM public.projection_checkpoints "
                          "WHERE projection = $1",
                          std::string(projection->Name()))) {
        auto p = row[0].as<int32_t>();
        if (p >= 0 && p < partitions) next[static_cast<size_t>(p)] = row[1].as<int64_t>();
      }
      until.push_back(std::move(next));
      for (const auto& table : projection->Tables()) {
        tx.exec(std::string("CREATE TABLE ") + kLiveCopy + "." + tx.quote_name(table) +
                " AS TABLE public." + tx.quote_name(table));
      }
    }
    tx.commit();
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return until;
}

std::vector<std::string> RowsOnlyIn(pqxx::work& tx, const std::string& a, const std::string& b) {
  std::vector<std::string> rows;
  auto result =
      tx.exec("SELECT r FROM (SELECT t::text AS r FROM " + a + " t EXCEPT ALL " +
              "SELECT t::text FROM " + b + " t) d ORDER BY r LIMIT " + std::to_string(kDiffRows));
  for (const auto& row : result) rows.push_back(row[0].as<std::string>());
  return rows;
}

core::Result<TableCheck> CompareTable(pqxx::connection& conn, const std::string& projection,
                                      const std::string& table) {
  TableCheck check{projection, table};
  auto status = pg::Guard("compare " + table, [&]() -> core::Status {
    pqxx::work tx(conn);
    std::string live = std::string(kLiveCopy) + "." + tx.quote_name(table);
    std::string rebuilt = std::string(kScratch) + "." + tx.quote_name(table);
    auto digest = [&](const std::string& name) {
      return tx.exec1(
          "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' "
          "ORDER BY t::text)), '') FROM " +
          name + " t");
    };
    auto a = digest(live);
    auto b = digest(rebuilt);
    check.live_rows = a[0].as<int64_t>();
    check.rebuilt_rows = b[0].as<int64_t>();
    check.equal =
        check.live_rows == check.rebuilt_rows && a[1].as<std::string>() == b[1].as<std::string>();
    if (!check.equal) {
      check.live_only = RowsOnlyIn(tx, live, rebuilt);
      check.rebuilt_only = RowsOnlyIn(tx, rebuilt, live);
    }
    tx.commit();
    return core::OkStatus();
  });
  if (!status.ok()) return status.error();
  return check;
}

void PrintReport(const ReplayCheckReport& report, std::ostream& out) {
  char line[512];
  std::snprintf(line, sizeof line, "%-40s %12s %12s  %s\n", "table", "live_rows", "rebuilt_rows",
                "result");
  out << line;
  for (const auto& t : report.tables) {
    std::snprintf(line, sizeof line, "%-40s %12lld %12lld  %s\n",
                  (t.projection + "." + t.table).c_str(), static_cast<long long>(t.live_rows),
                  static_cast<long long>(t.rebuilt_rows), t.equal ? "OK" : "DIFF");
    out << line;
    for (const auto& row : t.live_only) out << "    - live only:    " << row << "\n";
    for (const auto& row : t.rebuilt_only) out << "    + rebuilt only: " << row << "\n";
  }
  out << (report.identical ? "replay-check: OK, rebuilt read models equal the live ones\n"
                           : "replay-check: DIFF, rebuilt read models differ from the live ones\n");
  out.flush();
}

core::Result<ReplayCheckReport> CheckAll(events::EventLog& log, pqxx::connection& conn,
                                         const std::vector<Projection*>& chosen,
                                         const ReplayOptions& options, std::ostream& out) {
  FILAMENT_RETURN_IF_ERROR(CreateScratch(conn, chosen));
  auto until = SnapshotLive(conn, chosen, log.Partitions());
  if (!until.ok()) return until.error();
  ReplayCheckReport report;
  for (size_t i = 0; i < chosen.size(); ++i) {
    RebuildTarget target{&options, kScratch, (*until)[i], "replay-check"};
    FILAMENT_RETURN_IF_ERROR(RebuildProjection(log, *chosen[i], target, out));
    for (const auto& table : chosen[i]->Tables()) {
      auto check = CompareTable(conn, std::string(chosen[i]->Name()), table);
      if (!check.ok()) return check.error();
      report.identical = report.identical && check->equal;
      report.tables.push_back(std::move(*check));
    }
  }
  PrintReport(report, out);
  return report;
}

}  // namespace

core::Result<ReplayCheckReport> ReplayCheck(events::EventLog& log,
                                            const std::vector<Projection*>& projections,
                                            const ReplayOptions& options, std::ostream& out) {
  auto chosen = SelectProjections(projections, options.only);
  if (!chosen.ok()) return chosen.error();
  auto conn = pg::Connect(options.conninfo);
  if (!conn.ok()) return conn.error();
  auto report = CheckAll(log, **conn, *chosen, options, out);
  auto dropped = DropSchemas(**conn);
  if (!report.ok()) return report;
  if (!dropped.ok()) return dropped.error();
  return report;
}

}  // namespace filament::projections
