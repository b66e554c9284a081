#include "core/config.hpp"

#include <cctype>
#include <charconv>

namespace filament::core {

const std::vector<LimitSetting>& LimitSettings() {
  static const std::vector<LimitSetting> kSettings = {
      {"FILAMENT_MAX_BODY_BYTES", "largest non-upload request body", &Limits::max_body_bytes, 1,
       1LL << 30},
      {"FILAMENT_REQUEST_TIMEOUT_SECS", "whole-request timeout (408)",
       &Limits::request_timeout_secs, 1, 3600},
      {"FILAMENT_MAX_HEADER_BYTES", "largest request line + header block (431)",
       &Limits::max_header_bytes, 1024, 1 << 20},
      {"FILAMENT_HEADER_TIMEOUT_SECS", "deadline for a request's header block (408)",
       &Limits::header_timeout_secs, 1, 3600},
      {"FILAMENT_KEEP_ALIVE_TIMEOUT_SECS", "idle time allowed between requests on a connection",
       &Limits::keep_alive_timeout_secs, 1, 3600},
      {"FILAMENT_MAX_CONNECTIONS", "open HTTP connections (more are refused)",
       &Limits::max_connections, 1, 1'000'000},
      {"FILAMENT_MAX_CONNECTIONS_PER_IP", "open HTTP connections per client IP (0 = no cap)",
       &Limits::max_connections_per_ip, 0, 1'000'000},
      {"FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE", "global limiter per user/IP",
       &Limits::rate_limit_requests_per_minute, 1, 100'000'000},
      {"FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE", "auth-route limiter per route+IP",
       &Limits::auth_route_requests_per_minute, 1, 100'000'000},
      {"FILAMENT_MAX_GATEWAY_EVENT_BYTES", "largest gateway event, both directions",
       &Limits::max_gateway_event_bytes, 1, 65'536},
      {"FILAMENT_GATEWAY_INGRESS_EVENTS_PER_WINDOW", "client frames per ingress window",
       &Limits::gateway_ingress_events_per_window, 1, 1'000'000},
      {"FILAMENT_GATEWAY_INGRESS_WINDOW_SECS", "ingress window length",
       &Limits::gateway_ingress_window_secs, 1, 3600},
      {"FILAMENT_GATEWAY_OUTBOUND_QUEUE", "outbound queue per gateway connection",
       &Limits::gateway_outbound_queue, 1, 1'000'000},
      {"FILAMENT_GATEWAY_PING_INTERVAL_SECS", "server WebSocket ping interval",
       &Limits::gateway_ping_interval_secs, 1, 3600},
      {"FILAMENT_GATEWAY_PRESENCE_TTL_MS",
       "a dead gateway process's users go offline after this (+ the heartbeat)",
       &Limits::gateway_presence_ttl_ms, 200, 3'600'000},
      {"FILAMENT_GATEWAY_PRESENCE_HEARTBEAT_MS",
       "how often a gateway process renews and re-reads presence (< the TTL)",
       &Limits::gateway_presence_heartbeat_ms, 50, 600'000},
      {"FILAMENT_GATEWAY_RESUME_MAX_EVENTS", "v2 replay window: records kept for resume",
       &Limits::gateway_resume_max_events, 0, 10'000'000},
      {"FILAMENT_GATEWAY_RESUME_MAX_AGE_SECS", "v2 replay window: oldest record kept",
       &Limits::gateway_resume_max_age_secs, 1, 604'800},
      {"FILAMENT_GATEWAY_RESUME_PUMP_PERCENT",
       "v2 catch-up: share of one core (%) the replay pump may use",
       &Limits::gateway_resume_pump_percent, 1, 100},
      {"FILAMENT_ACCESS_TOKEN_TTL_SECS", "access token lifetime", &Limits::access_token_ttl_secs, 1,
       86'400},
      {"FILAMENT_LOGIN_LOCK_THRESHOLD", "wrong passwords before the account locks",
       &Limits::login_lock_threshold, 1, 1000},
      {"FILAMENT_LOGIN_LOCK_SECS", "login lock duration", &Limits::login_lock_secs, 1, 86'400},
      {"FILAMENT_REFRESH_TOKEN_TTL_SECS", "refresh session lifetime (sliding)",
       &Limits::refresh_token_ttl_secs, 60, 31'536'000},
      {"FILAMENT_AUTH_SESSION_SWEEP_INTERVAL_SECS", "how often expired sessions are deleted",
       &Limits::auth_session_sweep_interval_secs, 1, 86'400},
      {"FILAMENT_MAX_CREATED_GUILDS_PER_USER", "guilds one user may create",
       &Limits::max_created_guilds_per_user, 1, 1'000'000},
      {"FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP", "directory joins per IP",
       &Limits::directory_join_requests_per_minute_per_ip, 1, 100'000'000},
      {"FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_USER", "directory joins per user",
       &Limits::directory_join_requests_per_minute_per_user, 1, 100'000'000},
      {"FILAMENT_AUDIT_LIST_LIMIT_MAX", "largest audit page", &Limits::audit_list_limit_max, 1,
       100'000},
      {"FILAMENT_GUILD_IP_BAN_MAX_ENTRIES", "IP bans per guild", &Limits::guild_ip_ban_max_entries,
       1, 10'000'000},
      {"FILAMENT_MAX_ATTACHMENT_BYTES", "largest attachment upload", &Limits::max_attachment_bytes,
       1, 1LL << 40},
      {"FILAMENT_USER_ATTACHMENT_QUOTA_BYTES", "attachment quota per user",
       &Limits::user_attachment_quota_bytes, 1, 1LL << 50},
      {"FILAMENT_MAX_PROFILE_AVATAR_BYTES", "largest avatar upload",
       &Limits::max_profile_avatar_bytes, 1, 1LL << 32},
      {"FILAMENT_MAX_PROFILE_BANNER_BYTES", "largest banner upload",
       &Limits::max_profile_banner_bytes, 1, 1LL << 32},
      {"FILAMENT_MEDIA_TOKEN_REQUESTS_PER_MINUTE", "voice tokens per ip+user+channel",
       &Limits::media_token_requests_per_minute, 1, 100'000'000},
      {"FILAMENT_MEDIA_PUBLISH_REQUESTS_PER_MINUTE", "camera/screen grants per minute",
       &Limits::media_publish_requests_per_minute, 1, 100'000'000},
      {"FILAMENT_LIVEKIT_TOKEN_TTL_SECS", "LiveKit token lifetime", &Limits::livekit_token_ttl_secs,
       1, 300},
      {"FILAMENT_MAX_TRACKED_VOICE_CHANNELS", "voice channels with participants, server-wide",
       &Limits::max_tracked_voice_channels, 1, 1'000'000},
      {"FILAMENT_MAX_TRACKED_VOICE_PARTICIPANTS_PER_CHANNEL", "participants per voice channel",
       &Limits::max_tracked_voice_participants_per_channel, 1, 1'000'000},
      {"FILAMENT_MEDIA_SUBSCRIBE_TOKEN_CAP_PER_CHANNEL", "subscribe leases per user+channel",
       &Limits::media_subscribe_token_cap_per_channel, 1, 1'000},
      {"FILAMENT_VOICE_SWEEP_INTERVAL_SECS", "seconds between sweeps of expired voice participants",
       &Limits::voice_sweep_interval_secs, 1, 3600},
      {"FILAMENT_VOICE_DISCONNECT_GRACE_MS",
       "voice participations outlive the user's last gateway connection this long (0: none)",
       &Limits::voice_disconnect_grace_ms, 0, 600'000},
      {"FILAMENT_SNAPSHOT_EVERY_EVENTS", "new events between command-side snapshots (0: off)",
       &Limits::snapshot_every_events, 0, 1'000'000'000},
      {"FILAMENT_SNAPSHOT_INTERVAL_SECS", "seconds between command-side snapshots (0: off)",
       &Limits::snapshot_interval_secs, 0, 604'800},
      {"FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS", "how long a mutation waits for read models",
       &Limits::read_your_writes_timeout_ms, 0, 600'000},
      {"FILAMENT_SEARCH_QUERY_MAX_CHARS", "longest search query (bytes, trimmed)",
       &Limits::search_query_max_chars, 1, 4096},
      {"FILAMENT_SEARCH_RESULT_LIMIT_MAX", "largest search `limit`",
       &Limits::search_result_limit_max, 1, 1000},
      {"FILAMENT_MAX_SEARCH_TERMS", "whitespace-separated terms per search query",
       &Limits::max_search_terms, 1, 256},
      {"FILAMENT_MAX_SEARCH_WILDCARDS", "`*` plus `?` per search query",
       &Limits::max_search_wildcards, 1, 64},
      {"FILAMENT_MAX_SEARCH_FUZZY", "`~` per search query", &Limits::max_search_fuzzy, 1, 64},
      {"FILAMENT_SEARCH_QUERY_TIMEOUT_MS", "time budget of one search query (then 400)",
       &Limits::search_query_timeout_ms, 1, 60'000},
      {"FILAMENT_SEARCH_WORKER_BATCH_LIMIT", "log records per search index commit",
       &Limits::search_worker_batch_limit, 1, 100'000},
      {"FILAMENT_MAX_SEARCH_RECONCILE_DOCS", "messages a guild may have for search reconcile",
       &Limits::max_search_reconcile_docs, 1, 10'000'000},
      {"FILAMENT_BLOB_SWEEP_INTERVAL_SECS", "seconds between orphan-blob sweeps (0 = never)",
       &Limits::blob_sweep_interval_secs, 0, 604'800},
      {"FILAMENT_BLOB_SWEEP_GRACE_SECS", "age before an unreferenced attachment blob is swept",
       &Limits::blob_sweep_grace_secs, 60, 2'592'000},
      {"FILAMENT_COMMAND_BATCH_MAX", "commands one stream decides and appends as one batch",
       &Limits::command_batch_max, 1, 4'096},
      {"FILAMENT_READY_MAX_PROJECTION_LAG_MS",
       "/ready fails while a projection or the gateway bridge lags the log by more",
       &Limits::ready_max_projection_lag_ms, 100, 86'400'000},
      {"FILAMENT_DRAIN_TIMEOUT_MS", "on SIGTERM, how long in-flight requests may still run",
       &Limits::drain_timeout_ms, 0, 600'000},
  };
  return kSettings;
}

bool ParseInt64Strict(std::string_view text, int64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

Status LoadLimitsFromEnv(const EnvLookup& lookup, Limits& limits) {
  for (const LimitSetting& setting : LimitSettings()) {
    const char* raw = lookup(setting.env);
    if (raw == nullptr) continue;
    int64_t value = 0;
    if (!ParseInt64Strict(raw, value) || value < setting.min || value > setting.max) {
      return InvalidArgument(std::string(setting.env) + " must be a whole number in [" +
                             std::to_string(setting.min) + ", " + std::to_string(setting.max) +
                             "], got '" + raw + "'");
    }
    limits.*setting.field = value;
  }
  return OkStatus();
}

std::string FlagNameForEnv(std::string_view env) {
  constexpr std::string_view kPrefix = "FILAMENT_";
  if (env.substr(0, kPrefix.size()) == kPrefix) env.remove_prefix(kPrefix.size());
  std::string flag;
  for (char c : env) {
    flag += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return flag;
}

}  // namespace filament::core
