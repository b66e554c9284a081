#include "apps/ops_monitor.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "apps/ops_log.hpp"
#include "core/prometheus.hpp"
#include "core/thread_name.hpp"
#include "events/event_log.hpp"
#include "events/shared_tail.hpp"
#include "projections/runner/applied_positions.hpp"

namespace filament::app {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

OpsMonitor::OpsMonitor(events::EventLog& log, const projections::AppliedPositions& applied,
                       const projections::AppliedPositions* bridge,
                       std::function<core::Status()> migrations, OpsMonitorOptions options)
    : log_(log),
      applied_(applied),
      bridge_(bridge),
      migrations_(std::move(migrations)),
      options_(std::move(options)) {}

OpsMonitor::~OpsMonitor() { Stop(); }

void OpsMonitor::Start() {
  SampleOnce();
  thread_ = core::NamedThread("ops-monitor", [this] { Run(); });
}

void OpsMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OpsMonitor::Run() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(options_.sample_interval_ms),
                         [this] { return stop_; })) {
    lock.unlock();
    SampleOnce();
    LogReadinessChange();
    lock.lock();
  }
}

// One `ready` / `not_ready` line whenever the answer of /ready changes (the first ready line
// marks the end of a restart).
void OpsMonitor::LogReadinessChange() {
  Answer answer = Ready();
  if (answer.status == last_status_) return;
  last_status_ = answer.status;
  auto body = nlohmann::json::parse(answer.body, nullptr, false);
  std::string failed;
  if (body.is_object() && body.contains("failed")) failed = body["failed"].dump();
  LogEvent(answer.status == 200 ? "info" : "warn", answer.status == 200 ? "ready" : "not_ready",
           {{"role", options_.role}, {"failed", failed}});
}

std::vector<int64_t> OpsMonitor::PositionOf(const std::string& name) const {
  if (name == kBridgeName) return bridge_ != nullptr ? bridge_->Next(name) : std::vector<int64_t>();
  return applied_.Next(name);
}

// The log and the database are read without the lock; only the results are stored under it.
void OpsMonitor::SampleOnce() {
  const int64_t now = SteadyMs();
  auto ends = log_.EndOffsets();
  bool check_migrations = false;
  {
    std::lock_guard lock(mu_);
    check_migrations = migrations_at_ms_ < 0 || !migrations_error_.empty() ||
                       now - migrations_at_ms_ >= options_.migrations_interval_ms;
  }
  std::string migrations_error;
  if (check_migrations) {
    core::Status status = migrations_ ? migrations_() : core::OkStatus();
    if (!status.ok()) migrations_error = status.error().message;
  }
  std::vector<std::vector<int64_t>> positions;
  for (const auto& name : options_.projections) positions.push_back(PositionOf(name));
  if (options_.gateway_bridge) positions.push_back(PositionOf(kBridgeName));
  std::lock_guard lock(mu_);
  if (check_migrations) {
    migrations_at_ms_ = now;
    migrations_error_ = migrations_error;
  }
  if (!ends.ok()) {
    log_error_ = ends.error().message;
    return;
  }
  log_ok_at_ms_ = now;
  log_error_.clear();
  tracker_.AddSample(now, std::move(*ends));
  tracker_.Prune(positions);
}

std::vector<OpsMonitor::Lag> OpsMonitor::Lags() const {
  const int64_t now = SteadyMs();
  std::vector<Lag> out;
  auto add = [&](const std::string& name) {
    const auto next = PositionOf(name);
    out.push_back({name, tracker_.LagMs(now, next), tracker_.LagRecords(next)});
  };
  for (const auto& name : options_.projections) add(name);
  if (options_.gateway_bridge) add(kBridgeName);
  return out;
}

OpsMonitor::Answer OpsMonitor::Ready() const {
  nlohmann::ordered_json checks;
  std::vector<std::string> failed;
  auto check = [&](const char* name, bool ok, nlohmann::ordered_json detail) {
    detail["ok"] = ok;
    checks[name] = std::move(detail);
    if (!ok) failed.emplace_back(name);
  };
  std::lock_guard lock(mu_);
  const int64_t now = SteadyMs();
  const int64_t log_fresh_ms = 5LL * options_.sample_interval_ms + 1000;
  nlohmann::ordered_json log_detail = nlohmann::ordered_json::object();
  if (!log_error_.empty()) log_detail["error"] = log_error_;
  check("log", log_ok_at_ms_ >= 0 && now - log_ok_at_ms_ <= log_fresh_ms, log_detail);
  nlohmann::ordered_json migration_detail = nlohmann::ordered_json::object();
  if (!migrations_error_.empty()) migration_detail["error"] = migrations_error_;
  check("migrations", migrations_at_ms_ >= 0 && migrations_error_.empty(), migration_detail);
  // With a command side, "started" means its state is folded and its partitions owned.
  check(options_.owned_partitions > 0 ? "command_state" : "started", started_.load(),
        {{"owned_partitions", OwnedPartitions()}});
  nlohmann::ordered_json lag_ms = nlohmann::ordered_json::object();
  bool projections_ok = true;
  for (const Lag& lag : Lags()) {
    const bool ok = lag.ms <= options_.max_lag_ms;
    if (lag.name == kBridgeName) {
      check("gateway_bridge", ok, {{"lag_ms", lag.ms}, {"lag_records", lag.records}});
      continue;
    }
    lag_ms[lag.name] = lag.ms;
    projections_ok = projections_ok && ok;
  }
  if (!options_.projections.empty()) {
    check("projections", projections_ok, {{"max_lag_ms", options_.max_lag_ms}, {"lag_ms", lag_ms}});
  }
  check("draining", !draining_.load(), nlohmann::ordered_json::object());
  nlohmann::ordered_json body;
  body["status"] = failed.empty() ? "ready" : "not_ready";
  body["role"] = options_.role;
  if (!failed.empty()) body["failed"] = failed;
  body["checks"] = std::move(checks);
  return {failed.empty() ? 200 : 503, body.dump()};
}

void OpsMonitor::AppendPrometheus(std::string& out) const {
  namespace prom = core::prom;
  const bool ready = Ready().status == 200;
  std::lock_guard lock(mu_);
  prom::AppendHeader(out, "filament_ready", "gauge", "1 when /ready answers 200.");
  prom::AppendSample(out, "filament_ready", "", ready ? 1 : 0);
  prom::AppendHeader(out, "filament_log_reachable", "gauge",
                     "1 when the last read of the log's end offsets succeeded.");
  prom::AppendSample(out, "filament_log_reachable", "", log_error_.empty() ? 1 : 0);
  prom::AppendHeader(out, "filament_owned_partitions", "gauge",
                     "Log partitions whose commands this process writes.");
  prom::AppendSample(out, "filament_owned_partitions", "", OwnedPartitions());
  const auto lags = Lags();
  prom::AppendHeader(out, "filament_projection_lag_seconds", "gauge",
                     "How long ago a record this consumer has not applied was in the log.");
  for (const Lag& lag : lags) {
    prom::AppendSample(out, "filament_projection_lag_seconds",
                       "projection=\"" + prom::EscapeLabelValue(lag.name) + "\"", lag.ms / 1000.0);
  }
  prom::AppendHeader(out, "filament_projection_lag_records", "gauge",
                     "Records between this consumer and the log's end.");
  for (const Lag& lag : lags) {
    prom::AppendSample(out, "filament_projection_lag_records",
                       "projection=\"" + prom::EscapeLabelValue(lag.name) + "\"", lag.records);
  }
}

void AppendSharedTailPrometheus(std::string& out, const events::SharedTailStats& stats) {
  namespace prom = core::prom;
  prom::AppendHeader(out, "filament_log_tail_polls_total", "counter",
                     "Log polls by this process's followers of the log's head: of the one "
                     "shared reader, or of a follower's own reader (behind the shared window).");
  prom::AppendSample(out, "filament_log_tail_polls_total", "reader=\"shared\"",
                     static_cast<double>(stats.shared_polls));
  prom::AppendSample(out, "filament_log_tail_polls_total", "reader=\"own\"",
                     static_cast<double>(stats.private_polls));
  prom::AppendHeader(out, "filament_log_tail_own_readers_total", "counter",
                     "Readers of its own opened for a follower that started or fell behind the "
                     "shared window.");
  prom::AppendSample(out, "filament_log_tail_own_readers_total", "",
                     static_cast<double>(stats.own_readers));
}

}  // namespace filament::app
