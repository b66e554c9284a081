#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/http_types.hpp"
#include "adapters/http/websocket.hpp"
#include "api/routes/auth_service.hpp"
#include "api/support/captcha.hpp"
#include "api/support/client_ip.hpp"
#include "api/support/errors.hpp"
#include "api/support/rate_limit.hpp"
#include "api/support/router.hpp"
#include "commands/command_service.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/ulid.hpp"

namespace filament::core {
class BlobStore;
}  // namespace filament::core

namespace filament::pgstore {
class IpObservationStore;
}  // namespace filament::pgstore

namespace filament::projections {
class AppliedPositions;
class AuditQueries;
class FriendsQueries;
class GuildQueries;
class MessagesQueries;
class SearchProjection;
class UsersQueries;
}  // namespace filament::projections

namespace filament::api {

class VoiceGate;

// What the REST routes need. Everything must outlive the ApiHandler.
struct ApiDeps {
  commands::CommandService& commands;
  AuthService& auth;
  projections::UsersQueries& users;
  projections::GuildQueries& guilds;
  projections::MessagesQueries& messages;
  projections::FriendsQueries& friends;
  // Read-your-writes: a mutation answers once these projections applied its events. Null when
  // the projections run in another process (then the response carries the position only).
  projections::AppliedPositions* applied = nullptr;
  std::vector<std::string> read_models;
  const core::Clock& clock;
  core::Limits limits;
  const ClientIpResolver& client_ip;
  // The search index (contract §4.13); null where it does not run (search routes answer 503).
  projections::SearchProjection* search = nullptr;
  // Appends the Prometheus text of other subsystems (gateway, runner) to /metrics.
  std::function<void(std::string&)> append_metrics;
  // GET /ready (ADR 0076): (status, JSON body) of the process's readiness checks; null answers
  // 200 {"status":"ready","checks":{}}.
  std::function<std::pair<int, std::string>()> readiness;
  // Avatars, banners and attachments (null: the upload and download routes answer 500).
  core::BlobStore* blobs = nullptr;
  // Where upload bodies are spooled (anonymous temp files, never left behind).
  std::string spool_directory = "/tmp";
  // hCaptcha on register; null when not configured.
  CaptchaVerifier* captcha = nullptr;
  // FILAMENT_SERVER_OWNER_USER_ID (contract §3.4 step 1); empty when unset. When set it wins
  // over the owner recorded on the log (`filament admin make-owner`, ADR 0066).
  std::string server_owner_user_id;
  // The audit trail read model (GET /guilds/{g}/audit); null answers 503.
  projections::AuditQueries* audit = nullptr;
  // The IP side store (observations on join, IP bans, the §3.7 gate); null disables them.
  pgstore::IpObservationStore* ip_observations = nullptr;
  // LiveKit settings and media limiters (voice_routes.hpp); null: the token route answers 500.
  VoiceGate* voice = nullptr;
};

// The path the router sees (ADR 0050): "/api" and "/api/..." lose the "/api" prefix ("/api" is
// "/"), so the web client's same-origin calls reach the routes; any other path is unchanged.
std::string_view RoutedPath(std::string_view path);

// The request's client IP under the trusted-proxy rules (contract §1.1).
std::string ClientIpOf(const ClientIpResolver& resolver, const http::HttpRequest& request);

// One request as a route sees it.
struct RouteRequest {
  const http::HttpRequest& http;
  const RouteMatch& match;
  std::string client_ip;
};

// The REST surface: routing, the global limiter, and the contract's routes
// (auth_routes.cpp, guild_routes.cpp, message_routes.cpp). Thread-safe.
class ApiHandler final : public http::HttpHandler {
 public:
  explicit ApiHandler(ApiDeps deps);
  ~ApiHandler() override;

  http::HttpResponse Handle(const http::HttpRequest& request) override;
  // Upload routes take their body in pieces (their SinkFactory) once the global limiter let
  // them through; others are buffered.
  std::shared_ptr<http::BodySink> OpenBodySink(const http::HttpRequest& head) override;

  // True when some route's pattern matches `path` (after RoutedPath), whatever its method:
  // the path belongs to the API. For a front that serves other content beside it.
  bool HasPattern(std::string_view path) const;
  // The pattern of the route `request` reaches (after RoutedPath), e.g. "/guilds/{guild_id}";
  // "" when none does (404, 405 or an undecodable parameter).
  std::string RoutePattern(const http::HttpRequest& request) const;

  // Helpers for routes.
  ApiDeps& deps() { return deps_; }
  core::Result<Principal> Authenticate(const RouteRequest& request);
  http::HttpResponse Json(int status, std::string body) const;
  http::HttpResponse Error(const core::Error& error);
  // `status` with `body` and X-Filament-Position naming the last appended record, answered once
  // the read models include `appended` (bounded by FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS; a
  // timeout still answers, and is logged). The wait holds no HTTP worker: the response is
  // deferred (HttpResponse::defer, ADR 0090), so return it as it is — to change the answer or
  // read the read models after the wait, use MutationNow.
  http::HttpResponse Mutation(const commands::Appended& appended, std::string body,
                              int status = 200);
  // A mutation whose command holds no HTTP worker either (ADR 0102): `start(done)` queues the
  // command (CommandService::OnGuildDetached) and `done` receives its result on whichever
  // thread ran its batch. The answer is then `render(appended)` with 200 and released as
  // Mutation's is; an error is answered by `on_error` (when given) or as Error would. `render`
  // and `on_error` run on an HTTP worker; `on_error` may block it (e.g. to retry the command).
  using AppendedDone = std::function<void(core::Result<commands::Appended>)>;
  http::HttpResponse MutationDetached(
      std::function<void(AppendedDone done)> start,
      std::function<std::string(const commands::Appended&)> render,
      std::function<http::HttpResponse(const core::Error&)> on_error = nullptr);
  // The same, waited for on this thread (the worker is held): an ordinary response the route
  // may still change, after which the read models include `appended`.
  http::HttpResponse MutationNow(const commands::Appended& appended, std::string body);
  // The same, with the body read once the read models include `appended` (e.g. a profile
  // read back from its read model). An error from `read` becomes the error response.
  http::HttpResponse MutationThen(const commands::Appended& appended,
                                  const std::function<core::Result<std::string>()>& read);
  // The auth-route limiter (register, login, ...): false → answer 429 rate_limited.
  bool AllowAuthRoute(std::string_view route, const std::string& client_ip);
  // The directory-join limiters (per IP, then per user): false → 429 rate_limited.
  bool AllowDirectoryJoin(const std::string& client_ip, const std::string& user_id);
  void AppendMetrics(std::string& out) const;
  // A fresh attachment id (minted outside any stream lock: bytes are stored before the append).
  std::string NewUploadId();
  // Deletes stored attachment bytes after their deletion was appended. Best effort: a failure
  // leaves an orphan blob (logged), never a live attachment without bytes.
  void DeleteAttachmentBytes(const std::vector<std::string>& attachment_ids);
  // The server owner the permission code uses (ADR 0066): the configured one when set, else
  // the one recorded on the log, read from the users read model at most every 2 s; "" if none
  // (or the read model cannot be read: fails closed).
  std::string ServerOwner();

  using Route = std::function<http::HttpResponse(ApiHandler&, RouteRequest&)>;
  using SinkFactory = std::function<std::shared_ptr<http::BodySink>(
      ApiHandler&, const http::HttpRequest& head, const RouteMatch& match)>;

  // The global limiter (contract §2.4): keyed by the bearer token's user when it verifies,
  // else by client IP. A 429 response when the request is over the limit.
  std::optional<http::HttpResponse> CheckGlobalLimit(const http::HttpRequest& request);

 private:
  // Answers with `answer` (through `resume`) once the read models include `position`, or when
  // FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS passed (logged). Needs deps_.applied.
  void ResumeWhenApplied(const events::Position& position, http::ResumeResponse resume,
                         http::ResponseMaker answer);

  void Register(std::string_view method, std::string_view pattern, Route route,
                SinkFactory sink = nullptr);
  std::optional<http::HttpResponse> CheckGlobalLimit(const http::HttpRequest& request,
                                                     const std::string& client_ip);
  void WaitForMinPosition(const http::HttpRequest& request);

  ApiDeps deps_;
  Router router_;
  std::vector<Route> routes_;
  std::vector<SinkFactory> sinks_;     // by route id; null for buffered routes
  std::vector<std::string> patterns_;  // by route id
  core::UlidGenerator upload_ids_;
  TokenBucketLimiter global_limiter_;
  SlidingWindowLimiter auth_route_limiter_;
  SlidingWindowLimiter join_ip_limiter_;
  SlidingWindowLimiter join_user_limiter_;
  std::atomic<int64_t> auth_failures_{0};
  std::atomic<int64_t> forbidden_{0};
  std::atomic<int64_t> rate_limit_hits_{0};
  std::mutex owner_mu_;
  std::string recorded_owner_;
  int64_t owner_read_at_ms_ = INT64_MIN;
};

// Puts the WebSocket upgrade request under the same global limiter as every REST route
// (GATEWAY.md §11), then hands it to the gateway's own upgrade handler. Thread-safe.
class RateLimitedUpgrade final : public http::GatewayUpgrade {
 public:
  RateLimitedUpgrade(ApiHandler& api, http::GatewayUpgrade& inner) : api_(api), inner_(inner) {}
  std::variant<http::HttpResponse, std::shared_ptr<http::WsSessionHandler>> OnUpgradeRequest(
      const http::HttpRequest& request) override {
    if (auto limited = api_.CheckGlobalLimit(request)) return *limited;
    return inner_.OnUpgradeRequest(request);
  }

 private:
  ApiHandler& api_;
  http::GatewayUpgrade& inner_;
};

// How a route file hands its routes over: add(method, pattern, route), and for routes whose
// body is streamed (uploads) add_streamed(method, pattern, route, sink_factory).
using AddRoute = std::function<void(std::string_view, std::string_view, ApiHandler::Route)>;
using AddStreamedRoute = std::function<void(std::string_view, std::string_view, ApiHandler::Route,
                                            ApiHandler::SinkFactory)>;

// Every REST route of the server: the built-in ones (/health, /metrics, /echo, /slow, the
// /gateway/ws fallback) and those of Register{Auth,Guild,Message}Routes. The ApiHandler's
// routing table is exactly what this registers, so a new route goes here or into one of the
// functions it calls (and into docs/openapi.yaml, which a test compares with ApiRouteTable).
void RegisterApiRoutes(const AddRoute& add, const AddStreamedRoute& add_streamed);

// (method, pattern) of every route, in registration order, without building a handler: for
// `filament routes` and the OpenAPI drift test. Aborts on a malformed or duplicate pattern.
struct RouteSpec {
  std::string method;
  std::string pattern;
};
std::vector<RouteSpec> ApiRouteTable();

void RegisterAuthRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add);
void RegisterGuildRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add);
void RegisterMessageRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add);
void RegisterProfileRoutes(const AddRoute& add);
void RegisterUploadRoutes(const AddRoute& add, const AddStreamedRoute& add_streamed);
void RegisterFriendRoutes(const AddRoute& add);
void RegisterSearchRoutes(const AddRoute& add);
void RegisterReactionRoutes(const AddRoute& add);
void RegisterAttachmentRoutes(const AddRoute& add, const AddStreamedRoute& add_streamed);
void RegisterVoiceRoutes(const AddRoute& add);

}  // namespace filament::api
