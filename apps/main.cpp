// `filament`: one binary, one subcommand per role (DESIGN.md §6). Wiring only: flags → options
// → apps/*.cpp. Every flag can also come from a FILAMENT_* environment variable or from the
// file given to --config.
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "apps/commands.hpp"
#include "apps/config_file.hpp"
#include "core/config.hpp"

namespace app = filament::app;
namespace core = filament::core;

namespace {

void AddStorageFlags(CLI::App* cmd, app::StorageOptions& s) {
  cmd->add_option("--data-dir", s.data_dir, "embedded default: private PostgreSQL under DIR")
      ->envname("FILAMENT_DATA_DIR");
  cmd->add_option("--database-url", s.database_url, "external PostgreSQL (libpq URL)")
      ->envname("FILAMENT_DATABASE_URL");
  cmd->add_option("--kafka-brokers", s.kafka_brokers, "put the log on Kafka (bootstrap list)")
      ->envname("FILAMENT_KAFKA_BROKERS");
  cmd->add_option("--kafka-topic", s.kafka_topic, "Kafka topic of the log")
      ->envname("FILAMENT_KAFKA_TOPIC")
      ->capture_default_str();
  cmd->add_option("--partitions", s.partitions, "log partitions (fixed at first start)")
      ->envname("FILAMENT_LOG_PARTITIONS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
}

void AddServeFlags(CLI::App* cmd, app::ServeOptions& o,
                   std::map<std::string, std::string>& limits) {
  AddStorageFlags(cmd, o.storage);
  cmd->add_option("--writer-mode", o.storage.writer_mode,
                  "single: the only command writer of the log; fenced: one of several (ADR 0091)")
      ->envname("FILAMENT_WRITER_MODE")
      ->check(CLI::IsMember({"single", "fenced"}))
      ->capture_default_str();
  cmd->add_option("--listen", o.listen, "HTTP and WebSocket address host:port")
      ->envname("FILAMENT_BIND_ADDR")
      ->capture_default_str();
  cmd->add_option("--http-threads", o.http_threads, "HTTP worker threads")
      ->envname("FILAMENT_HTTP_THREADS")
      ->check(CLI::Range(1, 512))
      ->capture_default_str();
  cmd->add_option("--http-running", o.http_running,
                  "of the HTTP worker threads, how many run at once, those waiting on the "
                  "database or the log not counted (ADR 0113; 0 = twice the CPUs)")
      ->envname("FILAMENT_HTTP_RUNNING")
      ->check(CLI::Range(0, 512))
      ->capture_default_str();
  cmd->add_option("--projection-checkpoint-delay-ms", o.projection_checkpoint_delay_ms,
                  "serve: how long a read model's checkpoint may trail records it ignores "
                  "(ADR 0097; 0 = commit every batch)")
      ->envname("FILAMENT_PROJECTION_CHECKPOINT_DELAY_MS")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  cmd->add_option("--trusted-proxy-cidrs", o.trusted_proxy_cidrs, "peers allowed to set client IP")
      ->envname("FILAMENT_TRUSTED_PROXY_CIDRS");
  cmd->add_option("--server-owner-user-id", o.server_owner_user_id, "global owner (ULID)")
      ->envname("FILAMENT_SERVER_OWNER_USER_ID");
  cmd->add_option("--hcaptcha-site-key", o.hcaptcha_site_key, "hCaptcha site key (with secret)")
      ->envname("FILAMENT_HCAPTCHA_SITE_KEY");
  cmd->add_option("--hcaptcha-secret", o.hcaptcha_secret, "hCaptcha secret (with site key)")
      ->envname("FILAMENT_HCAPTCHA_SECRET");
  cmd->add_option("--hcaptcha-verify-url", o.hcaptcha_verify_url,
                  "hCaptcha siteverify URL (https, or http to localhost)")
      ->envname("FILAMENT_HCAPTCHA_VERIFY_URL");
  cmd->add_option("--livekit-api-key", o.livekit_api_key, "LiveKit API key (with secret)")
      ->envname("FILAMENT_LIVEKIT_API_KEY");
  cmd->add_option("--livekit-api-secret", o.livekit_api_secret, "LiveKit API secret (with key)")
      ->envname("FILAMENT_LIVEKIT_API_SECRET");
  cmd->add_option("--livekit-url", o.livekit_url,
                  "LiveKit URL given to clients (ws:// or wss://; default ws://127.0.0.1:7880)")
      ->envname("FILAMENT_LIVEKIT_URL");
  cmd->add_option("--search-dir", o.search_dir,
                  "search index directory of an api (default: DATA_DIR/search)")
      ->envname("FILAMENT_SEARCH_DIR");
  cmd->add_option("--snapshot-dir", o.snapshot_dir,
                  "command-side snapshots as files in DIR (default: DATA_DIR/snapshots on the "
                  "embedded database, else in PostgreSQL)")
      ->envname("FILAMENT_SNAPSHOT_DIR");
  cmd->add_option("--web-root", o.web_root,
                  "serve the built web client (its dist/ directory) on the same origin")
      ->envname("FILAMENT_WEB_ROOT");
  cmd->add_option("--ops-listen", o.ops_listen,
                  "`project`: address of its /health, /ready and /metrics listener")
      ->envname("FILAMENT_OPS_LISTEN")
      ->capture_default_str();
  cmd->add_option("--log-format", o.log_format, "stderr log lines: json or text")
      ->envname("FILAMENT_LOG_FORMAT")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  // A one-shot repair, given on the command line only: a config file must not keep it.
  cmd->add_option("--skip-position", o.skip_positions,
                  "skip the undecodable record at P:O (needs --only with one projection)")
      ->configurable(false);
  const core::Limits defaults;
  for (const auto& setting : core::LimitSettings()) {
    cmd->add_option("--" + core::FlagNameForEnv(setting.env), limits[setting.env], setting.help)
        ->envname(setting.env)
        ->default_str(std::to_string(defaults.*setting.field));
  }
}

core::Status ApplyLimits(const std::map<std::string, std::string>& values, core::Limits& limits) {
  return core::LoadLimitsFromEnv(
      [&values](const char* name) -> const char* {
        auto it = values.find(name);
        return it == values.end() || it->second.empty() ? nullptr : it->second.c_str();
      },
      limits);
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string piece =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!piece.empty()) out.push_back(piece);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The settings of `cmd` for its config file: every configurable long flag but --help.
std::vector<app::SettingDoc> SettingDocs(const CLI::App& cmd) {
  std::vector<app::SettingDoc> out;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (!opt->get_configurable() || opt->get_lnames().empty()) continue;
    if (opt->get_lnames().front() == "help") continue;
    out.push_back({opt->get_lnames().front(), opt->get_description(), opt->get_envname(),
                   opt->get_default_str()});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Filament: a self-hosted chat server built on an event log"};
  cli.set_config("--config", "", "read options from this TOML/INI file");
  cli.set_version_flag("--version", FILAMENT_VERSION);
  // Subcommands hand flags they do not know to their parent, so `filament serve --config F`
  // works as well as `filament --config F serve` (the packaged unit uses the former).
  cli.fallthrough();
  cli.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt setting is an error
  cli.require_subcommand(1);

  app::ServeOptions serve;
  std::map<std::string, std::string> limit_values;
  std::string only;
  struct Role {
    const char* name;
    const char* help;
    app::Roles roles;
  };
  const Role roles[] = {
      {"serve", "everything in one process: REST, projections, gateway", {true, true, true}},
      {"api", "REST commands and queries (projections run elsewhere)", {true, false, false}},
      {"project", "run projections (--only NAME[,NAME])", {false, true, false}},
      {"gateway", "the WebSocket gateway", {false, false, true}},
  };
  std::map<CLI::App*, app::Roles> role_of;
  CLI::App* serve_cmd = nullptr;
  for (const auto& role : roles) {
    CLI::App* cmd = cli.add_subcommand(role.name, role.help);
    AddServeFlags(cmd, serve, limit_values);
    role_of[cmd] = role.roles;
    if (std::string(role.name) == "serve") serve_cmd = cmd;
    if (std::string(role.name) == "project") {
      cmd->add_option("--only", only, "comma-separated projection names")
          ->envname("FILAMENT_PROJECTIONS");
    }
  }

  app::StorageOptions migrate_storage;
  CLI::App* migrate = cli.add_subcommand("migrate", "apply migrations/ to the database");
  AddStorageFlags(migrate, migrate_storage);

  app::ReplayCommand replay;
  std::string replay_only;
  CLI::App* replay_cmd = cli.add_subcommand("replay", "rebuild read models from the log");
  AddStorageFlags(replay_cmd, replay.storage);
  replay_cmd->add_option("--projection", replay_only, "comma-separated projections (default all)");
  replay_cmd->add_flag("--check", replay.check, "rebuild into scratch space and compare");
  replay_cmd->add_option("--skip-position", replay.skip_positions, "skip the record at P:O");
  replay_cmd->add_option("--skip-reason", replay.skip_reason, "why (recorded with the skip)");

  app::AuditCommand audit;
  CLI::App* audit_cmd = cli.add_subcommand("audit", "list mutations from the log");
  AddStorageFlags(audit_cmd, audit.storage);
  audit_cmd->add_option("--guild", audit.guild_id, "workspace id");
  audit_cmd->add_option("--actor", audit.actor, "actor user id");
  audit_cmd->add_option("--type", audit.types, "event type (repeatable)");
  audit_cmd->add_option("--since", audit.since, "RFC 3339 or unix seconds (inclusive)");
  audit_cmd->add_option("--until", audit.until, "RFC 3339 or unix seconds (exclusive)");
  audit_cmd->add_flag("--json", audit.json, "JSON lines instead of a table");

  app::LogTailCommand tail;
  CLI::App* log_cmd = cli.add_subcommand("log", "inspect, export and import the log");
  log_cmd->require_subcommand(1);
  CLI::App* tail_cmd = log_cmd->add_subcommand("tail", "follow the log");
  AddStorageFlags(tail_cmd, tail.storage);
  tail_cmd->add_flag("--from-beginning", tail.from_beginning, "start at offset 0");
  tail_cmd->add_flag("--json", tail.json, "JSON lines");
  app::LogExportCommand log_export;
  std::string up_to;
  CLI::App* export_cmd = log_cmd->add_subcommand("export", "write the log to an archive file");
  AddStorageFlags(export_cmd, log_export.storage);
  export_cmd->add_option("--to", log_export.to, "archive file, or - for stdout")->required();
  export_cmd->add_option("--up-to", up_to, "P:O,... end offsets (default: the ends at start)");
  app::LogImportCommand log_import;
  CLI::App* import_cmd = log_cmd->add_subcommand("import", "load an archive into an empty log");
  AddStorageFlags(import_cmd, log_import.storage);
  import_cmd->add_option("--from", log_import.from, "archive file")->required();

  app::BackupCommand backup;
  CLI::App* backup_cmd =
      cli.add_subcommand("backup", "write the log and the side stores to a backup file (secret!)");
  AddStorageFlags(backup_cmd, backup.storage);
  backup_cmd->add_option("--to", backup.to, "backup file (mode 0600)")->required();
  app::RestoreCommand restore;
  CLI::App* restore_cmd = cli.add_subcommand(
      "restore", "restore a backup onto a new data dir, then rebuild read models");
  AddStorageFlags(restore_cmd, restore.storage);
  restore_cmd->add_option("--from", restore.from, "backup file")->required();

  CLI::App* admin_cmd = cli.add_subcommand("admin", "operator commands (recorded on the log)");
  admin_cmd->require_subcommand(1);
  app::AdminMakeOwnerCommand make_owner;
  CLI::App* make_owner_cmd =
      admin_cmd->add_subcommand("make-owner", "make a user the server owner (by username)");
  AddStorageFlags(make_owner_cmd, make_owner.storage);
  make_owner_cmd->add_option("--username", make_owner.username, "the user")->required();
  app::AdminLockCommand lock;
  CLI::App* lock_cmd = admin_cmd->add_subcommand(
      "lock", "lock an account: no login, refresh or access token until unlocked");
  AddStorageFlags(lock_cmd, lock.storage);
  lock_cmd->add_option("--username", lock.username, "the user")->required();
  lock_cmd->add_option_function<std::string>(
      "--reason", [&lock](const std::string& reason) { lock.reason = reason; },
      "a note recorded with the lock (1-512 bytes)");
  app::AdminLockCommand unlock;
  unlock.unlock = true;
  CLI::App* unlock_cmd = admin_cmd->add_subcommand("unlock", "lift a lock (sessions stay revoked)");
  AddStorageFlags(unlock_cmd, unlock.storage);
  unlock_cmd->add_option("--username", unlock.username, "the user")->required();
  app::AdminResetPasswordCommand reset;
  CLI::App* reset_cmd = admin_cmd->add_subcommand(
      "reset-password", "set a new password, read from stdin (never from the command line)");
  AddStorageFlags(reset_cmd, reset.storage);
  reset_cmd->add_option("--username", reset.username, "the user")->required();
  reset_cmd->add_flag("--generate", reset.generate,
                      "generate one and print it once (also when stdin is a terminal)");
  app::AdminListUsersCommand list_users;
  CLI::App* list_users_cmd = admin_cmd->add_subcommand("list-users", "list users by name");
  AddStorageFlags(list_users_cmd, list_users.storage);
  list_users_cmd->add_option("--after", list_users.after, "start after this username (paging)");
  list_users_cmd->add_option("--limit", list_users.limit, "page size")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  list_users_cmd->add_flag("--json", list_users.json, "JSON lines");

  int mock_brokers = 3;
  int32_t mock_partitions = 4;
  std::string mock_topic = "filament.events";
  CLI::App* mock = cli.add_subcommand("kafka-mock", "dev/test: a Kafka mock cluster on loopback");
  mock->add_option("--brokers", mock_brokers, "brokers")->check(CLI::Range(1, 9));
  mock->add_option("--topic", mock_topic, "topic to create");
  mock->add_option("--partitions", mock_partitions, "partitions")->check(CLI::Range(1, 256));

  CLI::App* routes = cli.add_subcommand("routes", "print every REST route (METHOD /pattern)");

  std::vector<std::string> config_set;
  CLI::App* config_cmd = cli.add_subcommand("config", "the config file (ADR 0063)");
  config_cmd->require_subcommand(1);
  CLI::App* print_default = config_cmd->add_subcommand(
      "print-default", "print a config file listing every `serve` setting, commented out");
  print_default->add_option("--set", config_set, "NAME=VALUE: write this setting active");

  CLI11_PARSE(cli, argc, argv);

  for (auto& [cmd, role] : role_of) {
    if (!cmd->parsed()) continue;
    serve.roles = role;
    serve.only_projections = SplitCommas(only);
    if (auto status = ApplyLimits(limit_values, serve.limits); !status.ok()) {
      std::cerr << "filament: " << status.error().message << "\n";
      return 2;
    }
    return app::RunServer(serve);
  }
  if (migrate->parsed()) return app::RunMigrate(migrate_storage);
  if (replay_cmd->parsed()) {
    replay.projections = SplitCommas(replay_only);
    return app::RunReplay(replay);
  }
  if (audit_cmd->parsed()) return app::RunAudit(audit);
  if (tail_cmd->parsed()) return app::RunLogTail(tail);
  if (export_cmd->parsed()) {
    log_export.up_to = SplitCommas(up_to);
    return app::RunLogExport(log_export);
  }
  if (import_cmd->parsed()) return app::RunLogImport(log_import);
  if (make_owner_cmd->parsed()) return app::RunAdminMakeOwner(make_owner);
  if (list_users_cmd->parsed()) return app::RunAdminListUsers(list_users);
  if (lock_cmd->parsed()) return app::RunAdminLock(lock);
  if (unlock_cmd->parsed()) return app::RunAdminLock(unlock);
  if (reset_cmd->parsed()) return app::RunAdminResetPassword(reset);
  if (backup_cmd->parsed()) return app::RunBackup(backup);
  if (restore_cmd->parsed()) return app::RunRestore(restore);
  if (mock->parsed()) return app::RunKafkaMockCommand(mock_brokers, mock_topic, mock_partitions);
  if (routes->parsed()) return app::RunRoutes();
  if (print_default->parsed()) {
    return app::RunPrintDefaultConfig("serve", SettingDocs(*serve_cmd), config_set);
  }
  return 2;
}
