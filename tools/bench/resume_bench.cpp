// Gateway v2 resume cost (ADR 0060, issue #9 "Benchmarks"), in process on the real GatewayHub
// with in-memory connections (no sockets: this measures the hub, its replay window and pump):
//   1. one client resumes 10 000 missed events: time from `resume` to `resumed`;
//   2. a reconnect storm: 1 000 clients resume at once (each missing `--storm-missed` events)
//      while `--live` other v2 clients receive events published at `--rate`/s; the live
//      delivery latency (publish → frame queued on each live connection) p50/p99 is measured
//      without and with the storm.
// Usage: resume_bench [--missed 10000 --storm 1000 --storm-missed 1000 --live 100 --rate 500
//                      --one-storm-user]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/clock.hpp"
#include "gateway/gateway_hub.hpp"

namespace filament::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Accepts everything (a client that reads as fast as the hub writes); records when the frames
// that carry a publish timestamp arrive, and when `resumed` does.
class SinkConnection : public http::WsConnection {
 public:
  bool Send(std::string text) override {
    const int64_t now = Now();
    std::lock_guard lock(mu_);
    ++frames_;
    // Cheap checks (a real connection only queues the frame): a frame's type is at a fixed
    // place in a v2 envelope, {"v":2,"t":"…
    const std::string_view head = std::string_view(text).substr(0, 32);
    if (head.starts_with(R"({"v":2,"t":"resumed")")) resumed_at_ = now;
    if (head.starts_with(R"({"v":2,"t":"resume_unavailable")")) unavailable_ = true;
    if (!record_latency_ || !head.starts_with(R"({"v":2,"t":"message_create")")) return true;
    const size_t at = text.rfind(R"("sent_ns":)");
    if (at != std::string::npos) latencies_.push_back(now - std::stoll(text.substr(at + 10)));
    return true;
  }
  void Close(uint16_t, std::string) override { closed_ = true; }
  void Drop() override { closed_ = true; }
  bool closed() const override { return closed_; }
  uint64_t id() const override { return id_; }

  int64_t resumed_at() {
    std::lock_guard lock(mu_);
    return resumed_at_;
  }
  bool unavailable() {
    std::lock_guard lock(mu_);
    return unavailable_;
  }
  void RecordLatency(bool on) {
    std::lock_guard lock(mu_);
    record_latency_ = on;
  }
  std::vector<int64_t> TakeLatencies() {
    std::lock_guard lock(mu_);
    return std::move(latencies_);
  }

 private:
  static inline std::atomic<uint64_t> next_{1};
  const uint64_t id_ = next_++;
  std::mutex mu_;
  int64_t frames_ = 0;
  int64_t resumed_at_ = 0;
  bool unavailable_ = false;
  bool record_latency_ = false;
  std::vector<int64_t> latencies_;
  std::atomic<bool> closed_{false};
};

class AllowAll : public gateway::SubscribeAuthorizer, public gateway::IngressMessagePoster {
 public:
  core::Result<bool> MayView(const std::string&, const std::string&, const std::string&) override {
    return true;
  }
  core::Status Post(const std::string&, const std::string&, const std::string&, const std::string&,
                    const std::vector<std::string>&, const std::string&) override {
    return core::OkStatus();
  }
};

constexpr char kGuild[] = "01HGGGGGGGGGGGGGGGGGGGGGGG";
constexpr char kChannel[] = "01HCCCCCCCCCCCCCCCCCCCCCCC";
const std::string kPayload(400, 'x');  // about a message_create's size
// All storm connections of one user: isolates the replay from presence, whose online/offline
// fan-out to the guild (the contract's, per new user) is O(users²) in a storm of distinct users.
bool g_one_storm_user = false;
int g_pump_percent =
    50;  // GatewayOptions::resume_pump_percent (FILAMENT_GATEWAY_RESUME_PUMP_PERCENT)

struct Client {
  std::shared_ptr<http::WsSessionHandler> session;
  std::shared_ptr<SinkConnection> connection;
};

class Bench {
 public:
  explicit Bench(int64_t window) {
    gateway::GatewayOptions options;
    options.resume_max_events = window;
    options.worker_threads = 2;
    options.resume_pump_percent = g_pump_percent;
    hub_ = std::make_unique<gateway::GatewayHub>(options, clock_, allow_, allow_);
    hub_->StartReplayWindow({0});
  }
  ~Bench() { hub_->Shutdown(); }

  void Publish() {
    auto entry = std::make_shared<gateway::ReplayEntry>();
    entry->offset = next_offset_++;
    entry->events.push_back(
        {gateway::LogEvent::Scope::kChannel, kGuild, kChannel, "", "message_create",
         R"({"pad":")" + kPayload + R"(","sent_ns":)" + std::to_string(Now()) + "}"});
    hub_->PublishRecord(entry);
  }
  int64_t head() const { return next_offset_; }

  Client Connect(const std::string& user, const std::string& first_frame) {
    Client client{hub_->CreateSession(user, "127.0.0.1", 2), std::make_shared<SinkConnection>()};
    client.session->OnOpen(client.connection);
    client.session->OnMessage(first_frame);
    return client;
  }
  static std::string Resume(int64_t offset) {
    return R"({"v":2,"t":"resume","d":{"cursor":"1.)" + std::to_string(offset) +
           R"(","subscriptions":[{"guild_id":")" + kGuild + R"(","channel_id":")" + kChannel +
           R"("}]}})";
  }
  static std::string Subscribe() {
    return R"({"v":2,"t":"subscribe","d":{"guild_id":")" + std::string(kGuild) +
           R"(","channel_id":")" + kChannel + R"("}})";
  }

 private:
  core::SystemClock clock_;
  AllowAll allow_;
  std::unique_ptr<gateway::GatewayHub> hub_;
  int64_t next_offset_ = 0;
};

std::string User(int i) {
  std::string id = "01HU" + std::to_string(1000000 + i);
  id.resize(26, 'A');
  return id;
}

double Percentile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))] / 1e6;
}

bool WaitResumed(const std::vector<Client>& clients, int seconds) {
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < deadline) {
    bool all = true;
    for (const Client& c : clients) all = all && c.connection->resumed_at() != 0;
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

void OneClient(int64_t missed) {
  Bench bench(missed + 1);
  for (int64_t i = 0; i < missed; ++i) bench.Publish();
  const int64_t start = Now();
  std::vector<Client> clients{bench.Connect(User(0), Bench::Resume(0))};
  if (!WaitResumed(clients, 120)) std::fprintf(stderr, "one client: not resumed\n");
  const double ms = (clients[0].connection->resumed_at() - start) / 1e6;
  std::printf("| one client catches up %lld missed events | %.1f ms | %.0f events/s |\n",
              static_cast<long long>(missed), ms, missed / (ms / 1000));
}

// Live p99 over `seconds` of publishing at `rate`, optionally with a storm started at once.
std::vector<int64_t> LivePhase(Bench& bench, std::vector<Client>& live, int rate, double seconds,
                               int storm, int64_t storm_missed, double* storm_ms) {
  for (Client& c : live) c.connection->RecordLatency(true);
  std::vector<Client> stormers;
  const int64_t start = Now();
  const int64_t from = std::max<int64_t>(0, bench.head() - storm_missed);
  for (int i = 0; i < storm; ++i)
    stormers.push_back(
        bench.Connect(User(g_one_storm_user ? 10000 : 10000 + i), Bench::Resume(from)));
  // Publishes for `seconds`, and on until the whole storm has resumed: the live latency covers
  // the entire storm, not only its start.
  const auto period = std::chrono::nanoseconds(1'000'000'000LL / rate);
  auto next = Clock::now();
  const auto end = next + std::chrono::duration<double>(seconds);
  const auto give_up = next + std::chrono::seconds(300);
  size_t resumed = 0;  // stormers[0..resumed) have resumed
  while (Clock::now() < end || (resumed < stormers.size() && Clock::now() < give_up)) {
    bench.Publish();
    while (resumed < stormers.size() && (stormers[resumed].connection->resumed_at() != 0 ||
                                         stormers[resumed].connection->unavailable())) {
      ++resumed;
    }
    next += period;
    std::this_thread::sleep_until(next);
  }
  if (storm > 0) {
    if (resumed < stormers.size()) std::fprintf(stderr, "storm: not all resumed\n");
    int64_t last = 0;
    int unavailable = 0;
    for (const Client& c : stormers) {
      last = std::max(last, c.connection->resumed_at());
      unavailable += c.connection->unavailable() ? 1 : 0;
    }
    if (unavailable > 0) std::fprintf(stderr, "storm: %d got resume_unavailable\n", unavailable);
    *storm_ms = (last - start) / 1e6;
  }
  std::vector<int64_t> all;
  for (Client& c : live) {
    c.connection->RecordLatency(false);
    auto l = c.connection->TakeLatencies();
    all.insert(all.end(), l.begin(), l.end());
  }
  for (Client& c : stormers) c.session->OnClose(http::WsCloseReason::kClientClose);
  return all;
}

void Storm(int storm, int64_t storm_missed, int live_count, int rate, double seconds) {
  // A window of 100 000 records (200 s at 500 events/s): a slow storm is measured, not cut
  // short by resume_unavailable (which is counted when it happens).
  Bench bench(std::max<int64_t>(storm_missed * 2, 100000));
  for (int64_t i = 0; i < storm_missed; ++i) bench.Publish();
  std::vector<Client> live;
  for (int i = 0; i < live_count; ++i) live.push_back(bench.Connect(User(i), Bench::Subscribe()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  double unused = 0, storm_ms = 0;
  auto before = LivePhase(bench, live, rate, seconds, 0, 0, &unused);
  auto during = LivePhase(bench, live, rate, seconds, storm, storm_missed, &storm_ms);
  auto after = LivePhase(bench, live, rate, seconds, 0, 0, &unused);
  // The storm's clients are subscribed to the channel too, so while (and after) they resume
  // every live event fans out to live + storm connections: the baseline with that audience
  // (the same clients connected and live, no catch-up) separates the replay's cost from the
  // audience's.
  std::vector<Client> audience;
  for (int i = 0; i < storm; ++i) {
    audience.push_back(
        bench.Connect(User(g_one_storm_user ? 10000 : 10000 + i), Bench::Subscribe()));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto same_audience = LivePhase(bench, live, rate, seconds, 0, 0, &unused);
  for (Client& c : audience) c.session->OnClose(http::WsCloseReason::kClientClose);
  std::printf(
      "| live delivery to %d v2 clients at %d events/s, quiet before | p50 %.3f ms | p99 %.3f ms "
      "|\n",
      live_count, rate, Percentile(before, 0.5), Percentile(before, 0.99));
  std::printf(
      "| same, while %d clients resume %lld missed events each | p50 %.3f ms | p99 %.3f ms |\n",
      storm, static_cast<long long>(storm_missed), Percentile(during, 0.5),
      Percentile(during, 0.99));
  std::printf("| same, quiet after | p50 %.3f ms | p99 %.3f ms |\n", Percentile(after, 0.5),
              Percentile(after, 0.99));
  std::printf(
      "| same, quiet, with the storm's %d clients connected live | p50 %.3f ms | p99 %.3f ms |\n",
      storm, Percentile(same_audience, 0.5), Percentile(same_audience, 0.99));
  const double storm_p99 = Percentile(during, 0.99);
  std::printf("| storm p99 / quiet p99, before and after | %.2f× | %.2f× (goal ≤ 2×) |\n",
              storm_p99 / Percentile(before, 0.99), storm_p99 / Percentile(after, 0.99));
  std::printf("| storm p99 / quiet p99 with the same audience | %.2f× | (goal ≤ 2×) |\n",
              storm_p99 / Percentile(same_audience, 0.99));
  std::printf(
      "| the storm: all %d clients resumed (%lld events replayed) | %.0f ms | %.0f events/s |\n",
      storm, static_cast<long long>(storm * storm_missed), storm_ms,
      storm * storm_missed / (storm_ms / 1000));
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) {
  CLI::App app{"gateway v2 resume cost"};
  int64_t missed = 10000, storm_missed = 1000;
  int storm = 1000, live = 100, rate = 500;
  double seconds = 3;
  app.add_option("--missed", missed, "events one client catches up");
  app.add_option("--storm", storm, "clients resuming at once");
  app.add_option("--storm-missed", storm_missed, "events each storm client missed");
  app.add_option("--live", live, "live v2 clients measured");
  app.add_option("--rate", rate, "events published per second");
  app.add_option("--seconds", seconds, "length of each measured phase");
  app.add_flag("--one-storm-user", filament::bench::g_one_storm_user,
               "every storm connection is the same user (no presence fan-out)");
  app.add_option("--pump-percent", filament::bench::g_pump_percent,
                 "share of one core the catch-up pump may use");
  CLI11_PARSE(app, argc, argv);
  std::printf("| scenario | time / latency | rate |\n| --- | --- | --- |\n");
  filament::bench::OneClient(missed);
  filament::bench::Storm(storm, storm_missed, live, rate, seconds);
  return 0;
}
