#pragma once

// Shared helpers for the benchmark executables (tools/bench). Not a library for the server:
// benchmarks may abort on setup failures (a broken environment is not a measurement).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/ulid.hpp"
#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"

namespace filament::postgres {
class EmbeddedCluster;
}  // namespace filament::postgres

namespace filament::bench {

// Monotonic nanoseconds (steady_clock), comparable across threads of one process.
int64_t NowNs();

// Exits the process with `what` and the error's message.
[[noreturn]] void Die(const std::string& what, const core::Error& error);
inline void CheckOk(const core::Status& status, const std::string& what) {
  if (!status.ok()) Die(what, status.error());
}
template <typename T>
T Unwrap(core::Result<T> result, const std::string& what) {
  if (!result.ok()) Die(what, result.error());
  return std::move(*result);
}

// Summary of latency samples in nanoseconds.
struct LatencySummary {
  size_t count = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};
LatencySummary Summarize(std::vector<int64_t> samples_ns);

// A fresh directory under /tmp that the postgres user can traverse (mode 0755).
std::string MakeTempDir(const std::string& prefix);

// Starts an embedded PostgreSQL under `data_dir` (durable or not) and applies migrations.
std::unique_ptr<postgres::EmbeddedCluster> StartMigratedCluster(const std::string& data_dir,
                                                                bool durable);

// Builds log records the way commands::CommandService does (meta from the event).
class RecordFactory {
 public:
  // Record for `event` at `stream_version` in its stream.
  events::LogRecord Make(const events::Event& event, int64_t stream_version, int64_t time_ms,
                         const std::string& actor);
  std::string NewId();

 private:
  core::UlidGenerator ids_;
};

// A fixed-width text table printed to stdout.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void Add(std::vector<std::string> row);
  void Print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string Fixed(double value, int decimals);

}  // namespace filament::bench
