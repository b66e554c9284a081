#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "adapters/http/http_server.hpp"
#include "adapters/http/http_types.hpp"
#include "apps/app_options.hpp"
#include "core/prometheus.hpp"
#include "events/event_log.hpp"

namespace filament::gateway {
class GatewayHub;
}  // namespace filament::gateway
namespace filament::commands {
class CommandService;
}  // namespace filament::commands

namespace filament::app {

class OpsMonitor;

// "serve", "api", "project" or "gateway".
std::string RoleName(const Roles& roles);
// filament_gateway_connections, filament_gateway_ingress_queue_depth and the hub's counters
// (deliveries: filament_gateway_events_emitted_total, drops: ..._dropped_total).
void AppendHubGauges(gateway::GatewayHub& hub, std::string& out);
// filament_http_connections.
void AppendServerGauges(const http::HttpServer& server, std::string& out);
// With several command writers (ADR 0091): filament_partition_acquisitions_total and
// filament_partition_losses_total. Nothing with a single writer.
void AppendWriterCounters(const commands::CommandService& commands, std::string& out);

// SIGTERM on a gateway (ADR 0076): every WebSocket is closed with 1001 going away and the
// reason "server shutting down" (new ones too), then waits at most `timeout` for them to go.
void CloseGatewayForDrain(gateway::GatewayHub& hub, std::chrono::milliseconds timeout);

// Per-request observation around the process's HTTP handler (ADR 0076): the latency histogram
// filament_http_request_duration_seconds{method,route}, the counter
// filament_http_requests_total{method,route,status}, and one `request` log line (method,
// route pattern, status, duration_ms, request_id). `route_of` names a request's route pattern
// ("unmatched" for none, which keeps the label set bounded). Times Handle, and a deferred
// answer (ADR 0090) until it is made; a streamed upload's body arrives before. Thread-safe.
class ObservedHandler final : public http::HttpHandler {
 public:
  using RouteOf = std::function<std::string(const http::HttpRequest&)>;
  ObservedHandler(http::HttpHandler& inner, RouteOf route_of);
  http::HttpResponse Handle(const http::HttpRequest& request) override;
  // The inner handler's sink, wrapped so that a request its sink refuses (401/403/409/413/415
  // before or while the body streams) is observed too; Handle unwraps it again, so the inner
  // handler gets its own sink back.
  std::shared_ptr<http::BodySink> OpenBodySink(const http::HttpRequest& head) override;
  void AppendPrometheus(std::string& out) const;

 private:
  struct Request {
    std::string method;
    std::string route;
    std::string request_id;
    std::chrono::steady_clock::time_point start;
  };
  class ObservingSink;
  Request Seen(const http::HttpRequest& request, std::chrono::steady_clock::time_point start) const;
  http::HttpResponse HandleObserved(const http::HttpRequest& request, Request seen);
  void Observe(const Request& seen, int status);

  http::HttpHandler& inner_;
  RouteOf route_of_;
  core::prom::HistogramFamily latency_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> requests_;  // label set → count
};

// The plain HTTP surface of a role without the REST API (project, gateway): /health (the
// contract's body), /ready (OpsMonitor) and /metrics; anything else 404 not_found.
class OpsHandler final : public http::HttpHandler {
 public:
  OpsHandler(const OpsMonitor& monitor, std::function<void(std::string&)> metrics)
      : monitor_(monitor), metrics_(std::move(metrics)) {}
  http::HttpResponse Handle(const http::HttpRequest& request) override;
  // The route pattern of `request` for ObservedHandler.
  static std::string RouteOf(const http::HttpRequest& request);

 private:
  const OpsMonitor& monitor_;
  std::function<void(std::string&)> metrics_;
};

// The /metrics body content type (text exposition format 0.0.4).
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// The log with every Append timed into filament_log_append_seconds (and failures counted).
class TimedEventLog final : public events::EventLog {
 public:
  explicit TimedEventLog(events::EventLog& inner);
  int32_t Partitions() const override { return inner_.Partitions(); }
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& batch) override;
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& from) override {
    return inner_.OpenReader(from);
  }
  core::Result<std::vector<int64_t>> EndOffsets() override { return inner_.EndOffsets(); }
  core::Result<int64_t> AcquirePartition(int32_t partition) override {
    return inner_.AcquirePartition(partition);
  }
  void AppendPrometheus(std::string& out) const;

 private:
  events::EventLog& inner_;
  core::prom::HistogramFamily latency_;
  std::atomic<uint64_t> failures_{0};
};

}  // namespace filament::app
