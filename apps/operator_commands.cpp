// Operator subcommands: migrate, replay, audit, log tail, kafka-mock, routes.
#include <csignal>
#include <iostream>
#include <thread>

#include "adapters/kafka/mock_cluster.hpp"
#include "api/routes/api_handler.hpp"
#include "apps/commands.hpp"
#include "apps/read_models.hpp"
#include "apps/storage.hpp"
#include "projections/runner/audit.hpp"
#include "projections/runner/log_tail.hpp"
#include "projections/runner/record_format.hpp"
#include "projections/runner/replay.hpp"
#include "projections/runner/runner.hpp"

namespace filament::app {
namespace {

int Fail(const core::Error& error) {
  std::cerr << "filament: " << error.message << "\n";
  return 1;
}

core::Status RecordSkips(const std::string& conninfo, const std::vector<std::string>& positions,
                         const std::vector<projections::Projection*>& chosen,
                         const std::string& reason) {
  for (const auto& text : positions) {
    auto position = events::ParsePosition(text);
    if (!position) return core::InvalidArgument("--skip-position must be P:O, got " + text);
    for (auto* projection : chosen) {
      FILAMENT_RETURN_IF_ERROR(projections::AddSkip(conninfo, projection->Name(), *position,
                                                    reason.empty() ? "operator skip" : reason,
                                                    "filament replay"));
    }
  }
  return core::OkStatus();
}

}  // namespace

std::vector<std::string> ProjectionNames() { return ReadModels::Names(); }

int RunMigrate(const StorageOptions& options) {
  auto storage = OpenStorage(options);  // applies migrations
  if (!storage.ok()) return Fail(storage.error());
  std::cout << "migrations applied\n";
  return 0;
}

int RunReplay(const ReplayCommand& command) {
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  ReadModels models;
  auto chosen = models.Select(command.projections);
  if (!chosen.ok()) return Fail(chosen.error());
  const std::string& conninfo = (*storage)->conninfo;
  if (auto s = RecordSkips(conninfo, command.skip_positions, *chosen, command.skip_reason);
      !s.ok()) {
    return Fail(s.error());
  }
  projections::ReplayOptions options;
  options.conninfo = conninfo;
  options.only = command.projections;
  if (command.check) {
    auto report = projections::ReplayCheck(*(*storage)->log, *chosen, options, std::cout);
    if (!report.ok()) return Fail(report.error());
    return report->ExitCode();
  }
  auto status = projections::Replay(*(*storage)->log, *chosen, options, std::cout);
  return status.ok() ? 0 : Fail(status.error());
}

int RunAudit(const AuditCommand& command) {
  projections::AuditFilter filter;
  if (!command.guild_id.empty()) filter.workspace = command.guild_id;
  if (!command.actor.empty()) filter.actor = command.actor;
  filter.types = command.types;
  for (auto [text, target] : {std::pair{&command.since, &filter.since_unix_ms},
                              std::pair{&command.until, &filter.until_unix_ms}}) {
    if (text->empty()) continue;
    auto ms = projections::ParseTimeArgument(*text);
    if (!ms.ok()) return Fail(ms.error());
    *target = *ms;
  }
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  auto format =
      command.json ? projections::AuditFormat::kJsonLines : projections::AuditFormat::kTable;
  auto count = projections::RunAudit(*(*storage)->log, filter, format, std::cout);
  return count.ok() ? 0 : Fail(count.error());
}

int RunLogTail(const LogTailCommand& command) {
  auto storage = OpenStorage(command.storage);
  if (!storage.ok()) return Fail(storage.error());
  static std::atomic<bool> stop{false};
  std::signal(SIGINT, [](int) { stop = true; });
  std::signal(SIGTERM, [](int) { stop = true; });
  projections::TailOptions options;
  options.from_beginning = command.from_beginning;
  options.json = command.json;
  auto status = projections::TailLog(*(*storage)->log, options, std::cout, stop);
  return status.ok() ? 0 : Fail(status.error());
}

int RunKafkaMockCommand(int brokers, const std::string& topic, int32_t partitions) {
  return adapters::RunKafkaMock(brokers, topic, partitions);
}

int RunRoutes() {
  for (const auto& route : api::ApiRouteTable()) {
    std::cout << route.method << ' ' << route.pattern << '\n';
  }
  return 0;
}

}  // namespace filament::app
