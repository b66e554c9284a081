// command_bench: the command side alone (ADR 0070) — C client threads posting messages through
// CommandService::OnGuild into 1 or G guilds, on the durable embedded PostgreSQL log (no HTTP,
// no read models). Prints posts/s, per-post latency and the appends the log saw (so the mean
// batch size), per FILAMENT_COMMAND_BATCH_MAX value, beside the load average.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "adapters/postgres/embedded_cluster.hpp"
#include "adapters/postgres/pg_event_log.hpp"
#include "commands/command_service.hpp"
#include "commands/guild/channels.hpp"
#include "commands/guild/messages.hpp"
#include "tools/bench/bench_util.hpp"

namespace filament::bench {
namespace {

class NoCredentials : public commands::CredentialStore {
 public:
  core::Result<bool> Claim(const std::string&, const std::string&, const std::string&) override {
    return true;
  }
  core::Status Release(const std::string&) override { return core::OkStatus(); }
  core::Result<bool> Rename(const std::string&, const std::string&) override { return true; }
};

// Counts the appends reaching the log (one per batch).
class CountingLog final : public events::EventLog {
 public:
  explicit CountingLog(events::EventLog& inner) : inner_(inner) {}
  int32_t Partitions() const override { return inner_.Partitions(); }
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& batch) override {
    ++appends;
    return inner_.Append(batch);
  }
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& start) override {
    return inner_.OpenReader(start);
  }
  core::Result<std::vector<int64_t>> EndOffsets() override { return inner_.EndOffsets(); }
  std::atomic<int64_t> appends{0};

 private:
  events::EventLog& inner_;
};

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

struct Guild {
  std::string id, channel;
};

std::vector<Guild> MakeGuilds(commands::CommandService& service, const std::string& user,
                              int count) {
  std::vector<Guild> guilds;
  for (int g = 0; g < count; ++g) {
    auto created = Unwrap(service.CreateGuild({user, "setup"}, "bench", "public"), "guild");
    Guild guild{std::get<events::GuildCreated>(created.events.at(0)).guild_id, ""};
    auto channel =
        Unwrap(service.OnGuild({user, "setup"}, guild.id,
                               [&](commands::Minter& m) {
                                 return commands::CreateChannel{guild.id, m.NewId(), "general",
                                                                "text",   user,      m.NowUnix()};
                               }),
               "channel");
    guild.channel = std::get<events::ChannelCreated>(channel.events.at(0)).channel_id;
    guilds.push_back(guild);
  }
  return guilds;
}

void RunCell(events::EventLog& pg, int batch_max, int guild_count, int clients, int seconds,
             Table& table) {
  CountingLog log(pg);
  core::SystemClock clock;
  core::UlidGenerator ids;
  NoCredentials credentials;
  core::Limits limits;
  limits.command_batch_max = batch_max;
  limits.max_created_guilds_per_user = 100'000;
  commands::CommandService service(log, clock, ids, credentials, limits);
  CheckOk(service.Start(), "start");
  auto user =
      std::get<events::UserRegistered>(
          Unwrap(service.RegisterUser({"", "setup"}, "poster" + ids.Next(1).ToString(), "h"),
                 "register")
              .events.at(0))
          .user_id;
  auto guilds = MakeGuilds(service, user, guild_count);
  const std::string load_before = LoadAverage();
  const int64_t appends_before = log.appends;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::mutex mu;
  std::vector<int64_t> latencies;
  std::vector<std::thread> threads;
  const int64_t start = NowNs();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const Guild& guild = guilds[static_cast<size_t>(c % guild_count)];
      std::vector<int64_t> own;
      while (!stop) {
        const int64_t t0 = NowNs();
        auto posted = service.OnGuild({user, "bench"}, guild.id, [&](commands::Minter& m) {
          return commands::PostMessage{
              guild.id, guild.channel, m.NewId(), user, "sustained hello **world**",
              {},       m.NowUnix()};
        });
        if (!posted.ok()) ++errors;
        own.push_back(NowNs() - t0);
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), own.begin(), own.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = static_cast<double>(NowNs() - start) / 1e9;
  const auto summary = Summarize(latencies);
  const int64_t appends = log.appends - appends_before;
  table.Add(
      {std::to_string(batch_max), std::to_string(guild_count), std::to_string(clients),
       Fixed(static_cast<double>(summary.count) / elapsed, 0), Fixed(summary.p50_ms, 2),
       Fixed(summary.p99_ms, 2), std::to_string(errors.load()),
       Fixed(static_cast<double>(summary.count) / static_cast<double>(appends ? appends : 1), 1),
       load_before + " -> " + LoadAverage()});
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) {
  using namespace filament;
  using namespace filament::bench;
  CLI::App app{"command_bench: posts through CommandService on the durable embedded log"};
  int clients = 200, seconds = 8, rounds = 1;
  std::vector<int> batch_max{128, 1}, guilds{1, 100};
  app.add_option("--clients", clients);
  app.add_option("--seconds", seconds);
  app.add_option("--rounds", rounds);
  app.add_option("--batch-max", batch_max)->delimiter(',');
  app.add_option("--guilds", guilds)->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  const std::string dir = MakeTempDir("filament-cmdbench-");
  auto cluster = StartMigratedCluster(dir, /*durable=*/true);
  auto pg = Unwrap(postgres::PgEventLog::Open(cluster->ConnectionString(), 4), "open PgEventLog");
  Table table({"batch max", "guilds", "clients", "posts/s", "p50 ms", "p99 ms", "errors",
               "posts per append", "load avg before -> after"});
  for (int r = 0; r < rounds; ++r) {
    for (int g : guilds) {
      for (int b : batch_max) RunCell(*pg, b, g, clients, seconds, table);
    }
  }
  table.Print();
  pg.reset();
  (void)cluster->Stop();
  cluster.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
