#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apps/app_options.hpp"

// The bodies of `filament` subcommands. Each returns the process exit code and prints errors
// to stderr as one line naming what failed. main.cpp only parses flags and calls these.
namespace filament::app {

int RunServer(const ServeOptions& options);  // serve, api, project, gateway
int RunMigrate(const StorageOptions& storage);

struct ReplayCommand {
  StorageOptions storage;
  std::vector<std::string> projections;  // empty = all
  bool check = false;
  std::vector<std::string> skip_positions;
  std::string skip_reason;
};
int RunReplay(const ReplayCommand& command);

struct AuditCommand {
  StorageOptions storage;
  std::string guild_id;
  std::string actor;
  std::vector<std::string> types;
  std::string since;
  std::string until;
  bool json = false;
};
int RunAudit(const AuditCommand& command);

struct LogTailCommand {
  StorageOptions storage;
  bool from_beginning = false;
  bool json = false;
};
int RunLogTail(const LogTailCommand& command);

// `log export` / `log import` (ADR 0053, apps/log_archive_commands.cpp).
struct LogExportCommand {
  StorageOptions storage;
  std::string to;                  // a file, or "-" for stdout
  std::vector<std::string> up_to;  // "P:O" ends per partition; default: the ends at start
};
int RunLogExport(const LogExportCommand& command);

struct LogImportCommand {
  StorageOptions storage;  // `partitions` is ignored: the archive's count is used
  std::string from;        // a regular file (read twice: verified, then imported)
};
int RunLogImport(const LogImportCommand& command);

// `backup` / `restore` (ADR 0065, apps/backup_commands.cpp).
struct BackupCommand {
  StorageOptions storage;  // the running deployment's storage
  std::string to;          // the backup file (written as TO.partial, renamed when complete)
};
int RunBackup(const BackupCommand& command);

struct RestoreCommand {
  StorageOptions storage;  // a new data dir (or an empty database / topic)
  std::string from;        // a backup file (read twice: verified, then restored)
};
int RunRestore(const RestoreCommand& command);

// `admin …` (ADR 0066, apps/admin_commands.cpp).
struct AdminMakeOwnerCommand {
  StorageOptions storage;
  std::string username;
};
int RunAdminMakeOwner(const AdminMakeOwnerCommand& command);

// `admin lock` / `admin unlock` (apps/admin_lock_commands.cpp).
struct AdminLockCommand {
  StorageOptions storage;
  std::string username;
  std::optional<std::string> reason;  // lock only
  bool unlock = false;
};
int RunAdminLock(const AdminLockCommand& command);

// `admin reset-password` (apps/admin_password_commands.cpp): the new password from stdin, or
// generated and printed once (--generate, or stdin is a terminal).
struct AdminResetPasswordCommand {
  StorageOptions storage;
  std::string username;
  bool generate = false;
};
int RunAdminResetPassword(const AdminResetPasswordCommand& command);

struct AdminListUsersCommand {
  StorageOptions storage;
  std::string after;    // usernames after this one (paging)
  int64_t limit = 100;  // 1..1000
  bool json = false;
};
int RunAdminListUsers(const AdminListUsersCommand& command);

int RunKafkaMockCommand(int brokers, const std::string& topic, int32_t partitions);

// Prints every REST route as `METHOD /pattern`, one a line, in registration order (the
// router's table; docs/openapi.yaml must list the same set). Needs no storage.
int RunRoutes();

// Names of every projection, for --help and validation.
std::vector<std::string> ProjectionNames();

}  // namespace filament::app
