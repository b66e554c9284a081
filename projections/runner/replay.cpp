#include "projections/runner/replay.hpp"

#include <pqxx/pqxx>

#include <cstdio>
#include <numeric>

#include "projections/runner/pg_support.hpp"
#include "projections/runner/projection_worker.hpp"
#include "projections/runner/replay_internal.hpp"

namespace filament::projections {

namespace {

std::string Fixed1(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

core::Status ResetProjection(pqxx::connection& conn, Projection& projection) {
  return pg::Guard("reset " + std::string(projection.Name()), [&]() -> core::Status {
    pqxx::work tx(conn);
    auto tables = projection.Tables();
    if (!tables.empty()) {
      std::string sql = "TRUNCATE ";
      for (size_t i = 0; i < tables.size(); ++i) {
        sql += (i == 0 ? "" : ", ") + tx.quote_name(tables[i]);
      }
      tx.exec(sql);
    }
    tx.exec_params("DELETE FROM projection_checkpoints WHERE projection = $1",
                   std::string(projection.Name()));
    tx.commit();
    return core::OkStatus();
  });
}

}  // namespace

core::Result<std::vector<Projection*>> SelectProjections(
    const std::vector<Projection*>& projections, const std::vector<std::string>& only) {
  if (only.empty()) return projections;
  std::vector<Projection*> chosen;
  for (const auto& name : only) {
    auto it = std::find_if(projections.begin(), projections.end(),
                           [&](Projection* p) { return p->Name() == name; });
    if (it == projections.end()) return core::InvalidArgument("unknown projection: " + name);
    chosen.push_back(*it);
  }
  return chosen;
}

core::Status RebuildProjection(events::EventLog& log, Projection& projection,
                               const RebuildTarget& target, std::ostream& out) {
  const std::string name(projection.Name());
  const int64_t total = std::accumulate(target.until.begin(), target.until.end(), int64_t{0});
  const auto started = std::chrono::steady_clock::now();
  auto last_line = started;
  uint64_t done = 0;
  auto rate = [&](std::chrono::steady_clock::time_point now) {
    double secs = std::chrono::duration<double>(now - started).count();
    return secs > 0 ? static_cast<double>(done) / secs : 0.0;
  };
  WorkerConfig config;
  config.conninfo = target.options->conninfo;
  config.schema = target.schema;
  config.batch_size = target.options->batch_size;
  config.until = target.until;
  config.log = [&out](const std::string& line) { out << line << std::endl; };
  config.progress = [&](uint64_t applied, uint64_t skipped) {
    done += applied + skipped;
    auto now = std::chrono::steady_clock::now();
    if (now - last_line < target.options->progress_interval) return;
    last_line = now;
    double percent = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
    out << target.label << " " << name << ": " << done << "/" << total << " records ("
        << Fixed1(percent) << "%), " << static_cast<int64_t>(rate(now)) << " events/s"
        << std::endl;
  };
  std::atomic<bool> stop{false};
  FILAMENT_RETURN_IF_ERROR(RunProjection(log, projection, config, stop));
  auto now = std::chrono::steady_clock::now();
  out << target.label << " " << name << ": done, " << done << " records in "
      << Fixed1(std::chrono::duration<double>(now - started).count()) << " s ("
      << static_cast<int64_t>(rate(now)) << " events/s)" << std::endl;
  return core::OkStatus();
}

core::Status Replay(events::EventLog& log, const std::vector<Projection*>& projections,
                    const ReplayOptions& options, std::ostream& out) {
  auto chosen = SelectProjections(projections, options.only);
  if (!chosen.ok()) return chosen.error();
  std::vector<int64_t> until;
  if (options.until) {
    until = *options.until;
  } else {
    auto ends = log.EndOffsets();
    if (!ends.ok()) return ends.error();
    until = *ends;
  }
  auto conn = pg::Connect(options.conninfo);
  if (!conn.ok()) return conn.error();
  for (Projection* projection : *chosen) {
    FILAMENT_RETURN_IF_ERROR(ResetProjection(**conn, *projection));
    RebuildTarget target{&options, "", until, "replay"};
    FILAMENT_RETURN_IF_ERROR(RebuildProjection(log, *projection, target, out));
  }
  return core::OkStatus();
}

}  // namespace filament::projections
