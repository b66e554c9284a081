// Writes a synthetic log of N events as an archive file (ADR 0053) that `filament log import`
// loads: users, guilds with channels and members, then messages posted in runs of one guild
// stream (so import appends them in batches), with some deleted, and a few bans. Every record
// is a valid event at the right stream version, so the command side folds it like a real log.
// Used by restart_bench.sh (docs/performance.md, "Restart time and snapshots").
//
//   log_gen --events 5000000 --partitions 4 --out /tmp/log.flmt

#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "events/log_archive.hpp"
#include "tools/bench/bench_util.hpp"
#include "tools/bench/log_gen_events.hpp"

namespace filament::bench {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"synthetic log archive for restart_bench.sh"};
  int64_t events = 100000;
  int32_t partitions = 4;
  std::string out_path;
  app.add_option("--events", events, "at least this many events")->check(CLI::Range(1, 100000000));
  app.add_option("--partitions", partitions, "log partitions")->check(CLI::Range(1, 256));
  app.add_option("--out", out_path, "archive file")->required();
  CLI11_PARSE(app, argc, argv);
  Generator gen(events, partitions, 42);
  std::vector<int64_t> ends(static_cast<size_t>(partitions), 0);
  gen.Run([&](const events::LogRecord& r) {
    ++ends[static_cast<size_t>(events::PartitionFor(r.meta.stream, partitions))];
  });
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  events::ArchiveWriter writer(out);
  CheckOk(writer.Begin({partitions, "memory", "log_gen", kUnix * 1000, ends}), "begin");
  std::vector<int64_t> next(static_cast<size_t>(partitions), 0);
  gen.Run([&](const events::LogRecord& r) {
    const int32_t p = events::PartitionFor(r.meta.stream, partitions);
    CheckOk(writer.Add({p, next[static_cast<size_t>(p)]++}, r), "add");
  });
  auto counts = Unwrap(writer.Finish(), "finish");
  out.close();
  std::printf("wrote %lld records (%lld users) to %s\n", static_cast<long long>(counts.records),
              static_cast<long long>(gen.users()), out_path.c_str());
  return 0;
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) { return filament::bench::Main(argc, argv); }
