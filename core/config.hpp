#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace filament::core {

// Every limit, cap, quota, timeout and rate of shared/contract/LIMITS.md, each settable by its
// FILAMENT_* environment variable (and the matching `--kebab-case` flag, wired in apps/).
// Names keep the original's variables where it has one; otherwise FILAMENT_ + the setting's
// name in upper case.
struct Limits {
  // HTTP surface
  int64_t max_body_bytes = 1'048'576;
  int64_t request_timeout_secs = 10;
  // HTTP front end (adapters/http): header block cap, its deadline, keep-alive idle time and the
  // open-connection caps (per client IP: 0 = none).
  int64_t max_header_bytes = 16'384;
  int64_t header_timeout_secs = 5;
  int64_t keep_alive_timeout_secs = 10;
  int64_t max_connections = 10'000;
  int64_t max_connections_per_ip = 256;
  int64_t rate_limit_requests_per_minute = 600;
  int64_t auth_route_requests_per_minute = 60;
  // Gateway
  int64_t max_gateway_event_bytes = 65'536;
  int64_t gateway_ingress_events_per_window = 60;
  int64_t gateway_ingress_window_secs = 10;
  int64_t gateway_outbound_queue = 256;
  int64_t gateway_ping_interval_secs = 30;
  // Presence across gateway processes (ADR 0057): a process renews its presence every
  // heartbeat; one that stops renewing (killed) is offline for the others after the TTL, so
  // within TTL + heartbeat. The heartbeat must be below the TTL.
  int64_t gateway_presence_ttl_ms = 15'000;
  int64_t gateway_presence_heartbeat_ms = 5'000;
  // Gateway v2 replay window (ADR 0060): event-producing records kept, their maximum age.
  int64_t gateway_resume_max_events = 20'000;
  int64_t gateway_resume_max_age_secs = 3'600;
  // Catch-up pacing (ADR 0069): the replay pump's CPU, % of one core, so a reconnect storm
  // leaves the live fan-out its CPU.
  int64_t gateway_resume_pump_percent = 50;
  // Auth
  int64_t access_token_ttl_secs = 900;
  int64_t login_lock_threshold = 5;
  int64_t login_lock_secs = 30;
  int64_t refresh_token_ttl_secs = 2'592'000;     // sliding; used tokens are kept TTL + 1 h
  int64_t auth_session_sweep_interval_secs = 60;  // expired sessions leave the auth store
  // Guilds, directory
  int64_t max_created_guilds_per_user = 5;
  int64_t directory_join_requests_per_minute_per_ip = 60;
  int64_t directory_join_requests_per_minute_per_user = 30;
  int64_t audit_list_limit_max = 100;
  int64_t guild_ip_ban_max_entries = 4096;
  // Messages / uploads / media
  int64_t max_attachment_bytes = 26'214'400;
  int64_t user_attachment_quota_bytes = 262'144'000;
  int64_t max_profile_avatar_bytes = 2'097'152;
  int64_t max_profile_banner_bytes = 6'291'456;
  int64_t media_token_requests_per_minute = 60;
  int64_t media_publish_requests_per_minute = 60;
  int64_t livekit_token_ttl_secs = 300;  // also the voice participant expiry
  // Voice (ADR 0054): server-wide caps, the subscribe-lease cap (never reached: one refreshed
  // lease per user+channel, REST_API.md §9) and how often expired participants are swept.
  int64_t max_tracked_voice_channels = 1024;
  int64_t max_tracked_voice_participants_per_channel = 512;
  int64_t media_subscribe_token_cap_per_channel = 6;
  int64_t voice_sweep_interval_secs = 5;
  // How long a user's voice participations outlive their last gateway connection (ADR 0081):
  // a client that reconnects within it (the web client does on every channel switch) stays.
  int64_t voice_disconnect_grace_ms = 10'000;
  // Command-side snapshots (ADR 0078): one after this many new events or this many seconds
  // with new events, whichever comes first (0 turns that trigger off; both 0: no snapshots).
  int64_t snapshot_every_events = 1'000'000;
  int64_t snapshot_interval_secs = 3600;
  // Read-your-writes: how long a mutation waits for the read models before answering.
  int64_t read_your_writes_timeout_ms = 5000;
  // Search (LIMITS.md 1.5)
  int64_t search_query_max_chars = 256;  // bytes of the trimmed query
  int64_t search_result_limit_max = 50;
  int64_t max_search_terms = 20;
  int64_t max_search_wildcards = 4;  // `*` plus `?`
  int64_t max_search_fuzzy = 2;      // `~`
  int64_t search_query_timeout_ms = 200;
  int64_t search_worker_batch_limit = 128;  // log records per index commit
  int64_t max_search_reconcile_docs = 10'000;
  // Orphan attachment blobs (ADR 0042): sweep every interval (0 = never) the blobs stored at
  // least grace seconds ago that no live attachment names.
  int64_t blob_sweep_interval_secs = 3'600;
  int64_t blob_sweep_grace_secs = 3'600;
  // Group commit on the command side (ADR 0070): commands one stream decides and appends
  // together at most.
  int64_t command_batch_max = 128;
  // Operability (ADR 0076): /ready fails while a projection this process runs (or the gateway
  // bridge) is further behind the log than this; SIGTERM lets in-flight requests finish for
  // at most drain_timeout_ms.
  int64_t ready_max_projection_lag_ms = 5'000;
  int64_t drain_timeout_ms = 10'000;
};

// One settable limit: its env name, its field, and the inclusive range it must lie in.
struct LimitSetting {
  const char* env;
  const char* help;
  int64_t Limits::*field;
  int64_t min;
  int64_t max;
};

const std::vector<LimitSetting>& LimitSettings();

// Fills `limits` from the environment. A value that is not a plain decimal integer inside the
// setting's range is an error naming the variable (start-up must then fail).
using EnvLookup = std::function<const char*(const char*)>;
Status LoadLimitsFromEnv(const EnvLookup& lookup, Limits& limits);

// Parses a whole decimal int64 (no sign for values that must be >= 0, no spaces, no suffix).
bool ParseInt64Strict(std::string_view text, int64_t& out);

// "FILAMENT_MAX_BODY_BYTES" -> "max-body-bytes" (the CLI flag name without dashes prefix).
std::string FlagNameForEnv(std::string_view env);

}  // namespace filament::core
