// projection_bench: fills an embedded PostgreSQL log with a realistic workspace (users, one
// public guild, channels, members, messages), then measures how fast the real read models
// (users, guilds, messages) apply it: through the ProjectionRunner (as `filament serve` runs
// them, concurrently) and through projections::Replay (one at a time, as `filament replay`).
// Leaves the data directory behind with --keep so that `filament replay --data-dir D` can be
// timed against it (tools/bench/run_all.sh does).
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "adapters/postgres/embedded_cluster.hpp"
#include "adapters/postgres/pg_event_log.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "projections/runner/replay.hpp"
#include "projections/runner/runner.hpp"
#include "projections/users/users_projection.hpp"
#include "tools/bench/bench_util.hpp"

namespace filament::bench {
namespace {

constexpr int32_t kPartitions = 4;  // filament's default
constexpr int64_t kUnix = 1700000000;

struct Options {
  std::string data_dir;  // empty = a temporary one, removed at the end
  bool keep = false;
  bool durable = true;
  int channels = 10;
  int members = 1000;
  int messages = 100000;
  size_t batch_size = 500;
  double timeout_s = 600;
};

struct Workspace {
  std::vector<std::string> users;
  std::vector<std::string> channels;
  std::string guild;
  int64_t records = 0;
};

void AppendUsers(events::EventLog& log, Workspace& ws, int count) {
  RecordFactory factory;
  for (int i = 0; i < count; ++i) ws.users.push_back(factory.NewId());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RecordFactory mine;
      for (size_t i = t; i < ws.users.size(); i += 8) {
        events::UserRegistered reg{.user_id = ws.users[i],
                                   .username = "user" + std::to_string(i),
                                   .registered_at_unix = kUnix};
        events::AppendBatch batch{
            reg.StreamKey(), 0, {mine.Make(reg, 1, kUnix * 1000, ws.users[i])}};
        Unwrap(log.Append(batch), "append user");
      }
    });
  }
  for (auto& t : threads) t.join();
  ws.records += count;
}

// Appends the guild's events in batches of up to 100 records (one stream, expected versions).
class GuildWriter {
 public:
  GuildWriter(events::EventLog& log, Workspace& ws) : log_(log), ws_(ws) {}
  void Add(const events::Event& event, const std::string& actor) {
    pending_.push_back(factory_.Make(event, version_ + pending_.size() + 1, kUnix * 1000, actor));
    if (pending_.size() == 100) Flush();
  }
  void Flush() {
    if (pending_.empty()) return;
    events::AppendBatch batch{"guild:" + ws_.guild, version_, std::move(pending_)};
    Unwrap(log_.Append(batch), "append guild batch");
    version_ += static_cast<int64_t>(batch.records.size());
    ws_.records += static_cast<int64_t>(batch.records.size());
    pending_.clear();
  }
  RecordFactory& factory() { return factory_; }

 private:
  events::EventLog& log_;
  Workspace& ws_;
  RecordFactory factory_;
  std::vector<events::LogRecord> pending_;
  int64_t version_ = 0;
};

Workspace Fill(events::EventLog& log, const Options& o) {
  Workspace ws;
  AppendUsers(log, ws, o.members + 1);
  GuildWriter writer(log, ws);
  auto& ids = writer.factory();
  ws.guild = ids.NewId();
  const std::string& owner = ws.users[0];
  writer.Add(events::GuildCreated{ws.guild, "Bench Guild", "public", owner, ids.NewId(),
                                  ids.NewId(), ids.NewId(), ids.NewId(), kUnix},
             owner);
  for (int c = 0; c < o.channels; ++c) {
    ws.channels.push_back(ids.NewId());
    writer.Add(events::ChannelCreated{ws.guild, ws.channels.back(), "channel-" + std::to_string(c),
                                      "text", kUnix},
               owner);
  }
  for (int m = 1; m <= o.members; ++m) {
    writer.Add(events::MemberJoined{ws.guild, ws.users[m], "member", "directory", kUnix},
               ws.users[m]);
  }
  for (int i = 0; i < o.messages; ++i) {
    const std::string& author = ws.users[1 + i % o.members];
    std::string content = "message " + std::to_string(i) +
                          ": hello **everyone**, see `make bench` and https://example.com/x";
    writer.Add(
        events::MessagePosted{
            ws.guild, ws.channels[i % o.channels], ids.NewId(), author, content, {}, kUnix + i},
        author);
  }
  writer.Flush();
  return ws;
}

bool CaughtUp(const std::string& conninfo, std::string_view name,
              const std::vector<int64_t>& ends) {
  auto checkpoints = projections::ReadCheckpoints(conninfo, name, kPartitions);
  return checkpoints.ok() && *checkpoints == ends;
}

// Runs all three projections in one ProjectionRunner (as `serve` does) and returns, per
// projection, the seconds until its checkpoints reached the end of the log.
std::vector<double> RunRunner(events::EventLog& log, std::vector<projections::Projection*> all,
                              const std::string& conninfo, const Options& o) {
  auto ends = Unwrap(log.EndOffsets(), "end offsets");
  projections::ProjectionRunner runner(log, all,
                                       {.conninfo = conninfo, .batch_size = o.batch_size});
  std::vector<double> done(all.size(), -1);
  int64_t start = NowNs();
  runner.Start();
  size_t remaining = all.size();
  while (remaining > 0 && NowNs() - start < static_cast<int64_t>(o.timeout_s * 1e9)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (size_t i = 0; i < all.size(); ++i) {
      if (done[i] >= 0 || !CaughtUp(conninfo, all[i]->Name(), ends)) continue;
      done[i] = static_cast<double>(NowNs() - start) / 1e9;
      --remaining;
    }
  }
  runner.Stop();
  return done;
}

double RunReplay(events::EventLog& log, projections::Projection* projection,
                 const std::string& conninfo, const Options& o) {
  projections::ReplayOptions options{
      .conninfo = conninfo, .only = {std::string(projection->Name())}, .batch_size = o.batch_size};
  std::ostringstream progress;
  int64_t start = NowNs();
  CheckOk(projections::Replay(log, {projection}, options, progress), "replay");
  return static_cast<double>(NowNs() - start) / 1e9;
}

int64_t Relevant(std::string_view name, const Options& o) {
  if (name == "users") return o.members + 1;
  if (name == "guilds") return 1 + o.channels + o.members;
  return o.messages;
}

void Run(const Options& o) {
  std::string dir = o.data_dir.empty() ? MakeTempDir("filament-projbench-") : o.data_dir;
  std::filesystem::create_directories(dir);
  auto cluster = StartMigratedCluster(dir, o.durable);
  const std::string conninfo = cluster->ConnectionString();
  auto log = Unwrap(postgres::PgEventLog::Open(conninfo, kPartitions), "open log");
  int64_t fill_start = NowNs();
  Workspace ws = Fill(*log, o);
  double fill_s = static_cast<double>(NowNs() - fill_start) / 1e9;
  std::cerr << "projection_bench: filled " << ws.records << " records in " << Fixed(fill_s, 2)
            << " s\n";

  projections::UsersProjection users;
  projections::GuildsProjection guilds;
  projections::MessagesProjection messages;
  std::vector<projections::Projection*> all = {&users, &guilds, &messages};
  auto runner_s = RunRunner(*log, all, conninfo, o);
  Table table({"projection", "events it applies", "records read", "runner (3 concurrent) s",
               "runner records/s", "replay alone s", "replay records/s",
               "replay applied events/s"});
  for (size_t i = 0; i < all.size(); ++i) {
    double replay_s = RunReplay(*log, all[i], conninfo, o);
    auto records = static_cast<double>(ws.records);
    table.Add({std::string(all[i]->Name()), std::to_string(Relevant(all[i]->Name(), o)),
               std::to_string(ws.records), Fixed(runner_s[i], 2),
               runner_s[i] > 0 ? Fixed(records / runner_s[i], 0) : "timeout", Fixed(replay_s, 2),
               Fixed(records / replay_s, 0),
               Fixed(static_cast<double>(Relevant(all[i]->Name(), o)) / replay_s, 0)});
  }
  std::cout << "\n### Projection apply rate (" << ws.records << " records: " << o.members + 1
            << " users, 1 guild, " << o.channels << " channels, " << o.members << " members, "
            << o.messages << " messages; batch " << o.batch_size << "; "
            << (o.durable ? "durable" : "fsync off") << " PostgreSQL)\n\n";
  std::cout << "Log fill (append, batches of 100 on the guild stream; 8 threads for users): "
            << Fixed(static_cast<double>(ws.records) / fill_s, 0) << " records/s\n\n";
  table.Print();
  log.reset();
  CheckOk(cluster->Stop(), "stop cluster");
  if (!o.keep) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) {
  filament::bench::Options o;
  CLI::App app{"Projection apply and replay rates over a pre-filled PostgreSQL log"};
  app.add_option("--data-dir", o.data_dir, "where the embedded PostgreSQL lives (default: temp)");
  app.add_flag("--keep", o.keep, "keep the data dir (for `filament replay --data-dir`)");
  app.add_flag("!--fsync-off", o.durable, "run PostgreSQL with fsync off");
  app.add_option("--channels", o.channels)->check(CLI::Range(1, 1000));
  app.add_option("--members", o.members)->check(CLI::Range(1, 1000000));
  app.add_option("--messages", o.messages)->check(CLI::Range(0, 10000000));
  app.add_option("--batch-size", o.batch_size)->check(CLI::Range(1, 100000));
  app.add_option("--timeout", o.timeout_s, "seconds before giving up on the runner");
  CLI11_PARSE(app, argc, argv);
  filament::bench::Run(o);
  return 0;
}
