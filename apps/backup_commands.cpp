// `filament backup` / `filament restore` (ADR 0065): the log archive plus the side stores.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <sys/stat.h>

#include "adapters/pgstore/side_store_copy.hpp"
#include "apps/commands.hpp"
#include "apps/read_models.hpp"
#include "apps/storage.hpp"
#include "events/backup_file.hpp"
#include "events/log_transfer.hpp"
#include "projections/runner/replay.hpp"

namespace filament::app {
namespace {

namespace fs = std::filesystem;
constexpr char kLogSection[] = "log";

int Fail(const core::Error& error) {
  std::cerr << "filament: " << error.message << "\n";
  return 1;
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> SectionNames() {
  std::vector<std::string> names{kLogSection};
  for (const auto& table : pgstore::SideStoreTables()) names.push_back(table.name);
  return names;
}

// The log below `ends`, then every side store as of `snapshot`, into `out`.
core::Result<events::ArchiveCounts> WriteBackup(Storage& storage, const StorageOptions& options,
                                                const std::vector<int64_t>& ends,
                                                pgstore::SideStoreSnapshot& snapshot,
                                                std::ostream& out) {
  events::BackupWriter writer(out);
  int64_t now = NowUnixMs();
  FILAMENT_RETURN_IF_ERROR(writer.Begin({.created_unix_ms = now, .sections = SectionNames()}));
  auto log_out = writer.BeginSection(kLogSection);
  if (!log_out.ok()) return log_out.error();
  bool kafka = !options.kafka_brokers.empty();
  events::ExportOptions export_options{.source_kind = kafka ? "kafka" : "postgres",
                                       .source_name = kafka ? options.kafka_topic : "event_log",
                                       .up_to = ends,
                                       .now_unix_ms = now};
  auto counts = events::ExportLog(*storage.log, export_options, **log_out);
  if (!counts.ok()) return counts.error();
  FILAMENT_RETURN_IF_ERROR(writer.EndSection());
  for (const auto& table : pgstore::SideStoreTables()) {
    auto table_out = writer.BeginSection(table.name);
    if (!table_out.ok()) return table_out.error();
    FILAMENT_RETURN_IF_ERROR(snapshot.CopyOut(table, **table_out));
    FILAMENT_RETURN_IF_ERROR(writer.EndSection());
  }
  auto sections = writer.Finish();
  if (!sections.ok()) return sections.error();
  return counts;
}

core::Result<events::ArchiveCounts> BackupToFile(const BackupCommand& command) {
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return storage.error();
  // Consistency (ADR 0065): the log's ends are fixed first, then the side stores' snapshot is
  // taken, so whatever a logged event refers to (a claim, a blob) was written before it.
  auto ends = (*storage)->log->EndOffsets();
  if (!ends.ok()) return ends.error();
  auto snapshot = pgstore::SideStoreSnapshot::Begin((*storage)->conninfo);
  if (!snapshot.ok()) return snapshot.error();
  ::umask(077);  // the file holds password hashes and token keys: owner only
  std::string partial = command.to + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) return core::InvalidArgument("cannot create " + partial);
  auto counts = WriteBackup(**storage, command.storage, *ends, **snapshot, out);
  out.close();
  std::error_code ec;
  if (counts.ok() && !out) counts = core::Unavailable("writing " + partial + " failed");
  if (counts.ok()) fs::rename(partial, command.to, ec);
  if (counts.ok() && ec)
    counts = core::Unavailable("renaming to " + command.to + ": " + ec.message());
  if (!counts.ok()) fs::remove(partial, ec);
  return counts;
}

// Pass 1: the whole file is read and checked; nothing is written. Returns the log's header.
core::Result<events::ArchiveHeader> VerifyBackup(std::istream& in, events::ArchiveCounts& counts) {
  events::BackupReader reader(in);
  auto header = reader.ReadHeader();
  if (!header.ok()) return header.error();
  if (header->sections != SectionNames()) {
    return core::InvalidArgument("the backup's sections are not the ones this build restores");
  }
  std::optional<events::ArchiveHeader> log_header;
  for (;;) {
    auto name = reader.NextSection();
    if (!name.ok()) return name.error();
    if (!*name) break;
    if (**name != kLogSection) continue;  // NextSection checks the bytes it skips
    auto archive = events::VerifyArchive(reader.section(), counts);
    FILAMENT_RETURN_IF_ERROR(reader.error());
    if (!archive.ok()) return archive.error();
    log_header = *archive;
  }
  return *log_header;
}

// Pass 2: the log is imported and the side stores loaded in one transaction, committed last.
core::Status LoadBackup(Storage& storage, std::istream& in) {
  auto load = pgstore::SideStoreLoad::Begin(storage.conninfo);
  if (!load.ok()) return load.error();
  events::BackupReader reader(in);
  if (auto header = reader.ReadHeader(); !header.ok()) return header.error();
  for (;;) {
    auto name = reader.NextSection();
    if (!name.ok()) return name.error();
    if (!*name) break;
    if (**name == kLogSection) {
      events::ImportProgress progress;
      auto imported = events::ImportLog(*storage.log, reader.section(), progress);
      FILAMENT_RETURN_IF_ERROR(reader.error());
      if (!imported.ok()) return imported.error();
      std::cout << "log: imported " << imported->records << " records\n";
      continue;
    }
    for (const auto& table : pgstore::SideStoreTables()) {
      if (table.name == **name) FILAMENT_RETURN_IF_ERROR((*load)->CopyIn(table, reader.section()));
    }
    FILAMENT_RETURN_IF_ERROR(reader.error());
  }
  return (*load)->Commit();
}

// A new data dir: absent (created here) or empty. Errors: kFailedPrecondition.
core::Status CheckNewDataDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return core::OkStatus();
  if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "restore needs a new data dir; " + dir + " is not empty");
  }
  return core::OkStatus();
}

core::Status Rebuild(Storage& storage) {
  ReadModels models;
  projections::ReplayOptions options;
  options.conninfo = storage.conninfo;
  FILAMENT_RETURN_IF_ERROR(projections::Replay(*storage.log, models.All(), options, std::cout));
  auto dropped = pgstore::DropClaimsWithoutAccount(storage.conninfo);
  if (!dropped.ok()) return dropped.error();
  if (*dropped > 0) {
    std::cout << "dropped " << *dropped << " credentials of registrations after the log's end\n";
  }
  return core::OkStatus();
}

core::Status Restore(const RestoreCommand& command, std::istream& in, bool& wrote) {
  events::ArchiveCounts counts;
  auto log_header = VerifyBackup(in, counts);
  if (!log_header.ok()) return log_header.error();
  std::cout << "backup verified: " << counts.records << " log records\n";
  StorageOptions options = command.storage;
  options.partitions = log_header->partitions;
  wrote = true;  // from here on the target may hold part of the restore
  auto storage = OpenStorage(options);
  if (!storage.ok()) return storage.error();
  in.clear();
  in.seekg(0);
  FILAMENT_RETURN_IF_ERROR(LoadBackup(**storage, in));
  return Rebuild(**storage);
}

}  // namespace

int RunBackup(const BackupCommand& command) {
  if (command.to.empty()) return Fail(core::InvalidArgument("--to FILE is required"));
  auto counts = BackupToFile(command);
  if (!counts.ok()) return Fail(counts.error());
  std::cout << "backup written to " << command.to << ": " << counts->records << " log records and "
            << pgstore::SideStoreTables().size() << " side stores\n";
  return 0;
}

int RunRestore(const RestoreCommand& command) {
  std::ifstream in(command.from, std::ios::binary);
  if (command.from.empty() || !in)
    return Fail(core::InvalidArgument("cannot open --from " + command.from));
  bool embedded = command.storage.database_url.empty();
  if (embedded) {
    if (command.storage.data_dir.empty()) return Fail(core::InvalidArgument("give --data-dir"));
    if (auto s = CheckNewDataDir(command.storage.data_dir); !s.ok()) return Fail(s.error());
  }
  bool wrote = false;
  auto status = Restore(command, in, wrote);
  if (status.ok()) {
    std::cout << "restored; start the server on it\n";
    return 0;
  }
  std::cerr << "filament: restore failed: " << status.error().message << "\n";
  if (!wrote) return 1;
  if (embedded) {  // the data dir was new: remove what this restore put there
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(command.storage.data_dir, ec)) {
      fs::remove_all(entry.path(), ec);
    }
    std::cerr << "filament: removed the partial data dir contents\n";
  } else {
    std::cerr << "filament: the database may hold part of the backup (INCOMPLETE): discard it"
                 " before retrying\n";
  }
  if (!command.storage.kafka_brokers.empty()) {
    std::cerr << "filament: the Kafka topic may hold part of the log: delete it before retrying\n";
  }
  return 1;
}

}  // namespace filament::app
