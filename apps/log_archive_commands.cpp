// `filament log export` / `filament log import`: the log's archive (ADR 0053).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "apps/commands.hpp"
#include "apps/storage.hpp"
#include "events/log_transfer.hpp"

namespace filament::app {
namespace {

int Fail(const core::Error& error) {
  std::cerr << "filament: " << error.message << "\n";
  return 1;
}

// "P:O,P:O": the end (exclusive) of each named partition; the others keep `ends`.
core::Result<std::vector<int64_t>> ParseUpTo(const std::vector<std::string>& items,
                                             std::vector<int64_t> ends) {
  for (const auto& item : items) {
    auto position = events::ParsePosition(item);
    if (!position || static_cast<size_t>(position->partition) >= ends.size()) {
      return core::InvalidArgument("--up-to wants P:O with P below " + std::to_string(ends.size()) +
                                   ", got " + item);
    }
    ends[static_cast<size_t>(position->partition)] = position->offset;
  }
  return ends;
}

std::string Describe(const events::ArchiveCounts& counts) {
  std::string out = std::to_string(counts.records) + " records (";
  for (size_t p = 0; p < counts.per_partition.size(); ++p) {
    out += (p ? ", " : "") + std::to_string(p) + ":" + std::to_string(counts.per_partition[p]);
  }
  return out + ")";
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::Result<events::ArchiveCounts> ExportTo(events::EventLog& log,
                                             const events::ExportOptions& options,
                                             const std::string& to) {
  if (to == "-") return events::ExportLog(log, options, std::cout);
  // Written beside the target and renamed at the end: a failed export leaves no archive.
  std::string partial = to + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) return core::InvalidArgument("cannot create " + partial);
  auto counts = events::ExportLog(log, options, out);
  out.close();
  std::error_code ec;
  if (counts.ok() && !out) counts = core::Unavailable("writing " + partial + " failed");
  if (counts.ok()) std::filesystem::rename(partial, to, ec);
  if (counts.ok() && ec) counts = core::Unavailable("renaming to " + to + ": " + ec.message());
  if (!counts.ok()) std::filesystem::remove(partial, ec);
  return counts;
}

}  // namespace

int RunLogExport(const LogExportCommand& command) {
  if (command.to.empty()) return Fail(core::InvalidArgument("--to FILE (or -) is required"));
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  events::EventLog& log = *(*storage)->log;
  auto ends = log.EndOffsets();
  if (!ends.ok()) return Fail(ends.error());
  auto up_to = ParseUpTo(command.up_to, *ends);
  if (!up_to.ok()) return Fail(up_to.error());
  bool kafka = !command.storage.kafka_brokers.empty();
  events::ExportOptions options{.source_kind = kafka ? "kafka" : "postgres",
                                .source_name = kafka ? command.storage.kafka_topic : "event_log",
                                .up_to = *up_to,
                                .now_unix_ms = NowUnixMs()};
  auto counts = ExportTo(log, options, command.to);
  if (!counts.ok()) return Fail(counts.error());
  (command.to == "-" ? std::cerr : std::cout) << "exported " << Describe(*counts) << "\n";
  return 0;
}

int RunLogImport(const LogImportCommand& command) {
  std::ifstream in(command.from, std::ios::binary);
  if (command.from.empty() || !in)
    return Fail(core::InvalidArgument("cannot open --from " + command.from));
  events::ArchiveCounts counts;
  auto header = events::VerifyArchive(in, counts);  // nothing is written from a bad file
  if (!header.ok()) return Fail(header.error());
  // The log takes the archive's partition count (a fresh log records it at first open; an
  // existing one with another count is refused by the adapter).
  StorageOptions storage_options = command.storage;
  storage_options.partitions = header->partitions;
  auto storage = OpenStorage(storage_options);
  if (!storage.ok()) return Fail(storage.error());
  in.clear();
  in.seekg(0);
  events::ImportProgress progress;
  auto imported = events::ImportLog(*(*storage)->log, in, progress);
  if (!imported.ok()) {
    std::cerr << "filament: import stopped: " << imported.error().message << "\n";
    if (progress.appending) {
      events::ArchiveCounts written{progress.records, progress.written};
      std::cerr << "filament: imported and verified " << Describe(written) << " of "
                << Describe(counts) << "; the log is INCOMPLETE: discard it before retrying\n";
    }
    return 1;
  }
  std::cout << "imported " << Describe(*imported) << "\n";
  return 0;
}

}  // namespace filament::app
