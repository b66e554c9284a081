#include "apps/ops_http.hpp"

#include <thread>

#include "apps/ops_log.hpp"
#include "apps/ops_monitor.hpp"
#include "commands/command_service.hpp"
#include "gateway/gateway_hub.hpp"

namespace filament::app {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string RoleName(const Roles& roles) {
  if (roles.api && roles.projections && roles.gateway) return "serve";
  if (roles.api) return "api";
  if (roles.projections) return "project";
  return "gateway";
}

void AppendHubGauges(gateway::GatewayHub& hub, std::string& out) {
  core::prom::AppendHeader(out, "filament_gateway_connections", "gauge",
                           "Open gateway WebSocket connections of this process.");
  core::prom::AppendSample(out, "filament_gateway_connections", "",
                           static_cast<double>(hub.connection_count()));
  core::prom::AppendHeader(out, "filament_gateway_ingress_queue_depth", "gauge",
                           "Client frames waiting for a gateway worker.");
  core::prom::AppendSample(out, "filament_gateway_ingress_queue_depth", "",
                           static_cast<double>(hub.ingress_queue_depth()));
  hub.metrics().AppendPrometheus(out);
}

void AppendServerGauges(const http::HttpServer& server, std::string& out) {
  core::prom::AppendHeader(out, "filament_http_connections", "gauge",
                           "Open HTTP connections (upgraded sockets not included).");
  core::prom::AppendSample(out, "filament_http_connections", "",
                           static_cast<double>(server.connection_count()));
}

void AppendWriterCounters(const commands::CommandService& commands, std::string& out) {
  const commands::PartitionWriters* writers = commands.partition_writers();
  if (writers == nullptr) return;
  core::prom::AppendHeader(out, "filament_partition_acquisitions_total", "counter",
                           "Log partitions this process took over to write commands.");
  core::prom::AppendSample(out, "filament_partition_acquisitions_total", "",
                           static_cast<double>(writers->Acquisitions()));
  core::prom::AppendHeader(out, "filament_partition_losses_total", "counter",
                           "Log partitions another writer took from this process.");
  core::prom::AppendSample(out, "filament_partition_losses_total", "",
                           static_cast<double>(writers->Losses()));
}

void CloseGatewayForDrain(gateway::GatewayHub& hub, std::chrono::milliseconds timeout) {
  constexpr uint16_t kGoingAway = 1001;
  const size_t open = hub.connection_count();
  hub.CloseAll(kGoingAway, "server shutting down");
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (hub.connection_count() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  LogEvent("info", "gateway_drained",
           {{"closed", static_cast<int64_t>(open)},
            {"left", static_cast<int64_t>(hub.connection_count())}});
}

ObservedHandler::ObservedHandler(http::HttpHandler& inner, RouteOf route_of)
    : inner_(inner),
      route_of_(std::move(route_of)),
      latency_("filament_http_request_duration_seconds",
               "Time from a complete request to its answer, by route pattern.",
               core::prom::LatencyBucketsSeconds()) {}

// Passes everything to the inner sink; a refusal is observed (its status, timed from the head).
class ObservedHandler::ObservingSink final : public http::BodySink {
 public:
  ObservingSink(std::shared_ptr<http::BodySink> inner, ObservedHandler& owner, Request seen)
      : inner_(std::move(inner)), owner_(owner), seen_(std::move(seen)) {}
  std::optional<http::HttpResponse> OnBegin(std::optional<int64_t> declared_length) override {
    return Observed(inner_->OnBegin(declared_length));
  }
  std::optional<http::HttpResponse> OnChunk(std::string_view bytes) override {
    return Observed(inner_->OnChunk(bytes));
  }
  std::optional<http::HttpResponse> OnEnd() override { return Observed(inner_->OnEnd()); }
  const std::shared_ptr<http::BodySink>& inner() const { return inner_; }

 private:
  std::optional<http::HttpResponse> Observed(std::optional<http::HttpResponse> refused) {
    if (refused) owner_.Observe(seen_, refused->status);
    return refused;
  }
  std::shared_ptr<http::BodySink> inner_;
  ObservedHandler& owner_;
  const Request seen_;
};

std::shared_ptr<http::BodySink> ObservedHandler::OpenBodySink(const http::HttpRequest& head) {
  std::shared_ptr<http::BodySink> sink = inner_.OpenBodySink(head);
  if (!sink) return nullptr;
  return std::make_shared<ObservingSink>(std::move(sink), *this,
                                         Seen(head, std::chrono::steady_clock::now()));
}

ObservedHandler::Request ObservedHandler::Seen(const http::HttpRequest& request,
                                               std::chrono::steady_clock::time_point start) const {
  // The method is bounded like the route: anything but the usual ones is "other".
  static const char* const kMethods[] = {"GET",    "POST", "PUT",    "PATCH",
                                         "DELETE", "HEAD", "OPTIONS"};
  std::string method = "other";
  for (const char* known : kMethods) {
    if (request.method == known) method = known;
  }
  return Request{std::move(method), route_of_(request), request.request_id, start};
}

http::HttpResponse ObservedHandler::Handle(const http::HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  if (const auto* observing = dynamic_cast<const ObservingSink*>(request.streamed_body.get())) {
    http::HttpRequest own = request;  // the inner handler's sink, as it handed it out
    own.streamed_body = observing->inner();
    return HandleObserved(own, Seen(own, start));
  }
  return HandleObserved(request, Seen(request, start));
}

http::HttpResponse ObservedHandler::HandleObserved(const http::HttpRequest& request, Request seen) {
  http::HttpResponse response = inner_.Handle(request);
  if (!response.defer) {
    Observe(seen, response.status);
    return response;
  }
  // A deferred answer (ADR 0090) is observed when it is made: its status and its whole wait.
  response.defer = [this, seen = std::move(seen),
                    inner = std::move(response.defer)](http::ResumeResponse resume) {
    inner([this, seen, resume = std::move(resume)](http::ResponseMaker make) {
      resume([this, seen, make = std::move(make)] {
        http::HttpResponse answer = make();
        Observe(seen, answer.status);
        return answer;
      });
    });
  };
  return response;
}

void ObservedHandler::Observe(const Request& seen, int status) {
  const double seconds = SecondsSince(seen.start);
  const std::string labels =
      "method=\"" + seen.method + "\",route=\"" + core::prom::EscapeLabelValue(seen.route) + "\"";
  latency_.Observe(labels, seconds);
  {
    std::lock_guard lock(mu_);
    ++requests_[labels + ",status=\"" + std::to_string(status) + "\""];
  }
  LogEvent("info", "request",
           {{"method", seen.method},
            {"route", seen.route},
            {"status", static_cast<int64_t>(status)},
            {"duration_ms", seconds * 1000.0},
            {"request_id", seen.request_id}});
}

void ObservedHandler::AppendPrometheus(std::string& out) const {
  latency_.AppendPrometheus(out);
  core::prom::AppendHeader(out, "filament_http_requests_total", "counter",
                           "HTTP requests answered, by route pattern and status.");
  std::lock_guard lock(mu_);
  for (const auto& [labels, count] : requests_) {
    core::prom::AppendSample(out, "filament_http_requests_total", labels,
                             static_cast<double>(count));
  }
}

std::string OpsHandler::RouteOf(const http::HttpRequest& request) {
  if (request.path == "/health" || request.path == "/ready" || request.path == "/metrics") {
    return request.path;
  }
  return "unmatched";
}

http::HttpResponse OpsHandler::Handle(const http::HttpRequest& request) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (get && request.path == "/health") return {200, R"({"status":"ok"})", "application/json", {}};
  if (get && request.path == "/ready") {
    auto answer = monitor_.Ready();
    return {answer.status, std::move(answer.body), "application/json", {}};
  }
  if (get && request.path == "/metrics") {
    http::HttpResponse response;
    metrics_(response.body);
    response.content_type = kMetricsContentType;
    return response;
  }
  return {404, R"({"error":"not_found"})", "application/json", {}};
}

TimedEventLog::TimedEventLog(events::EventLog& inner)
    : inner_(inner),
      latency_("filament_log_append_seconds", "Time to append one batch to the log, durably.",
               core::prom::LatencyBucketsSeconds()) {}

core::Result<std::vector<events::Position>> TimedEventLog::Append(
    const events::AppendBatch& batch) {
  const auto start = std::chrono::steady_clock::now();
  auto result = inner_.Append(batch);
  latency_.Observe("", SecondsSince(start));
  if (!result.ok() && result.error().code != core::ErrorCode::kAborted) ++failures_;
  return result;
}

void TimedEventLog::AppendPrometheus(std::string& out) const {
  latency_.AppendPrometheus(out);
  core::prom::AppendHeader(out, "filament_log_append_failures_total", "counter",
                           "Appends that failed other than by a version conflict.");
  core::prom::AppendSample(out, "filament_log_append_failures_total", "",
                           static_cast<double>(failures_.load()));
}

}  // namespace filament::app
