#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apps/lag_tracker.hpp"
#include "core/result.hpp"

namespace filament::events {
class EventLog;
struct SharedTailStats;
}  // namespace filament::events
namespace filament::projections {
class AppliedPositions;
}  // namespace filament::projections

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore

namespace filament::app {

// The migrations check for OpsMonitor: every migration embedded in this binary is recorded in
// schema_migrations and none it does not know (migrations_check.cpp).
std::function<core::Status()> MigrationsCheck(pgstore::ConnectionPool& pool);

// The counters of the process's shared log reader (ADR 0098) in Prometheus text:
// filament_log_tail_polls_total{reader="shared"|"own"} and filament_log_tail_own_readers_total.
void AppendSharedTailPrometheus(std::string& out, const events::SharedTailStats& stats);

// What one role checks for /ready (ADR 0076).
struct OpsMonitorOptions {
  std::string role;                      // serve, api, project, gateway
  std::vector<std::string> projections;  // read models this process runs (lag-checked)
  bool gateway_bridge = false;           // the bridge's position is lag-checked
  int32_t owned_partitions = 0;          // partitions whose commands this process writes
  // With several writers (ADR 0091) the partitions owned now, which change; else unset.
  std::function<int32_t()> owned_now;
  int64_t max_lag_ms = 5000;            // FILAMENT_READY_MAX_PROJECTION_LAG_MS
  int sample_interval_ms = 200;         // how often the log's end is read
  int migrations_interval_ms = 10'000;  // how often schema_migrations is re-read
};

// The readiness of a process and its gauges: a thread samples the log's end offsets (log
// reachability, projection and bridge lag through LagTracker) and re-checks that every
// migration this binary knows is applied. Ready() answers from the latest samples without
// touching the log or the database. Thread-safe.
class OpsMonitor {
 public:
  // `migrations` checks schema_migrations (Ok: every embedded migration applied, none unknown).
  // `applied` feeds the projections' positions, `bridge` the gateway bridge's (named
  // kBridgeName; nullable without a gateway). All must outlive the monitor.
  OpsMonitor(events::EventLog& log, const projections::AppliedPositions& applied,
             const projections::AppliedPositions* bridge, std::function<core::Status()> migrations,
             OpsMonitorOptions options);
  ~OpsMonitor();
  static constexpr const char* kBridgeName = "gateway_bridge";

  void Start();  // takes the first samples before returning
  void Stop();
  // Every component of the role is started (command state folded, readers open).
  void MarkStarted() { started_ = true; }
  // SIGTERM: from now on /ready answers 503 (`draining`).
  void BeginDrain() { draining_ = true; }

  struct Answer {
    int status;  // 200 or 503
    std::string body;
  };
  Answer Ready() const;
  // filament_ready, filament_log_reachable, filament_owned_partitions,
  // filament_projection_lag_seconds{projection}, filament_projection_lag_records{projection}.
  void AppendPrometheus(std::string& out) const;
  int32_t OwnedPartitions() const {
    return options_.owned_now ? options_.owned_now() : options_.owned_partitions;
  }

 private:
  struct Lag {
    std::string name;
    int64_t ms = 0;
    int64_t records = 0;
  };
  void Run();
  void SampleOnce();
  void LogReadinessChange();      // sampler thread only
  std::vector<Lag> Lags() const;  // under mu_
  std::vector<int64_t> PositionOf(const std::string& name) const;

  events::EventLog& log_;
  const projections::AppliedPositions& applied_;
  const projections::AppliedPositions* bridge_;
  std::function<core::Status()> migrations_;
  const OpsMonitorOptions options_;
  std::atomic<bool> started_{false};
  std::atomic<bool> draining_{false};

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  LagTracker tracker_;
  int64_t log_ok_at_ms_ = -1;  // steady ms of the last successful EndOffsets
  std::string log_error_;
  int64_t migrations_at_ms_ = -1;
  std::string migrations_error_;  // empty: applied
  int last_status_ = 0;           // the last Ready() status the sampler logged
  std::thread thread_;
};

}  // namespace filament::app
