#include "projections/runner/replay.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <thread>

#include <pqxx/pqxx>

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

namespace {

// Prints "<label> <name>: done/total records (pct%), rate events/s" at most once per interval,
// and a final "done" line.
class ProgressPrinter {
 public:
  ProgressPrinter(const RebuildTarget& target, std::string name, std::ostream& out)
      : target_(target),
        name_(std::move(name)),
        out_(out),
        total_(std::accumulate(target.until.begin(), target.until.end(), int64_t{0})),
        started_(std::chrono::steady_clock::now()),
        last_line_(started_) {}

  void Add(uint64_t records) {
    done_ += records;
    auto now = std::chrono::steady_clock::now();
    if (now - last_line_ < target_.options->progress_interval) return;
    last_line_ = now;
    double percent =
        total_ > 0 ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0;
    out_ << target_.label << " " << name_ << ": " << done_ << "/" << total_ << " records ("
         << Fixed1(percent) << "%), " << Rate(now) << " events/s" << std::endl;
  }

  void Done() {
    auto now = std::chrono::steady_clock::now();
    out_ << target_.label << " " << name_ << ": done, " << done_ << " records in "
         << Fixed1(std::chrono::duration<double>(now - started_).count()) << " s (" << Rate(now)
         << " events/s)" << std::endl;
  }

 private:
  int64_t Rate(std::chrono::steady_clock::time_point now) const {
    double secs = std::chrono::duration<double>(now - started_).count();
    return secs > 0 ? static_cast<int64_t>(static_cast<double>(done_) / secs) : 0;
  }

  const RebuildTarget& target_;
  std::string name_;
  std::ostream& out_;
  int64_t total_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_line_;
  uint64_t done_ = 0;
};

}  // namespace

core::Status RebuildProjection(events::EventLog& log, Projection& projection,
                               const RebuildTarget& target, std::ostream& out) {
  ProgressPrinter progress(target, std::string(projection.Name()), out);
  WorkerConfig config;
  config.conninfo = target.options->conninfo;
  config.schema = target.schema;
  config.batch_size = target.options->batch_size;
  config.until = target.until;
  config.read_ahead = true;
  config.decoders = target.options->decoders > 0
                        ? target.options->decoders
                        : static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  config.log = [&out](const std::string& line) { out << line << std::endl; };
  config.progress = [&](uint64_t applied, uint64_t skipped) { progress.Add(applied + skipped); };
  std::atomic<bool> stop{false};
  FILAMENT_RETURN_IF_ERROR(RunProjection(log, projection, config, stop));
  progress.Done();
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
