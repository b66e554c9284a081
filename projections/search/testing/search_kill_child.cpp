// Test-only child process for search_kill_test.cpp: runs the SearchProjection over the
// PostgreSQL log until every record that was in the log at start-up is applied, then exits 0.
// Exits 2 when the projection stopped on an error, 3 on bad arguments or setup errors.
//   search_kill_child --conninfo C --root DIR [--partitions N] [--batch N]
#include <cstdio>
#include <string>
#include <thread>

#include "adapters/postgres/pg_event_log.hpp"
#include "projections/search/search_projection.hpp"

namespace {

using namespace filament;

struct Args {
  std::string conninfo, root;
  int32_t partitions = 4;
  size_t batch = 10;
};

bool Parse(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--conninfo") {
      args.conninfo = value;
    } else if (key == "--root") {
      args.root = value;
    } else if (key == "--partitions") {
      args.partitions = std::stoi(value);
    } else if (key == "--batch") {
      args.batch = std::stoul(value);
    } else {
      return false;
    }
  }
  return !args.conninfo.empty() && !args.root.empty();
}

bool AllApplied(const projections::AppliedPositions& applied, const std::vector<int64_t>& ends) {
  for (size_t p = 0; p < ends.size(); ++p) {
    if (ends[p] == 0) continue;
    events::Position last{static_cast<int32_t>(p), ends[p] - 1};
    if (!applied.HasApplied({std::string(projections::kSearchProjectionName)}, last)) {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr, "usage: search_kill_child --conninfo C --root DIR\n");
    return 3;
  }
  auto log = postgres::PgEventLog::Open(args.conninfo, args.partitions);
  auto ends = log.ok() ? (*log)->EndOffsets() : core::Result<std::vector<int64_t>>(log.error());
  if (!ends.ok()) {
    std::fprintf(stderr, "search_kill_child: %s\n", ends.error().message.c_str());
    return 3;
  }
  projections::AppliedPositions applied;
  projections::SearchProjectionOptions options;
  options.root_dir = args.root;
  options.batch_size = args.batch;
  options.rebuild_batch_size = args.batch * 3;
  options.poll_wait = std::chrono::milliseconds(50);
  projections::SearchProjection projection(**log, options, &applied);
  if (auto started = projection.Start(); !started.ok()) {
    std::fprintf(stderr, "search_kill_child: %s\n", started.error().message.c_str());
    return 3;
  }
  while (!AllApplied(applied, *ends)) {
    auto state = projection.Status();
    if (!state.running) {
      std::fprintf(stderr, "search_kill_child: stopped: %s\n",
                   state.error ? state.error->message.c_str() : "?");
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  projection.Stop();
  return 0;
}
