// The command side's start-time work without a server (ADR 0078): folding N events into a
// CommandFold (what Start() does without a snapshot: payload decode + Apply) against encoding
// and decoding the snapshot of that fold (what a restart does with one: guild heads decoded,
// bodies checked, ADR 0095), then decoding every guild's body (what first uses add up to). The
// synthetic log is log_gen's. Generation time is measured by a pass without folding and subtracted.
//
//   snapshot_bench --events 1000000,5000000

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands/snapshot/snapshot_codec.hpp"
#include "tools/bench/bench_util.hpp"
#include "tools/bench/log_gen_events.hpp"

namespace filament::bench {
namespace {

constexpr int32_t kPartitions = 4;

double Seconds(int64_t from_ns) { return static_cast<double>(NowNs() - from_ns) / 1e9; }

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

void Measure(int64_t events, Table& table) {
  Generator gen(events, kPartitions, 42);
  std::vector<int64_t> next(kPartitions, 0);
  auto stored = [&](const events::LogRecord& r) {
    events::StoredRecord s{.record = r};
    s.position.partition = events::PartitionFor(r.meta.stream, kPartitions);
    s.position.offset = next[static_cast<size_t>(s.position.partition)]++;
    return s;
  };
  int64_t start = NowNs();
  gen.Run([&](const events::LogRecord& r) { (void)stored(r); });
  const double generate_s = Seconds(start);
  std::fill(next.begin(), next.end(), 0);
  auto fold = std::make_unique<commands::CommandFold>(kPartitions);
  start = NowNs();
  gen.Run([&](const events::LogRecord& r) { CheckOk(fold->Fold(stored(r)), "fold"); });
  const double fold_s = Seconds(start) - generate_s;
  start = NowNs();
  const std::string bytes = commands::snapshot::EncodeSnapshot(*fold);
  const double encode_s = Seconds(start);
  fold.reset();
  start = NowNs();
  auto decoded = Unwrap(commands::snapshot::DecodeSnapshot(bytes, kPartitions), "decode");
  const double decode_s = Seconds(start);
  start = NowNs();  // what the first use of every guild adds up to (ADR 0095)
  CheckOk(decoded->CompleteGuilds(), "complete");
  const double complete_s = Seconds(start);
  table.Add({std::to_string(events), Fixed(fold_s, 2), Fixed(events / fold_s / 1000, 0),
             Fixed(static_cast<double>(bytes.size()) / (1 << 20), 1), Fixed(encode_s, 2),
             Fixed(decode_s, 2), Fixed(complete_s, 2), LoadAverage()});
}

int Main(int argc, char** argv) {
  CLI::App app{"command-side fold versus snapshot decode"};
  std::vector<int64_t> sizes{1'000'000};
  app.add_option("--events", sizes, "log lengths")->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  Table table({"events", "fold s", "fold k ev/s", "snapshot MiB", "encode s",
               "decode s (heads + checks)", "all bodies decoded s", "loadavg after"});
  for (int64_t n : sizes) Measure(n, table);
  table.Print();
  return 0;
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) { return filament::bench::Main(argc, argv); }
