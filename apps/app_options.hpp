#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace filament::app {

// Where state lives: the embedded default (a private PostgreSQL under data_dir, log in it),
// or external services (--database-url, --kafka-brokers).
struct StorageOptions {
  std::string data_dir;       // embedded PostgreSQL lives in data_dir/postgres
  std::string database_url;   // external PostgreSQL; overrides the embedded cluster
  std::string kafka_brokers;  // put the log on Kafka instead of PostgreSQL
  std::string kafka_topic = "filament.events";
  int32_t partitions = 4;
  // Several command writers share the log (FILAMENT_WRITER_MODE=fenced, ADR 0091): the log is
  // opened in WriterMode::kFenced and the command side takes partitions on demand.
  std::string writer_mode = "single";  // or "fenced"
  bool fenced_writers() const { return writer_mode == "fenced"; }
};

// Which parts of the server a process runs. `serve` runs all of them.
struct Roles {
  bool api = false;
  bool projections = false;
  bool gateway = false;
};

struct ServeOptions {
  StorageOptions storage;
  Roles roles;
  std::string listen = "0.0.0.0:3000";
  std::vector<std::string> only_projections;  // `project --only`
  std::vector<std::string> skip_positions;    // "P:O", recorded before start
  std::string trusted_proxy_cidrs;
  std::string server_owner_user_id;
  // hCaptcha on register: both or neither (validated at start-up, api::MakeCaptchaConfig).
  std::string hcaptcha_site_key;
  std::string hcaptcha_secret;
  std::string hcaptcha_verify_url;
  // LiveKit (voice tokens): key and secret both or neither; URL ws:// or wss:// (ADR 0054).
  std::string livekit_api_key;
  std::string livekit_api_secret;
  std::string livekit_url;
  int http_threads = 64;
  int http_running = 0;  // 0: twice the CPUs (ADR 0113)
  // ADR 0097; used only when one process runs the projections, the api and the gateway.
  int projection_checkpoint_delay_ms = 1000;
  // Where an api process keeps its search index (one writer per directory). Default:
  // <data-dir>/search; an api on an external database needs it to serve search.
  std::string search_dir;
  // Command-side snapshots as files here (ADR 0092). Default: <data-dir>/snapshots on the
  // embedded database; with --database-url, in PostgreSQL (shared by every api process).
  std::string snapshot_dir;
  // A built web client served on the API's origin (ADR 0052); empty: none.
  std::string web_root;
  // Operability (ADR 0076): where a `project` process answers /health, /ready and /metrics
  // (the other roles answer them on --listen), and the stderr log format (json or text).
  std::string ops_listen = "127.0.0.1:0";
  std::string log_format = "json";
  core::Limits limits;
};

}  // namespace filament::app
