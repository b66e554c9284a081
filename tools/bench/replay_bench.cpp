// replay_bench: fills an embedded PostgreSQL log with ~1 million events of a realistic chat mix
// (tools/bench/replay_corpus.*), then rebuilds each read model in turn with projections::Replay
// (what `filament replay --projection N` runs) and the search index with RebuildSearchIndex, and
// prints events/s per read model (log records consumed per second of wall time) with the load
// average before and after each. `--data-dir D --keep` leaves the filled log for a rerun with
// `--reuse` (no refill) or for `filament replay --data-dir D`.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include "adapters/postgres/embedded_cluster.hpp"
#include "adapters/postgres/pg_event_log.hpp"
#include "projections/audit/audit_projection.hpp"
#include "projections/friends/friends_projection.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "projections/runner/replay.hpp"
#include "projections/runner/runner.hpp"
#include "projections/search/search_replay.hpp"
#include "projections/users/users_projection.hpp"
#include "tools/bench/bench_util.hpp"
#include "tools/bench/replay_corpus.hpp"

namespace filament::bench {
namespace {

constexpr int32_t kPartitions = 4;  // filament's default

struct Options {
  std::string data_dir;  // empty = a temporary one, removed at the end
  bool keep = false;
  bool reuse = false;
  bool durable = true;
  bool search = true;
  bool check = false;
  bool live_check = false;
  std::vector<std::string> only;
  // What the planner knows of event_log before each rebuild: "as-is" (whatever autovacuum
  // did), "analyzed" (ANALYZE first: the steady state) or "none" (statistics removed: a log
  // right after a bulk fill, import or restore, before autovacuum looks; ADR 0101).
  std::string log_statistics = "as-is";
  CorpusOptions corpus;
};

// Sets what the planner knows of event_log (Options::log_statistics). "none" deletes its
// pg_statistic rows and marks its size unknown, as on a table never analyzed; autovacuum does
// not analyze it again while nothing changes. Needs the cluster's superuser.
void SetLogStatistics(const std::string& conninfo, const std::string& mode) {
  if (mode == "as-is") return;
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  if (mode == "analyzed") {
    tx.exec("ANALYZE event_log");
    return;
  }
  tx.exec("DELETE FROM pg_statistic WHERE starelid = 'event_log'::regclass");
  tx.exec(
      "UPDATE pg_class SET reltuples = -1, relpages = 0, relallvisible = 0 "
      "WHERE oid = 'event_log'::regclass");
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

int64_t LogRecords(events::EventLog& log) {
  int64_t total = 0;
  for (int64_t end : Unwrap(log.EndOffsets(), "end offsets")) total += end;
  return total;
}

bool Wanted(const Options& o, std::string_view name) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), name) != o.only.end();
}

void Fill(events::EventLog& log, const Options& o) {
  int64_t start = NowNs();
  auto stats = FillReplayCorpus(log, o.corpus);
  double secs = static_cast<double>(NowNs() - start) / 1e9;
  std::cerr << "replay_bench: appended " << stats.records << " records in " << Fixed(secs, 1)
            << " s (" << Fixed(static_cast<double>(stats.records) / secs, 0) << "/s):";
  for (const auto& [type, n] : stats.by_type) std::cerr << " " << type << "=" << n;
  std::cerr << "\n";
}

struct Row {
  std::string name;
  double seconds = 0;
  std::string load_before, load_after;
};

Row TimeReplay(events::EventLog& log, projections::Projection& projection,
               const std::string& conninfo) {
  Row row{std::string(projection.Name()), 0, LoadAverage(), ""};
  projections::ReplayOptions options{.conninfo = conninfo, .only = {row.name}};
  std::ostringstream progress;
  int64_t start = NowNs();
  CheckOk(projections::Replay(log, {&projection}, options, progress), "replay " + row.name);
  row.seconds = static_cast<double>(NowNs() - start) / 1e9;
  row.load_after = LoadAverage();
  return row;
}

Row TimeSearch(events::EventLog& log, const std::string& dir) {
  Row row{"search", 0, LoadAverage(), ""};
  int64_t start = NowNs();
  Unwrap(projections::RebuildSearchIndex(log, dir + "/search", {}), "rebuild search");
  row.seconds = static_cast<double>(NowNs() - start) / 1e9;
  row.load_after = LoadAverage();
  return row;
}

void CheckAll(events::EventLog& log, const std::vector<projections::Projection*>& all,
              const std::string& conninfo) {
  projections::ReplayOptions options{.conninfo = conninfo};
  std::ostringstream out;
  auto report = Unwrap(projections::ReplayCheck(log, all, options, out), "replay --check");
  std::cout << "\nreplay --check: " << (report.identical ? "identical" : "DIFFERENT") << "\n";
  if (!report.identical) std::cout << out.str();
}

bool CaughtUp(const std::string& conninfo, std::string_view name,
              const std::vector<int64_t>& ends) {
  auto checkpoints = projections::ReadCheckpoints(conninfo, name, kPartitions);
  return checkpoints.ok() && *checkpoints == ends;
}

// The live path (ProjectionRunner, small batches: INSERTs, no read-ahead) over the whole log,
// then replay --check (the rebuild fast path: read-ahead, big batches, COPY) against it.
bool LiveEqualsRebuild(events::EventLog& log, const std::vector<projections::Projection*>& all,
                       const std::string& conninfo) {
  auto ends = Unwrap(log.EndOffsets(), "end offsets");
  projections::ProjectionRunner runner(log, all, {.conninfo = conninfo, .batch_size = 50});
  runner.Start();
  for (auto* projection : all) {
    while (!CaughtUp(conninfo, projection->Name(), ends)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  runner.Stop();
  projections::ReplayOptions options{.conninfo = conninfo};
  std::ostringstream out;
  auto report = Unwrap(projections::ReplayCheck(log, all, options, out), "replay --check");
  std::cout << out.str()
            << "live path vs rebuild: " << (report.identical ? "identical" : "DIFFERENT") << "\n";
  return report.identical;
}

void Run(const Options& o) {
  std::string dir = o.data_dir.empty() ? MakeTempDir("filament-replaybench-") : o.data_dir;
  std::filesystem::create_directories(dir);
  auto cluster = StartMigratedCluster(dir + "/pg", o.durable);
  const std::string conninfo = cluster->ConnectionString();
  auto log = Unwrap(postgres::PgEventLog::Open(conninfo, kPartitions), "open log");
  if (!o.reuse || LogRecords(*log) == 0) Fill(*log, o);
  int64_t records = LogRecords(*log);
  projections::UsersProjection users;
  projections::GuildsProjection guilds;
  projections::MessagesProjection messages;
  projections::FriendsProjection friends;
  projections::AuditProjection audit;
  std::vector<projections::Projection*> all = {&users, &guilds, &messages, &friends, &audit};
  if (o.live_check) {
    bool same = LiveEqualsRebuild(*log, all, conninfo);
    log.reset();
    CheckOk(cluster->Stop(), "stop cluster");
    if (!o.keep) std::filesystem::remove_all(dir);
    if (!same) std::exit(1);
    return;
  }
  std::vector<Row> rows;
  for (auto* projection : all) {
    if (!Wanted(o, projection->Name())) continue;
    SetLogStatistics(conninfo, o.log_statistics);
    rows.push_back(TimeReplay(*log, *projection, conninfo));
  }
  if (o.search && Wanted(o, "search")) {
    SetLogStatistics(conninfo, o.log_statistics);
    rows.push_back(TimeSearch(*log, dir));
  }
  std::cout << "\n### Replay of " << records << " log records ("
            << (o.durable ? "durable" : "fsync off") << " PostgreSQL, log statistics "
            << o.log_statistics << ")\n\n";
  Table table({"read model", "seconds", "events/s", "load before", "load after"});
  for (const auto& r : rows) {
    table.Add({r.name, Fixed(r.seconds, 2), Fixed(static_cast<double>(records) / r.seconds, 0),
               r.load_before, r.load_after});
  }
  table.Print();
  if (o.check) CheckAll(*log, all, conninfo);
  log.reset();
  CheckOk(cluster->Stop(), "stop cluster");
  if (!o.keep) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) {
  filament::bench::Options o;
  CLI::App app{"Read-model rebuild rate over a ~1M-event log"};
  app.add_option("--data-dir", o.data_dir, "where the log lives (default: temp, removed)");
  app.add_flag("--keep", o.keep, "keep the data dir");
  app.add_flag("--reuse", o.reuse, "do not refill a data dir whose log is not empty");
  app.add_flag("!--fsync-off", o.durable, "run PostgreSQL with fsync off");
  app.add_flag("!--no-search", o.search, "skip the search index rebuild");
  app.add_flag("--live-check", o.live_check,
               "apply the log through the live runner, then replay --check it; exit 1 on a "
               "difference (no timing)");
  app.add_flag("--check", o.check, "run replay --check over every read model at the end");
  app.add_option("--only", o.only,
                 "read models to rebuild (users guilds messages friends audit "
                 "search)")
      ->delimiter(',');
  app.add_option("--log-statistics", o.log_statistics,
                 "before each rebuild: as-is (default), analyzed (ANALYZE event_log) or none "
                 "(its statistics removed, as right after a bulk fill)")
      ->check(CLI::IsMember({"as-is", "analyzed", "none"}));
  app.add_option("--events", o.corpus.events)->check(CLI::Range(int64_t{0}, int64_t{100000000}));
  app.add_option("--users", o.corpus.users)->check(CLI::Range(2, 1000000));
  app.add_option("--guilds", o.corpus.guilds)->check(CLI::Range(1, 10000));
  app.add_option("--seed", o.corpus.seed);
  CLI11_PARSE(app, argc, argv);
  filament::bench::Run(o);
  return 0;
}
