#include "api/routes/api_handler.hpp"

#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/routes/error_response.hpp"
#include "api/routes/governance_helpers.hpp"
#include "api/routes/upload_sink.hpp"
#include "api/support/json_body.hpp"
#include "core/blob_store.hpp"
#include "core/blocking.hpp"
#include "events/log_record.hpp"
#include "projections/runner/applied_positions.hpp"

namespace filament::api {
namespace {

void ReadModelsLate(const events::Position& position) {
  std::fprintf(stderr, "api: read models did not reach %s in time\n",
               events::FormatPosition(position).c_str());
}

// A mutation's answer names the log position of its last event (clients and tests wait on it).
void AddPosition(http::HttpResponse& response, const events::Position& last) {
  response.headers.emplace_back("x-filament-position", events::FormatPosition(last));
}

std::string EchoJson(const std::string& message) {
  nlohmann::ordered_json out;
  out["message"] = message;
  return out.dump();
}

std::optional<std::string> BearerToken(const http::HttpRequest& request) {
  auto header = request.Header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (!header || header->compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  return header->substr(kPrefix.size());
}

// Answers a streamed request before reading its body (e.g. 429 from the global limiter).
class RejectingSink final : public http::BodySink {
 public:
  explicit RejectingSink(http::HttpResponse response) : response_(std::move(response)) {}
  std::optional<http::HttpResponse> OnBegin(std::optional<int64_t>) override { return response_; }
  std::optional<http::HttpResponse> OnChunk(std::string_view) override { return response_; }

 private:
  http::HttpResponse response_;
};

}  // namespace

std::string_view RoutedPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/api";
  if (path.substr(0, kPrefix.size()) != kPrefix) return path;
  if (path.size() == kPrefix.size()) return "/";
  if (path[kPrefix.size()] != '/') return path;  // "/apix" is not under the prefix
  return path.substr(kPrefix.size());
}

bool ApiHandler::HasPattern(std::string_view path) const {
  return router_.Match("GET", RoutedPath(path)).kind != RouteMatch::Kind::kNotFound;
}

std::string ApiHandler::RoutePattern(const http::HttpRequest& request) const {
  auto match = router_.Match(request.method, RoutedPath(request.path));
  if (match.kind != RouteMatch::Kind::kFound || match.route_id >= patterns_.size()) return "";
  return patterns_[match.route_id];
}

std::string ClientIpOf(const ClientIpResolver& resolver, const http::HttpRequest& request) {
  return resolver.Resolve(request.peer_ip,
                          [&request](std::string_view name) { return request.Header(name); });
}

void RegisterApiRoutes(const AddRoute& add, const AddStreamedRoute& add_streamed) {
  add("GET", "/health",
      [](ApiHandler& api, RouteRequest&) { return api.Json(200, R"({"status":"ok"})"); });
  add("GET", "/ready", [](ApiHandler& api, RouteRequest&) {
    if (!api.deps().readiness) return api.Json(200, R"({"status":"ready","checks":{}})");
    auto [status, body] = api.deps().readiness();
    return api.Json(status, std::move(body));
  });
  add("GET", "/metrics", [](ApiHandler& api, RouteRequest&) {
    http::HttpResponse response;
    api.AppendMetrics(response.body);
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  });
  add("POST", "/echo", [](ApiHandler& api, RouteRequest& request) {
    auto body = ParseJsonBody(request.http.Header("content-type"), request.http.body);
    if (!body.ok()) return api.Error(body.error());
    std::string message = body->RequiredString("message");
    if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
    if (message.empty()) return api.Error(core::InvalidArgument("empty message"));
    return api.Json(200, EchoJson(message));
  });
  add("GET", "/slow", [](ApiHandler& api, RouteRequest&) {
    // A test route for the request timeout (contract §4.1), waiting as a slow read would.
    const core::ScopedBlocking waiting;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return api.Json(200, R"({"status":"ok"})");
  });
  // Reached only without valid upgrade headers (the transport hands real upgrades to the
  // gateway before routing): the framework's rejection, before any token check.
  add("GET", "/gateway/ws", [](ApiHandler& api, RouteRequest&) {
    return api.Json(426, R"({"error":"invalid_request"})");
  });
  RegisterAuthRoutes(add);
  RegisterGuildRoutes(add);
  RegisterMessageRoutes(add);
  RegisterProfileRoutes(add);
  RegisterFriendRoutes(add);
  RegisterUploadRoutes(add, add_streamed);
  RegisterReactionRoutes(add);
  RegisterSearchRoutes(add);
  RegisterAttachmentRoutes(add, add_streamed);
  RegisterMemberRoutes(add);
  RegisterRoleRoutes(add);
  RegisterAuditRoutes(add);
  RegisterIpBanRoutes(add);
  RegisterVoiceRoutes(add);
}

std::vector<RouteSpec> ApiRouteTable() {
  Router router;  // aborts on a malformed or duplicate pattern, as the server would at start-up
  std::vector<RouteSpec> table;
  auto add = [&](std::string_view method, std::string_view pattern, ApiHandler::Route) {
    router.Add(method, pattern);
    table.push_back(RouteSpec{std::string(method), std::string(pattern)});
  };
  RegisterApiRoutes(add,
                    [&](std::string_view method, std::string_view pattern, ApiHandler::Route route,
                        ApiHandler::SinkFactory) { add(method, pattern, std::move(route)); });
  return table;
}

ApiHandler::ApiHandler(ApiDeps deps)
    : deps_(std::move(deps)),
      global_limiter_(deps_.clock, deps_.limits.rate_limit_requests_per_minute),
      auth_route_limiter_(deps_.clock, deps_.limits.auth_route_requests_per_minute),
      join_ip_limiter_(deps_.clock, deps_.limits.directory_join_requests_per_minute_per_ip),
      join_user_limiter_(deps_.clock, deps_.limits.directory_join_requests_per_minute_per_user) {
  RegisterApiRoutes(
      [this](std::string_view method, std::string_view pattern, Route route) {
        Register(method, pattern, std::move(route));
      },
      [this](std::string_view method, std::string_view pattern, Route route, SinkFactory sink) {
        Register(method, pattern, std::move(route), std::move(sink));
      });
}

ApiHandler::~ApiHandler() = default;

void ApiHandler::Register(std::string_view method, std::string_view pattern, Route route,
                          SinkFactory sink) {
  size_t id = router_.Add(method, pattern);
  if (routes_.size() <= id) routes_.resize(id + 1);
  if (patterns_.size() <= id) patterns_.resize(id + 1);
  patterns_[id] = std::string(pattern);
  if (sinks_.size() <= id) sinks_.resize(id + 1);
  routes_[id] = std::move(route);
  sinks_[id] = std::move(sink);
}

// Streamed routes get their sink; an unknown route or method (any route) and an undecodable
// path parameter of a streamed route are answered from the head, after the global limiter, as
// Handle would answer them but without reading a body first (the original never reads one
// for them, so a large body must not turn them into 413).
std::shared_ptr<http::BodySink> ApiHandler::OpenBodySink(const http::HttpRequest& head) {
  RouteMatch match = router_.Match(head.method, RoutedPath(head.path));
  std::optional<ErrorReply> refused;
  switch (match.kind) {
    case RouteMatch::Kind::kNotFound:
      refused = NotFoundReply();
      break;
    case RouteMatch::Kind::kMethodNotAllowed:
      refused = MethodNotAllowedReply(match.allow);
      break;
    case RouteMatch::Kind::kBadPath:  // route_id is set
      if (!sinks_[match.route_id]) return nullptr;
      refused = BadRequestReply();
      break;
    case RouteMatch::Kind::kFound:
      if (!sinks_[match.route_id]) return nullptr;
      break;
  }
  if (auto limited = CheckGlobalLimit(head)) return std::make_shared<RejectingSink>(*limited);
  if (refused) return std::make_shared<RejectingSink>(FromReply(*refused));
  return sinks_[match.route_id](*this, head, match);
}

std::string ApiHandler::NewUploadId() {
  return upload_ids_.Next(static_cast<uint64_t>(deps_.clock.NowUnixMs())).ToString();
}

void ApiHandler::DeleteAttachmentBytes(const std::vector<std::string>& attachment_ids) {
  if (deps_.blobs == nullptr) return;
  for (const auto& id : attachment_ids) {
    if (auto s = deps_.blobs->Delete(core::AttachmentBlobKey(id)); !s.ok()) {
      std::fprintf(stderr, "api: attachment %s: bytes not deleted: %s\n", id.c_str(),
                   s.error().message.c_str());
    }
  }
}

http::HttpResponse ApiHandler::Handle(const http::HttpRequest& request) {
  std::string client_ip = ClientIpOf(deps_.client_ip, request);
  // A streamed upload passed the limiter in OpenBodySink, before its body was read.
  if (!request.streamed_body) {
    if (auto limited = CheckGlobalLimit(request, client_ip)) return *limited;
  }
  RouteMatch match = router_.Match(request.method, RoutedPath(request.path));
  switch (match.kind) {
    case RouteMatch::Kind::kNotFound:
      return FromReply(NotFoundReply());
    case RouteMatch::Kind::kMethodNotAllowed:
      return FromReply(MethodNotAllowedReply(match.allow));
    case RouteMatch::Kind::kBadPath:
      return FromReply(BadRequestReply());
    case RouteMatch::Kind::kFound:
      break;
  }
  WaitForMinPosition(request);
  RouteRequest route_request{request, match, std::move(client_ip)};
  return routes_[match.route_id](*this, route_request);
}

std::optional<http::HttpResponse> ApiHandler::CheckGlobalLimit(const http::HttpRequest& request) {
  return CheckGlobalLimit(request, ClientIpOf(deps_.client_ip, request));
}

std::optional<http::HttpResponse> ApiHandler::CheckGlobalLimit(const http::HttpRequest& request,
                                                               const std::string& client_ip) {
  std::string key = "ip:" + client_ip;
  if (auto token = BearerToken(request)) {
    if (auto subject = deps_.auth.TokenSubject(*token)) key = "user:" + *subject;
  }
  RateDecision decision = global_limiter_.Check(key);
  if (decision.allowed) return std::nullopt;
  return FromReply(RateLimitedReply(decision.retry_after_secs));
}

void ApiHandler::WaitForMinPosition(const http::HttpRequest& request) {
  auto header = request.Header("x-filament-min-position");
  if (!header || deps_.applied == nullptr) return;
  auto position = events::ParsePosition(*header);
  if (!position) return;  // advisory header: a malformed value is ignored, not an error
  deps_.applied->WaitFor(deps_.read_models, *position,
                         std::chrono::milliseconds(deps_.limits.read_your_writes_timeout_ms));
}

core::Result<Principal> ApiHandler::Authenticate(const RouteRequest& request) {
  auto token = BearerToken(request.http);
  if (!token) return core::Unauthenticated("no bearer token");
  return deps_.auth.Authenticate(*token);
}

http::HttpResponse ApiHandler::Json(int status, std::string body) const {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

http::HttpResponse ApiHandler::Error(const core::Error& error) {
  ErrorReply reply = MapError(error);
  if (reply.status == 401) ++auth_failures_;
  if (reply.status == 403 && error.reason != "guild_creation_limit_reached" &&
      error.reason != "captcha_failed") {
    ++forbidden_;
  }
  if (reply.status == 429) ++rate_limit_hits_;
  if (reply.status >= 500) {
    std::fprintf(stderr, "api: %s: %s\n", std::string(core::ErrorCodeName(error.code)).c_str(),
                 error.message.c_str());
  }
  return FromReply(reply);
}

http::HttpResponse ApiHandler::Mutation(const commands::Appended& appended, std::string body,
                                        int status) {
  http::HttpResponse response = Json(status, std::move(body));
  auto last = appended.Last();
  if (!last) return response;
  AddPosition(response, *last);
  if (deps_.applied == nullptr) return response;
  http::HttpResponse deferred;
  deferred.defer = [this, position = *last,
                    response = std::move(response)](http::ResumeResponse resume) mutable {
    ResumeWhenApplied(position, std::move(resume), [response] { return response; });
  };
  return deferred;
}

void ApiHandler::ResumeWhenApplied(const events::Position& position, http::ResumeResponse resume,
                                   http::ResponseMaker answer) {
  deps_.applied->WhenApplied(
      deps_.read_models, position,
      std::chrono::milliseconds(deps_.limits.read_your_writes_timeout_ms),
      [position, resume = std::move(resume), answer = std::move(answer)](bool reached) {
        if (!reached) ReadModelsLate(position);
        resume(answer);
      });
}

http::HttpResponse ApiHandler::MutationDetached(
    std::function<void(AppendedDone done)> start,
    std::function<std::string(const commands::Appended&)> render,
    std::function<http::HttpResponse(const core::Error&)> on_error) {
  http::HttpResponse deferred;
  deferred.defer = [this, start = std::move(start), render = std::move(render),
                    on_error = std::move(on_error)](http::ResumeResponse resume) mutable {
    start([this, resume = std::move(resume), render = std::move(render),
           on_error = std::move(on_error)](core::Result<commands::Appended> result) mutable {
      if (!result.ok()) {
        resume([this, error = result.error(), on_error = std::move(on_error)] {
          return on_error ? on_error(error) : Error(error);
        });
        return;
      }
      auto appended = std::make_shared<const commands::Appended>(std::move(*result));
      const auto last = appended->Last();
      http::ResponseMaker answer = [this, appended, last, render = std::move(render)] {
        http::HttpResponse response = Json(200, render(*appended));
        if (last) AddPosition(response, *last);
        return response;
      };
      if (!last || deps_.applied == nullptr) return resume(std::move(answer));
      ResumeWhenApplied(*last, std::move(resume), std::move(answer));
    });
  };
  return deferred;
}

http::HttpResponse ApiHandler::MutationNow(const commands::Appended& appended, std::string body) {
  http::HttpResponse response = Json(200, std::move(body));
  auto last = appended.Last();
  if (!last) return response;
  AddPosition(response, *last);
  if (deps_.applied != nullptr &&
      !deps_.applied->WaitFor(
          deps_.read_models, *last,
          std::chrono::milliseconds(deps_.limits.read_your_writes_timeout_ms))) {
    ReadModelsLate(*last);
  }
  return response;
}

http::HttpResponse ApiHandler::MutationThen(
    const commands::Appended& appended, const std::function<core::Result<std::string>()>& read) {
  http::HttpResponse response = MutationNow(appended, "");
  auto body = read();
  if (!body.ok()) return Error(body.error());
  response.body = std::move(*body);
  return response;
}

bool ApiHandler::AllowAuthRoute(std::string_view route, const std::string& client_ip) {
  return auth_route_limiter_.Check(std::string(route) + ":" + client_ip).allowed;
}

bool ApiHandler::AllowDirectoryJoin(const std::string& client_ip, const std::string& user_id) {
  // Both must pass; the IP is checked first (contract §2.4).
  return join_ip_limiter_.Check(client_ip).allowed && join_user_limiter_.Check(user_id).allowed;
}

void ApiHandler::AppendMetrics(std::string& out) const {
  out += "# HELP filament_auth_failures_total Handler answers of 401 and 403.\n";
  out += "# TYPE filament_auth_failures_total counter\n";
  out += "filament_auth_failures_total{reason=\"unauthorized\"} " +
         std::to_string(auth_failures_.load()) + "\n";
  out += "filament_auth_failures_total{reason=\"forbidden\"} " + std::to_string(forbidden_.load()) +
         "\n";
  out += "# HELP filament_rate_limit_hits_total Handler-level 429 answers.\n";
  out += "# TYPE filament_rate_limit_hits_total counter\n";
  out += "filament_rate_limit_hits_total{surface=\"http\",reason=\"auth_failure\"} " +
         std::to_string(rate_limit_hits_.load()) + "\n";
  if (deps_.append_metrics) deps_.append_metrics(out);
}

}  // namespace filament::api
