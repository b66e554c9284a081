// `filament serve|api|project|gateway`: builds the object graph for the chosen roles, runs
// until SIGINT/SIGTERM, then shuts down in reverse order (HTTP first, storage last).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>

#include <pthread.h>

#include "adapters/captcha/hcaptcha_verifier.hpp"
#include "adapters/crypto/primitives.hpp"
#include "adapters/http/http_server.hpp"
#include "adapters/pgstore/auth_store.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/ip_observation_store.hpp"
#include "adapters/pgstore/pg_blob_store.hpp"
#include "adapters/pgstore/session_sweeper.hpp"
#include "adapters/pgstore/upload_reservations.hpp"
#include "adapters/presence/pg_presence_directory.hpp"
#include "api/routes/api_handler.hpp"
#include "api/routes/gateway_ports.hpp"
#include "api/routes/upgrade_limit.hpp"
#include "api/routes/voice_routes.hpp"
#include "api/support/client_ip.hpp"
#include "apps/blob_sweeper.hpp"
#include "apps/checkpoint_poller.hpp"
#include "apps/command_snapshots.hpp"
#include "apps/commands.hpp"
#include "apps/ops_http.hpp"
#include "apps/ops_log.hpp"
#include "apps/ops_monitor.hpp"
#include "apps/read_models.hpp"
#include "apps/storage.hpp"
#include "apps/voice_sweeper.hpp"
#include "apps/web_front.hpp"
#include "commands/command_service.hpp"
#include "core/ulid.hpp"
#include "events/shared_tail.hpp"
#include "gateway/bridge/bridge_start.hpp"
#include "gateway/bridge/live_access.hpp"
#include "gateway/bridge/log_bridge.hpp"
#include "gateway/bridge/voice_roster.hpp"
#include "gateway/gateway_hub.hpp"
#include "gateway/gateway_upgrade.hpp"
#include "projections/runner/applied_positions.hpp"
#include "projections/runner/metrics.hpp"
#include "projections/runner/runner.hpp"
#include "projections/search/search_projection.hpp"

namespace filament::app {
namespace {

int Fail(const std::string& what, const core::Error& error) {
  std::cerr << "filament: " << what << ": " << error.message << "\n";
  return 1;
}

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

std::string CanonicalUserId(const std::string& id) {
  auto parsed = core::Ulid::Parse(id);
  return parsed ? parsed->ToString() : std::string();
}

class HubSink final : public gateway::FanoutSink {
 public:
  HubSink(gateway::GatewayHub& hub, projections::AppliedPositions& seen) : hub_(hub), seen_(seen) {}
  void ToChannel(const std::string& guild_id, const std::string& channel_id,
                 const std::string& type, const std::string& payload,
                 const UserFilter& allow) override {
    hub_.PublishToChannel(guild_id, channel_id, type, payload, allow);
  }
  void ToGuild(const std::string& guild_id, const std::string& type, const std::string& payload,
               const UserFilter& allow) override {
    hub_.PublishToGuild(guild_id, type, payload, allow);
  }
  void ToUser(const std::string& user_id, const std::string& type,
              const std::string& payload) override {
    hub_.PublishToUser(user_id, type, payload);
  }
  void Revalidate(const std::string& guild_id, const KeepSubscription& keep) override {
    hub_.Revalidate(guild_id, keep);
  }
  void ApplyIpBans(const std::string& guild_id, const std::vector<gateway::IpBanEntry>& bans,
                   const Announcement* announce,
                   std::shared_ptr<const gateway::ReplayEntry> entry) override {
    std::optional<gateway::GatewayHub::Announcement> sync;
    if (announce != nullptr) sync = {announce->type, announce->payload_json, &announce->allow};
    const events::Position position{entry->partition, entry->offset};
    hub_.ApplyIpBans(guild_id, bans, sync, std::move(entry));
    seen_.Update(OpsMonitor::kBridgeName, position);
  }
  void LiftIpBans(const std::string& guild_id, const std::vector<std::string>& ban_ids) override {
    hub_.LiftIpBans(guild_id, ban_ids);
  }
  void StartReplayWindow(const std::vector<int64_t>& start) override {
    for (size_t p = 0; p < start.size(); ++p) {  // the bridge's position, for /ready
      if (start[p] > 0)
        seen_.Update(OpsMonitor::kBridgeName, {static_cast<int32_t>(p), start[p] - 1});
    }
    hub_.StartReplayWindow(start);
  }
  void Record(std::shared_ptr<const gateway::ReplayEntry> entry) override {
    const events::Position position{entry->partition, entry->offset};
    hub_.PublishRecord(std::move(entry));
    seen_.Update(OpsMonitor::kBridgeName, position);
  }
  void DropUser(const std::string& user_id, const std::string& reason) override {
    hub_.DropUser(user_id, reason);
  }

 private:
  gateway::GatewayHub& hub_;
  projections::AppliedPositions& seen_;
};

// A gateway-only process does not run the command side (one command writer per log), so an
// ingress message_create is rejected; the web client posts over REST.
class RejectingPoster final : public gateway::IngressMessagePoster {
 public:
  core::Status Post(const std::string&, const std::string&, const std::string&, const std::string&,
                    const std::vector<std::string>&, const std::string&) override {
    return core::MakeError(core::ErrorCode::kFailedPrecondition, "no command side here");
  }
};

gateway::GatewayOptions GatewayOptionsFrom(const core::Limits& limits) {
  gateway::GatewayOptions options;
  options.max_event_bytes = limits.max_gateway_event_bytes;
  options.outbound_queue = limits.gateway_outbound_queue;
  options.ingress_events_per_window = limits.gateway_ingress_events_per_window;
  options.ingress_window_secs = limits.gateway_ingress_window_secs;
  options.ping_interval_secs = limits.gateway_ping_interval_secs;
  options.resume_max_events = limits.gateway_resume_max_events;
  options.resume_max_age_secs = limits.gateway_resume_max_age_secs;
  options.resume_pump_percent = static_cast<int>(limits.gateway_resume_pump_percent);
  return options;
}

// Presence shared with the other gateway processes on this database, under a fresh identity.
// Where the command side keeps its snapshots (ADR 0092): --snapshot-dir, else files beside the
// embedded database, else (an external database) PostgreSQL.
std::string SnapshotDirectory(const ServeOptions& options) {
  if (!options.snapshot_dir.empty()) return options.snapshot_dir;
  if (options.storage.database_url.empty() && !options.storage.data_dir.empty()) {
    return options.storage.data_dir + "/snapshots";
  }
  return "";
}

core::Result<std::unique_ptr<presence::PgPresenceDirectory>> StartPresence(
    const std::string& conninfo, const core::Limits& limits, const core::Ulid& instance) {
  return presence::PgPresenceDirectory::Start(
      {.conninfo = conninfo,
       .instance_id = instance.ToString(),
       .ttl_ms = limits.gateway_presence_ttl_ms,
       .heartbeat_ms = limits.gateway_presence_heartbeat_ms,
       .log = [](const std::string& line) { std::cerr << line << "\n"; }});
}

}  // namespace

int RunServer(const ServeOptions& options) {
  // Where the start spends its time (docs/performance.md §22): one line per finished stage.
  const auto process_start = std::chrono::steady_clock::now();
  auto stage = [&process_start](const char* name) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - process_start)
                        .count();
    std::cerr << "filament: start: " << name << " at " << ms << " ms\n";
  };
  const sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // every thread started below inherits this
  const Roles& roles = options.roles;
  LogFormat log_format = LogFormat::kJson;
  if (!ParseLogFormat(options.log_format, log_format)) {
    return Fail("--log-format", core::InvalidArgument("json or text"));
  }
  SetLogFormat(log_format);
  if (auto s = crypto::InitCrypto(); !s.ok()) return Fail("crypto", s.error());
  auto client_ip = api::ClientIpResolver::FromConfig(options.trusted_proxy_cidrs);
  if (!client_ip.ok()) return Fail("--trusted-proxy-cidrs", client_ip.error());
  auto captcha_config = api::MakeCaptchaConfig(options.hcaptcha_site_key, options.hcaptcha_secret,
                                               options.hcaptcha_verify_url);
  if (!captcha_config.ok()) return Fail("hcaptcha", captcha_config.error());
  auto voice_settings = api::MakeVoiceSettings(options.livekit_api_key, options.livekit_api_secret,
                                               options.livekit_url);
  if (!voice_settings.ok()) return Fail("livekit", voice_settings.error());
  std::unique_ptr<webroot::StaticSite> site;
  if (!options.web_root.empty()) {
    if (!roles.api) {
      return Fail("--web-root", core::InvalidArgument("needs the api role (serve or api)"));
    }
    auto opened = webroot::StaticSite::Open(options.web_root);
    if (!opened.ok()) return Fail("--web-root", opened.error());
    site = std::move(*opened);
  }
  std::unique_ptr<captcha::HcaptchaVerifier> captcha;
  if (*captcha_config) captcha = std::make_unique<captcha::HcaptchaVerifier>(**captcha_config);
  auto storage = OpenStorage(options.storage);
  if (!storage.ok()) return Fail("storage", storage.error());
  stage("storage open (log, PostgreSQL, migrations)");
  TimedEventLog timed_log(*(*storage)->log);  // append latency (ADR 0076)
  events::EventLog& log = timed_log;
  // The projection workers and the gateway bridge follow the log's head through one shared
  // reader (ADR 0098): one query or fetch per wake-up for the process, not one per reader.
  events::SharedTailLog tail(timed_log);
  const std::string& conninfo = (*storage)->conninfo;

  core::SystemClock clock;
  core::UlidGenerator ids;
  pgstore::ConnectionPool pool(conninfo, static_cast<size_t>(options.http_threads) + 4);
  ReadModels models;
  const std::vector<std::string> read_model_names = ReadModels::Names();
  projections::AppliedPositions applied;
  projections::RunnerMetrics runner_metrics;
  projections::AppliedPositions bridge_seen;
  std::vector<std::string> run_projections;  // lag-checked by /ready

  std::unique_ptr<projections::ProjectionRunner> runner;
  if (roles.projections) {
    auto chosen = models.Select(options.only_projections);
    if (!chosen.ok()) return Fail("--only", chosen.error());
    for (const auto& text : options.skip_positions) {
      auto position = events::ParsePosition(text);
      if (!position || chosen->size() != 1) {
        return Fail("--skip-position", core::InvalidArgument("use P:O with one --only projection"));
      }
      if (auto s = projections::AddSkip(conninfo, chosen->front()->Name(), *position,
                                        "operator skip", "filament project");
          !s.ok()) {
        return Fail("--skip-position", s.error());
      }
    }
    projections::RunnerOptions runner_options;
    runner_options.conninfo = conninfo;
    runner_options.log = [](const std::string& line) { LogMessage("projections", line); };
    // ADR 0097: in `serve` with a single writer, a projection need not commit a checkpoint for
    // a batch it ignores. This process's waiters learn its progress in memory; no other api
    // process exists; a `gateway` process beside it reads the checkpoint rows but waits only for
    // the read models a record changes (the barrier below), whose checkpoints never lag that
    // record. A split `project` keeps committing: api processes wait on all of its read models.
    if (roles.api && roles.gateway && !options.storage.fenced_writers()) {
      runner_options.defer_ignored =
          std::chrono::milliseconds(options.projection_checkpoint_delay_ms);
    }
    for (const auto* projection : *chosen) run_projections.emplace_back(projection->Name());
    runner = std::make_unique<projections::ProjectionRunner>(tail, *chosen, runner_options,
                                                             &applied, &runner_metrics);
    runner->Start();
  }

  std::unique_ptr<CheckpointPoller> poller;
  if ((roles.api || roles.gateway) && !roles.projections) {
    poller = std::make_unique<CheckpointPoller>(pool, applied, read_model_names);
    poller->Start();
  }

  pgstore::AuthStore auth_store(pool);
  projections::UsersQueries users(pool);
  projections::GuildQueries guilds(pool);
  projections::AuditQueries audit(pool);
  pgstore::IpObservationStore ip_observations(pool);
  api::GatewayIpResolver ip_resolver(ip_observations);
  projections::MessagesQueries messages(pool);
  projections::FriendsQueries friends(pool);
  pgstore::PgBlobStore blobs(pool);
  // Several api processes share their upload reservations here (ADR 0096).
  std::unique_ptr<pgstore::PgUploadReservations> upload_reservations;
  std::unique_ptr<commands::CommandService> command_service;
  std::unique_ptr<api::AuthService> auth;
  std::unique_ptr<api::ApiHandler> api_handler;
  std::unique_ptr<CommandSnapshots> snapshots;  // ADR 0078
  // The gateway bridge's replay window, spread over the partitions (ADR 0060, 0085).
  const int64_t window_per_partition =
      (options.limits.gateway_resume_max_events + log.Partitions() - 1) /
      std::max<int64_t>(1, log.Partitions());
  // The bridge starts from the command side's fold (ADR 0085), not from a fold of its own.
  std::unique_ptr<gateway::BridgeStart> bridge_start;
  if (roles.api || roles.gateway) {
    command_service =
        std::make_unique<commands::CommandService>(log, clock, ids, auth_store, options.limits);
    if (roles.api) {
      if (options.storage.fenced_writers()) {
        command_service->UseFencedWriters([](const std::string& line) {
          LogEvent("info", "partition_writer", {{"message", line}});
        });
        upload_reservations = std::make_unique<pgstore::PgUploadReservations>(pool.conninfo());
        command_service->ShareUploadReservations(upload_reservations.get());
      }
      // The snapshotter follows the log's head like the read models: through the shared tail.
      snapshots = std::make_unique<CommandSnapshots>(tail, pool, options.limits,
                                                     SnapshotDirectory(options));
      snapshots->Attach(*command_service);
      if (roles.gateway) {
        command_service->ObserveStartFold(window_per_partition,
                                          [&bridge_start](commands::CommandFold& fold) {
                                            bridge_start = gateway::BridgeStartFrom(fold);
                                          });
      }
      if (auto s = command_service->Start(); !s.ok()) return Fail("command state", s.error());
      stage("command state");
      snapshots->StartTaking();
    }
    auth = std::make_unique<api::AuthService>(*command_service, auth_store, users, clock,
                                              api::AuthService::Options{options.limits});
    if (auto s = auth->Init(); !s.ok()) return Fail("token keys", s.error());
  }
  // Expired refresh sessions leave the auth store every interval (ADR 0020 addendum).
  std::unique_ptr<pgstore::SessionSweeper> session_sweeper;
  if (roles.api) {
    session_sweeper = std::make_unique<pgstore::SessionSweeper>(
        auth_store, clock,
        pgstore::SessionSweeper::Options{
            .interval_ms = options.limits.auth_session_sweep_interval_secs * 1000,
            .used_retention_secs = options.limits.refresh_token_ttl_secs + 3600});
    session_sweeper->Start();
  }

  std::unique_ptr<presence::PgPresenceDirectory> presence;  // outlives the hub (ADR 0057)
  // Voice removals (expiry, permission loss, last disconnect) by the command writer (ADR 0054).
  // An api process without a gateway learns of gone users from the gateways' presence
  // leases (ADR 0057), at each sweep (ADR 0096). Outlives the sweeper.
  std::unique_ptr<presence::PgPresenceReader> presence_reader;
  std::unique_ptr<VoiceSweeper> voice_sweeper;
  std::unique_ptr<api::VoiceGate> voice_gate;
  if (roles.api) {
    voice_sweeper = std::make_unique<VoiceSweeper>(
        *command_service, guilds, clock, options.limits.voice_sweep_interval_secs,
        std::chrono::milliseconds(options.limits.voice_disconnect_grace_ms));
    if (!roles.gateway) {
      presence_reader = std::make_unique<presence::PgPresenceReader>(conninfo);
      voice_sweeper->WatchConnections([reader = presence_reader.get()](const std::string& user) {
        return reader->ConnectedAnywhere(user).value_or(true);  // no answer: keep the user
      });
    }
    voice_sweeper->Start();
    voice_gate = std::make_unique<api::VoiceGate>(clock, options.limits, *voice_settings);
  }
  gateway::VoiceRoster voice_roster;

  std::unique_ptr<gateway::GatewayHub> hub;
  std::unique_ptr<HubSink> sink;
  std::unique_ptr<gateway::LogBridge> bridge;
  std::unique_ptr<gateway::GatewayUpgradeHandler> upgrade;
  // Subscribe authorization and per-delivery filtering from the log itself (live permissions).
  gateway::LiveAccess authorizer(CanonicalUserId(options.server_owner_user_id));
  std::unique_ptr<gateway::IngressMessagePoster> poster;
  // Only a process with the command side appends (the api role): the gate audits hits there.
  api::GatewayIpBanGate ip_gate(ip_observations, roles.api ? command_service.get() : nullptr,
                                clock);
  if (roles.gateway) {
    if (roles.api) {
      poster =
          std::make_unique<api::GatewayMessagePoster>(*command_service, &ip_observations, clock);
    } else {
      poster = std::make_unique<RejectingPoster>();
    }
    hub = std::make_unique<gateway::GatewayHub>(GatewayOptionsFrom(options.limits), clock,
                                                authorizer, *poster, &ip_gate);
    auto directory = StartPresence(conninfo, options.limits, ids.Next(clock.NowUnixMs()));
    if (!directory.ok()) return Fail("gateway presence", directory.error());
    presence = std::move(*directory);
    hub->AttachPresence(presence.get());
    hub->SetVoiceRoster(&voice_roster);
    // A user's voice participations go when the user has no connection left in any gateway
    // process (the presence directory decides it, ADR 0057) and has not come back within the
    // grace (ADR 0081), removed by this process's command writer. A gateway-only process has no
    // command side: there they expire with their tokens (ADR 0054).
    if (voice_sweeper) {
      VoiceSweeper* sweeper = voice_sweeper.get();
      sweeper->SetReconnectCheck([hub = hub.get(),
                                  directory = presence.get()](const std::string& user_id) {
        return hub->HasConnection(user_id) || directory->ConnectedAnywhere(user_id).value_or(false);
      });
      hub->SetUserGoneHandler(
          [sweeper](const std::string& user_id) { sweeper->OnUserGone(user_id); });
    }
    sink = std::make_unique<HubSink>(*hub, bridge_seen);
    // Events go out once the read models include them (ADR 0017): a GET made on an event
    // sees its effect. Only the read models the record can change hold it back (ADR 0097):
    // the others have nothing of it to show, and may commit their checkpoints late.
    auto barrier = [&applied, &models](const events::StoredRecord& record,
                                       std::chrono::milliseconds timeout) {
      return applied.WaitFor(models.Changing(record.record.meta), record.position, timeout);
    };
    bridge = std::make_unique<gateway::LogBridge>(
        tail, *sink, &authorizer, barrier,
        std::chrono::milliseconds(options.limits.read_your_writes_timeout_ms), &ip_resolver);
    bridge->SetVoiceRoster(&voice_roster);
    bridge->SetReplayWindow(window_per_partition);
    if (bridge_start) bridge->SetStart(std::move(bridge_start));
    if (auto s = bridge->Start(); !s.ok()) return Fail("gateway log reader", s.error());
    stage("gateway log bridge");
    api::AuthService* auth_ptr = auth.get();
    const api::ClientIpResolver* resolver = &*client_ip;
    upgrade = std::make_unique<gateway::GatewayUpgradeHandler>(
        *hub,
        [auth_ptr](const http::HttpRequest& request) {
          return api::AuthenticateUpgrade(*auth_ptr, request);
        },
        [resolver](const http::HttpRequest& request) {
          return api::ClientIpOf(*resolver, request);
        });
  }

  // The search index runs beside the API that queries it (one writer per index directory);
  // mutations then also wait for it, so a message is findable when its POST answers.
  std::unique_ptr<projections::SearchProjection> search;
  std::vector<std::string> awaited_models = read_model_names;
  const std::string search_dir = !options.search_dir.empty() ? options.search_dir
                                 : options.storage.data_dir.empty()
                                     ? std::string()
                                     : options.storage.data_dir + "/search";
  if (roles.api && search_dir.empty()) {
    std::cerr << "filament: no search index (give --search-dir or --data-dir): search routes "
                 "answer 503\n";
  }
  if (roles.api && !search_dir.empty()) {
    projections::SearchProjectionOptions search_options;
    search_options.root_dir = search_dir;
    search_options.batch_size = static_cast<size_t>(options.limits.search_worker_batch_limit);
    search_options.log = [](const std::string& line) { LogMessage("search", line); };
    search = std::make_unique<projections::SearchProjection>(tail, search_options, &applied);
    if (auto s = search->Start(); !s.ok()) return Fail("search index", s.error());
    stage("search index");
    awaited_models.emplace_back(projections::kSearchProjectionName);
    run_projections.emplace_back(projections::kSearchProjectionName);
  }

  std::function<int32_t()> fenced_owned;  // ADR 0091: partitions owned now
  if (roles.api && options.storage.fenced_writers()) {
    fenced_owned = [service = command_service.get()] { return service->OwnedPartitions(); };
  }
  OpsMonitor monitor(log, applied, &bridge_seen, MigrationsCheck(pool),
                     {.role = RoleName(roles),
                      .projections = run_projections,
                      .gateway_bridge = roles.gateway,
                      .owned_partitions = roles.api ? log.Partitions() : 0,
                      .owned_now = fenced_owned,
                      .max_lag_ms = options.limits.ready_max_projection_lag_ms});
  monitor.Start();
  std::unique_ptr<ObservedHandler> observed;
  std::atomic<http::HttpServer*> server_ptr{nullptr};
  auto role_metrics = [&](std::string& out) {
    monitor.AppendPrometheus(out);
    timed_log.AppendPrometheus(out);
    AppendSharedTailPrometheus(out, tail.Stats());
    if (observed) observed->AppendPrometheus(out);
    runner_metrics.AppendPrometheus(out);
    if (hub) AppendHubGauges(*hub, out);
    if (auto* running = server_ptr.load()) AppendServerGauges(*running, out);
    if (roles.api && command_service) AppendWriterCounters(*command_service, out);
  };

  OpsHandler ops_handler(monitor, role_metrics);
  http::HttpHandler* handler = &ops_handler;
  if (roles.api) {
    api_handler = std::make_unique<api::ApiHandler>(api::ApiDeps{
        .commands = *command_service,
        .auth = *auth,
        .users = users,
        .guilds = guilds,
        .messages = messages,
        .friends = friends,
        .applied = &applied,
        .read_models = awaited_models,
        .clock = clock,
        .limits = options.limits,
        .client_ip = *client_ip,
        .search = search.get(),
        .append_metrics = role_metrics,
        .readiness =
            [&monitor] {
              auto answer = monitor.Ready();
              return std::make_pair(answer.status, std::move(answer.body));
            },
        .blobs = &blobs,
        // Upload temp files (unlinked at creation) on the data disk when there is one.
        .spool_directory = options.storage.data_dir.empty() ? "/tmp" : options.storage.data_dir,
        .captcha = captcha.get(),
        .server_owner_user_id = options.server_owner_user_id,
        .audit = &audit,
        .ip_observations = &ip_observations,
        .voice = voice_gate.get(),
    });
    handler = api_handler.get();
  }
  std::unique_ptr<WebFront> web_front;
  if (site) {
    api::ApiHandler* api = api_handler.get();
    web_front = std::make_unique<WebFront>(
        *api, [api](std::string_view path) { return api->HasPattern(path); }, *site);
    handler = web_front.get();
  }
  api::ApiHandler* routes = api_handler.get();
  const bool static_site = site != nullptr;
  observed = std::make_unique<ObservedHandler>(*handler, [routes, static_site](const auto& r) {
    if (routes == nullptr) return OpsHandler::RouteOf(r);
    std::string pattern = routes->RoutePattern(r);
    return !pattern.empty() ? pattern : static_site ? "static" : "unmatched";
  });
  handler = observed.get();

  // REST and the upgrade share the global limiter when both run here.
  std::unique_ptr<api::RateLimitedUpgrade> limited_upgrade;
  http::GatewayUpgrade* upgrade_entry = upgrade.get();
  std::unique_ptr<api::GlobalLimitedUpgrade> gateway_limited_upgrade;
  if (upgrade && api_handler) {
    limited_upgrade = std::make_unique<api::RateLimitedUpgrade>(*api_handler, *upgrade);
    upgrade_entry = limited_upgrade.get();
  } else if (upgrade) {  // `filament gateway`: the same limit on its own (ADR 0089)
    gateway_limited_upgrade = std::make_unique<api::GlobalLimitedUpgrade>(
        clock, options.limits, *client_ip, *auth, *upgrade);
    upgrade_entry = gateway_limited_upgrade.get();
  }

  // Orphan attachment blobs are judged by the command side's ledger (ADR 0042).
  std::unique_ptr<BlobSweeper> sweeper;
  if (roles.api) {
    sweeper = std::make_unique<BlobSweeper>(blobs, command_service->attachment_quota(),
                                            options.limits.blob_sweep_interval_secs,
                                            options.limits.blob_sweep_grace_secs);
    sweeper->Start();
  }

  std::unique_ptr<http::HttpServer> server;
  {  // every role listens: `project` for /health, /ready and /metrics only (--ops-listen)
    http::HttpServerOptions http_options;
    http_options.listen = roles.api || roles.gateway ? options.listen : options.ops_listen;
    http_options.drain_timeout_ms = options.limits.drain_timeout_ms;
    http_options.pool_threads = roles.api || roles.gateway ? options.http_threads : 2;
    http_options.pool_running = options.http_running;
    http_options.max_body_bytes = options.limits.max_body_bytes;
    http_options.request_timeout_ms = options.limits.request_timeout_secs * 1000;
    http_options.max_header_bytes = options.limits.max_header_bytes;
    http_options.header_timeout_ms = options.limits.header_timeout_secs * 1000;
    http_options.keep_alive_timeout_ms = options.limits.keep_alive_timeout_secs * 1000;
    http_options.max_connections = options.limits.max_connections;
    http_options.max_connections_per_ip = options.limits.max_connections_per_ip;
    if (hub) http_options.ws = gateway::MakeWsOptions(GatewayOptionsFrom(options.limits));
    auto started = http::HttpServer::Start(http_options, *handler, upgrade_entry);
    if (!started.ok()) return Fail("listen " + http_options.listen, started.error());
    server = std::move(*started);
    server_ptr = server.get();
    monitor.MarkStarted();
    std::cout << "filament: listening on port " << server->port() << std::endl;
    LogEvent("info", "start",
             {{"role", RoleName(roles)}, {"port", static_cast<int64_t>(server->port())}});
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  // Drain (ADR 0076): not ready, sockets closed with 1001, in-flight requests finish
  // (bounded), projections commit their batch, then exit 0.
  LogEvent("info", "drain", {{"signal", static_cast<int64_t>(signal_number)}});
  monitor.BeginDrain();
  if (hub) CloseGatewayForDrain(*hub, std::chrono::milliseconds(2000));
  if (server) server->Stop();
  if (presence) presence->Stop();  // its users leave the others' presence now, not at the TTL
  if (sweeper) sweeper->Stop();
  if (voice_sweeper) voice_sweeper->Stop();
  if (session_sweeper) session_sweeper->Stop();
  if (snapshots) snapshots->Stop();  // a last snapshot: the next start folds no tail
  if (bridge) bridge->Stop();
  if (hub) hub->Shutdown();
  if (poller) poller->Stop();
  if (search) search->Stop();
  if (runner) runner->Stop();
  monitor.Stop();
  LogEvent("info", "stopped", {{"role", RoleName(roles)}});
  FlushLog();  // also done at exit; a caller that goes on (tests) sees the lines now
  return 0;
}

}  // namespace filament::app
