// Test-only child process for the kill test (runner_kill_test.cpp): runs a ProjectionRunner with
// the counting projection "killed" over a PgEventLog or a KafkaEventLog until every record that
// was in the log at start-up has been applied, then exits 0. Exits 2 when the projection
// failed (e.g. a double apply hit the primary key), 3 on bad arguments or setup errors.
//   kill_child --conninfo C --log pg|kafka [--brokers B] [--partitions N] [--batch N]
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "adapters/postgres/pg_event_log.hpp"
#include "projections/runner/runner.hpp"
#include "projections/runner/testing/counting_projection.hpp"
#ifdef FILAMENT_KILL_CHILD_KAFKA
#include "adapters/kafka/kafka_event_log.hpp"
#endif

namespace {

using namespace filament;

struct Args {
  std::string conninfo, log = "pg", brokers;
  int32_t partitions = 4;
  size_t batch = 20;
};

bool Parse(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--conninfo")
      args.conninfo = value;
    else if (key == "--log")
      args.log = value;
    else if (key == "--brokers")
      args.brokers = value;
    else if (key == "--partitions")
      args.partitions = std::stoi(value);
    else if (key == "--batch")
      args.batch = std::stoul(value);
    else
      return false;
  }
  return !args.conninfo.empty();
}

core::Result<std::unique_ptr<events::EventLog>> OpenLog(const Args& args) {
  if (args.log == "pg") {
    auto log = postgres::PgEventLog::Open(args.conninfo, args.partitions);
    if (!log.ok()) return log.error();
    return std::unique_ptr<events::EventLog>(std::move(*log));
  }
#ifdef FILAMENT_KILL_CHILD_KAFKA
  if (args.log == "kafka") {
    adapters::KafkaLogOptions options;
    options.brokers = args.brokers;
    options.partitions = args.partitions;
    auto log = adapters::KafkaEventLog::Open(options);
    if (!log.ok()) return log.error();
    return std::unique_ptr<events::EventLog>(std::move(*log));
  }
#endif
  return core::InvalidArgument("unknown --log " + args.log);
}

bool AllApplied(const projections::AppliedPositions& applied, const std::vector<int64_t>& ends) {
  for (size_t p = 0; p < ends.size(); ++p) {
    if (ends[p] == 0) continue;
    if (!applied.HasApplied({"killed"}, {static_cast<int32_t>(p), ends[p] - 1})) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr, "usage: kill_child --conninfo C --log pg|kafka [--brokers B]\n");
    return 3;
  }
  auto log = OpenLog(args);
  auto ends = log.ok() ? (*log)->EndOffsets() : core::Result<std::vector<int64_t>>(log.error());
  if (!ends.ok()) {
    std::fprintf(stderr, "kill_child: %s\n", ends.error().message.c_str());
    return 3;
  }
  projections::testing::CountingProjection projection("killed");
  projections::AppliedPositions applied;
  projections::RunnerOptions options;
  options.conninfo = args.conninfo;
  options.batch_size = args.batch;
  options.poll_wait = std::chrono::milliseconds(50);
  projections::ProjectionRunner runner(**log, {&projection}, options, &applied);
  runner.Start();
  while (!AllApplied(applied, *ends)) {
    auto status = runner.Statuses().at(0);
    if (status.state == projections::ProjectionState::kFailed) {
      std::fprintf(stderr, "kill_child: projection failed: %s\n", status.error->message.c_str());
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  runner.Stop();
  return 0;
}
