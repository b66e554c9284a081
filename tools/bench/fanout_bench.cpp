// fanout_bench: a WebSocket fan-out load generator (issue #11). It opens N WebSocket
// connections with non-blocking sockets on epoll, subscribes each one to one room, publishes
// open-loop at a fixed rate from a separate thread, and measures deliveries/s and delivery
// latency (the publisher puts CLOCK_MONOTONIC nanoseconds at the start of each payload; every
// subscriber subtracts it from its own clock on receipt). The same generator drives three
// servers with the same payload size and subscriber count:
//   filament   GET /gateway/ws + `subscribe`; publishes with REST POST …/messages (the real
//              path: command → log → read models → gateway)
//   nats       nats-server's WebSocket listener: CONNECT + SUB; publishes PUB over TCP
//   mosquitto  MQTT 3.1.1 over WebSocket (subprotocol mqtt): CONNECT + SUBSCRIBE QoS 0;
//              publishes PUBLISH QoS 0 over TCP
// Server CPU seconds and RSS come from /proc/<--server-pid>. Run through fanout_bench.sh.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/bench/fanout_wire.hpp"

namespace {

using namespace filament::bench;  // NOLINT(google-build-using-namespace): one tool

// ---- one subscriber connection ---------------------------------------------------------

struct Conn {
  int fd = -1;
  enum class State { kConnecting, kUpgrading, kOpen, kClosed } state = State::kConnecting;
  bool subscribed = false;
  std::string in, out, stream;  // raw bytes in, bytes to write, de-framed protocol stream
};

class Subscribers {
 public:
  Subscribers(const Options& o, int count, int first_id, std::atomic<int64_t>& window_start,
              std::atomic<int64_t>& window_end)
      : o_(o), count_(count), first_id_(first_id), start_(window_start), end_(window_end) {
    epoll_ = epoll_create1(0);
    stats_.latency_us.reserve(1 << 20);
  }
  ~Subscribers() {
    for (auto& c : conns_) {
      if (c->fd >= 0) close(c->fd);
    }
    close(epoll_);
  }

  // Runs the event loop until `stop` is set. Connections are opened from inside the loop, a
  // batch per round and at most --connect-window still in their handshake, so each one sends
  // its upgrade request as soon as it is connected, as a real client does, and set-up measures
  // the server's set-up rate instead of the kernel's listen backlog. (Opening all of them
  // before the first round left the first-accepted ones silent for seconds at 19 000
  // connections, and the server's 5 s first-request timeout closed them; unbounded, the burst
  // overflows the backlog, and the SYN and data retransmits of the dropped ones can hit the
  // same timeout. Both read as failed connects.)
  void Run(const std::atomic<bool>& stop) {
    std::vector<epoll_event> events(1024);
    std::vector<char> buffer(1 << 18);
    while (!stop.load(std::memory_order_relaxed)) {
      const int settled = subscribed() + failed();
      const int setting_up = static_cast<int>(conns_.size()) - settled;
      const int window = o_.connect_window > 0 ? o_.connect_window : count_;
      const bool opening = static_cast<int>(conns_.size()) < count_ && setting_up < window;
      if (opening) OpenSome(std::min(kConnectsPerRound, window - setting_up));
      const int n =
          epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), opening ? 0 : 50);
      for (int i = 0; i < n; ++i) {
        auto* c = static_cast<Conn*>(events[i].data.ptr);
        if (events[i].events & (EPOLLERR | EPOLLHUP)) Fail(*c);
        if (c->state == Conn::State::kClosed) continue;
        if (events[i].events & EPOLLOUT) Flush(*c);
        if (events[i].events & EPOLLIN) Read(*c, buffer);
      }
    }
  }

  const Stats& stats() const { return stats_; }
  // Each connection settles once: subscribed, or failed before it subscribed. A subscribed one
  // the server closes later is counted again in dropped(), never in failed().
  int subscribed() const { return subscribed_.load(std::memory_order_relaxed); }
  int failed() const { return failed_.load(std::memory_order_relaxed); }
  int dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kConnectsPerRound = 256;

  void OpenSome(int most) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.ws_port));
    inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
    for (int i = 0; i < most && static_cast<int>(conns_.size()) < count_; ++i) {
      auto c = std::make_unique<Conn>();
      c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (c->fd < 0) {  // out of descriptors: a failed connect, not a crash of this thread
        std::fprintf(stderr, "socket(): %s\n", strerror(errno));
        c->state = Conn::State::kClosed;
        failed_.fetch_add(1, std::memory_order_relaxed);
        conns_.push_back(std::move(c));
        continue;
      }
      int one = 1;
      setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      connect(c->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      c->out = UpgradeRequest(first_id_ + static_cast<int>(conns_.size()));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.ptr = c.get();
      epoll_ctl(epoll_, EPOLL_CTL_ADD, c->fd, &ev);
      conns_.push_back(std::move(c));
    }
  }

  std::string UpgradeRequest(int id) const {
    std::string path = "/";
    std::string extra;
    if (o_.kind == Target::kFilament) path = "/gateway/ws?access_token=" + o_.token;
    if (o_.kind == Target::kMosquitto) {
      path = "/mqtt";
      extra = "Sec-WebSocket-Protocol: mqtt\r\n";
    }
    (void)id;
    return "GET " + path + " HTTP/1.1\r\nHost: " + o_.host +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
           extra + "\r\n";
  }

  void Fail(Conn& c) {
    if (c.state == Conn::State::kClosed) return;
    c.state = Conn::State::kClosed;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
    (c.subscribed ? dropped_ : failed_).fetch_add(1, std::memory_order_relaxed);
  }

  void Send(Conn& c, std::string_view bytes) {
    c.out.append(bytes);
    Flush(c);
  }

  void Flush(Conn& c) {
    if (c.state == Conn::State::kConnecting) c.state = Conn::State::kUpgrading;
    while (!c.out.empty()) {
      const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno != EAGAIN) Fail(c);
        return;
      }
      c.out.erase(0, static_cast<size_t>(n));
    }
  }

  void Read(Conn& c, std::vector<char>& buffer) {
    for (;;) {
      const ssize_t n = recv(c.fd, buffer.data(), buffer.size(), 0);
      if (n == 0) return Fail(c);
      if (n < 0) {
        if (errno != EAGAIN) Fail(c);
        return;
      }
      stats_.bytes += static_cast<uint64_t>(n);
      c.in.append(buffer.data(), static_cast<size_t>(n));
      if (c.state == Conn::State::kUpgrading && !FinishUpgrade(c)) return;
      ParseFrames(c);
      if (c.state == Conn::State::kClosed) return;
    }
  }

  bool FinishUpgrade(Conn& c) {
    const size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
      std::fprintf(stderr, "upgrade refused: %s\n", c.in.substr(0, c.in.find('\r')).c_str());
      Fail(c);
      return false;
    }
    c.in.erase(0, end + 4);
    c.state = Conn::State::kOpen;
    std::string frame;
    if (o_.kind == Target::kFilament) {
      AppendMaskedFrame(frame, 0x1,
                        R"({"v":1,"t":"subscribe","d":{"guild_id":")" + o_.guild +
                            R"(","channel_id":")" + o_.channel + R"("}})");
    } else if (o_.kind == Target::kNats) {
      AppendMaskedFrame(
          frame, 0x1, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB room.1 1\r\nPING\r\n");
    } else {
      AppendMaskedFrame(frame, 0x2,
                        MqttConnect("b" + std::to_string(c.fd)) + MqttSubscribe("room/1"));
    }
    Send(c, frame);
    return true;
  }

  void ParseFrames(Conn& c) {
    size_t pos = 0;
    while (c.state == Conn::State::kOpen && c.in.size() - pos >= 2) {
      const auto* p = reinterpret_cast<const uint8_t*>(c.in.data() + pos);
      const uint8_t opcode = p[0] & 0x0F;
      uint64_t len = p[1] & 0x7F;
      size_t header = 2;
      if (len == 126) {
        if (c.in.size() - pos < 4) break;
        len = (uint64_t{p[2]} << 8) | p[3];
        header = 4;
      } else if (len == 127) {
        if (c.in.size() - pos < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
        header = 10;
      }
      if (c.in.size() - pos < header + len) break;
      std::string_view payload(c.in.data() + pos + header, static_cast<size_t>(len));
      pos += header + static_cast<size_t>(len);
      if (opcode == 0x9) {
        std::string pong;
        AppendMaskedFrame(pong, 0xA, payload);
        Send(c, pong);
      } else if (opcode == 0x8) {
        return Fail(c);
      } else if (opcode <= 0x2) {
        ++stats_.frames;
        OnPayload(c, payload);
      }
    }
    c.in.erase(0, pos);
  }

  void MarkSubscribed(Conn& c) {
    if (c.subscribed) return;
    c.subscribed = true;
    subscribed_.fetch_add(1, std::memory_order_relaxed);
  }

  void Record(int64_t stamp) {
    const int64_t now = NowNs();
    if (stamp < start_.load(std::memory_order_relaxed) ||
        stamp >= end_.load(std::memory_order_relaxed)) {
      return;
    }
    stats_.latency_us.push_back(static_cast<uint32_t>(std::max<int64_t>(0, now - stamp) / 1000));
  }

  void OnPayload(Conn& c, std::string_view payload) {
    if (o_.kind == Target::kFilament) {
      if (payload.find(R"("t":"message_create")") != std::string_view::npos) {
        const size_t at = payload.find(R"("content":")");
        if (at != std::string_view::npos) Record(StampAt(payload, at + 11));
      } else if (payload.find(R"("t":"subscribed")") != std::string_view::npos) {
        MarkSubscribed(c);
      }
      return;
    }
    c.stream.append(payload);
    if (o_.kind == Target::kNats) return ParseNats(c);
    ParseMqtt(c);
  }

  void ParseNats(Conn& c) {
    size_t pos = 0;
    for (;;) {
      const size_t eol = c.stream.find("\r\n", pos);
      if (eol == std::string::npos) break;
      std::string_view line(c.stream.data() + pos, eol - pos);
      if (line.rfind("MSG ", 0) == 0) {
        const size_t size = std::stoul(std::string(line.substr(line.rfind(' ') + 1)));
        if (c.stream.size() < eol + 2 + size + 2) break;
        Record(StampAt(c.stream, eol + 2));
        pos = eol + 2 + size + 2;
        continue;
      }
      if (line == "PING") {
        std::string pong;
        AppendMaskedFrame(pong, 0x1, "PONG\r\n");
        Send(c, pong);
      } else if (line == "PONG") {
        MarkSubscribed(c);
      } else if (line.rfind("-ERR", 0) == 0) {
        std::fprintf(stderr, "nats: %.*s\n", static_cast<int>(line.size()), line.data());
      }
      pos = eol + 2;
    }
    c.stream.erase(0, pos);
  }

  void ParseMqtt(Conn& c) {
    size_t pos = 0;
    while (c.stream.size() - pos >= 2) {
      const auto* p = reinterpret_cast<const uint8_t*>(c.stream.data() + pos);
      size_t length = 0, shift = 0, i = 1;
      for (; i < 5 && pos + i < c.stream.size(); ++i, shift += 7) {
        length |= size_t{static_cast<uint8_t>(p[i] & 0x7F)} << shift;
        if ((p[i] & 0x80) == 0) break;
      }
      if (pos + i >= c.stream.size() || pos + i + 1 + length > c.stream.size()) break;
      const size_t body = pos + i + 1;
      const uint8_t type = p[0] >> 4;
      if (type == 3) {  // PUBLISH QoS 0: topic, then the payload
        const size_t topic = (size_t{static_cast<uint8_t>(c.stream[body])} << 8) |
                             static_cast<uint8_t>(c.stream[body + 1]);
        Record(StampAt(c.stream, body + 2 + topic));
      } else if (type == 9) {  // SUBACK
        MarkSubscribed(c);
      }
      pos = body + length;
    }
    c.stream.erase(0, pos);
  }

  const Options& o_;
  int count_, first_id_;
  std::atomic<int64_t>& start_;
  std::atomic<int64_t>& end_;
  int epoll_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;
  Stats stats_;
  std::atomic<int> subscribed_{0}, failed_{0}, dropped_{0};
};

int Run(Options o) {
  o.kind = o.target == "nats"        ? Target::kNats
           : o.target == "mosquitto" ? Target::kMosquitto
                                     : Target::kFilament;
  const long rss_before = RssKib(o.server_pid);
  std::atomic<int64_t> window_start{INT64_MAX}, window_end{INT64_MAX};
  std::vector<std::unique_ptr<Subscribers>> groups;
  for (int t = 0; t < o.threads; ++t) {
    const int share = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    groups.push_back(std::make_unique<Subscribers>(o, share, t * share, window_start, window_end));
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> loops;
  for (auto& g : groups) {
    loops.emplace_back([&g, &stop] { g->Run(stop); });
  }
  const auto setup_start = std::chrono::steady_clock::now();
  auto settled = [&] {
    int done = 0;
    for (auto& g : groups) done += g->subscribed() + g->failed();
    return done;
  };
  while (settled() < o.connections &&
         std::chrono::steady_clock::now() - setup_start < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int subscribed = 0, failed = 0, dropped = 0;  // subscribed: those still open
  for (auto& g : groups) {
    subscribed += g->subscribed() - g->dropped(), failed += g->failed(), dropped += g->dropped();
  }
  const double setup_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();
  if (o.idle > 0) std::this_thread::sleep_for(std::chrono::duration<double>(o.idle));
  const long rss_idle = RssKib(o.server_pid);

  PublishResult totals;
  // The generator's own CPU over the window: on a 2-core box it competes with the server, and
  // when it nears a core per thread the generator, not the server, bounds the deliveries.
  double cpu = 0, generator_cpu = 0, window_s = 0;
  if (o.rate > 0 && o.seconds > 0) {
    const int64_t begin = NowNs();
    window_start = begin + static_cast<int64_t>(o.warmup * 1e9);
    window_end = window_start + static_cast<int64_t>(o.seconds * 1e9);
    std::vector<PublishResult> results(static_cast<size_t>(o.publishers));
    std::vector<std::thread> pubs;
    for (int i = 0; i < o.publishers; ++i) {
      pubs.emplace_back(
          [&, i] { Publish(o, i, window_end.load(), results[static_cast<size_t>(i)]); });
    }
    std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(window_start.load())));
    const double cpu_start = CpuSeconds(o.server_pid);
    const double own_start = CpuSeconds(getpid());
    std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(window_end.load())));
    cpu = CpuSeconds(o.server_pid) - cpu_start;
    generator_cpu = CpuSeconds(getpid()) - own_start;
    window_s = o.seconds;
    for (auto& t : pubs) t.join();
    for (auto& r : results) totals.sent += r.sent, totals.failed += r.failed;
    std::this_thread::sleep_for(std::chrono::seconds(2));  // let the last deliveries land
  }
  const long rss_end = RssKib(o.server_pid);
  stop = true;
  for (auto& t : loops) t.join();

  // Connections the server closed after the set-up (e.g. evicted for a full outbound queue):
  // their missing deliveries are in `expected`, so a run that lost subscribers says so here.
  int closed_later = -dropped;
  for (auto& g : groups) closed_later += g->dropped();
  std::vector<uint32_t> latencies;
  uint64_t frames = 0, bytes = 0;
  for (auto& g : groups) {
    latencies.insert(latencies.end(), g->stats().latency_us.begin(), g->stats().latency_us.end());
    frames += g->stats().frames, bytes += g->stats().bytes;
  }
  const double published_in_window = o.rate * window_s;
  const double expected = published_in_window * subscribed;
  std::printf(
      "{\"target\":\"%s\",\"connections\":%d,\"subscribed\":%d,\"failed\":%d,\"setup_s\":%.2f,"
      "\"rate\":%.0f,\"seconds\":%.1f,\"payload\":%d,\"published\":%llu,\"publish_failed\":%llu,"
      "\"deliveries\":%zu,\"expected\":%.0f,\"deliveries_per_s\":%.0f,\"p50_ms\":%.2f,"
      "\"p99_ms\":%.2f,\"p999_ms\":%.2f,\"max_ms\":%.2f,\"bytes_per_frame\":%.0f,"
      "\"server_cpu_s\":%.2f,\"server_cpu_s_per_1m\":%.2f,\"server_rss_kib\":[%ld,%ld,%ld],"
      "\"idle_kib_per_conn\":%.2f,\"closed_later\":%d,\"generator_cpu_s\":%.2f}\n",
      o.target.c_str(), o.connections, subscribed, failed, setup_s, o.rate, window_s, o.payload,
      static_cast<unsigned long long>(totals.sent), static_cast<unsigned long long>(totals.failed),
      latencies.size(), expected, window_s > 0 ? latencies.size() / window_s : 0.0,
      Percentile(latencies, 50), Percentile(latencies, 99), Percentile(latencies, 99.9),
      Percentile(latencies, 100), frames ? static_cast<double>(bytes) / frames : 0.0, cpu,
      latencies.empty() ? 0.0 : cpu / (latencies.size() / 1e6), rss_before, rss_idle, rss_end,
      subscribed ? static_cast<double>(rss_idle - rss_before) / subscribed : 0.0, closed_later,
      generator_cpu);
  return subscribed == o.connections ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"WebSocket fan-out load generator: Filament, NATS, Mosquitto"};
  app.add_option("--target", o.target, "filament | nats | mosquitto")
      ->check(CLI::IsMember({"filament", "nats", "mosquitto"}));
  app.add_option("--host", o.host, "server address (loopback)");
  app.add_option("--ws-port", o.ws_port, "WebSocket port")->required();
  app.add_option("--pub-port", o.pub_port, "publisher port (Filament HTTP, NATS, MQTT)");
  app.add_option("--connections", o.connections, "subscriber connections")
      ->check(CLI::Range(1, 60000));
  app.add_option("--rate", o.rate, "published messages per second (0: connect only)");
  app.add_option("--warmup", o.warmup, "seconds published before the window");
  app.add_option("--seconds", o.seconds, "measurement window in seconds");
  app.add_option("--idle", o.idle, "seconds to hold idle connections before publishing");
  app.add_option("--payload", o.payload, "payload bytes (a timestamp, padded)")
      ->check(CLI::Range(24, 60000));
  app.add_option("--threads", o.threads, "subscriber epoll threads")->check(CLI::Range(1, 16));
  app.add_option("--connect-window", o.connect_window,
                 "connections per thread in their handshake at once (0: all at once)")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--publishers", o.publishers, "publisher connections")->check(CLI::Range(1, 64));
  app.add_option("--token", o.token, "filament: access token of the subscriber user");
  app.add_option("--guild", o.guild, "filament: guild id");
  app.add_option("--channel", o.channel, "filament: channel id");
  app.add_option("--server-pid", o.server_pid, "server process for CPU and RSS");
  CLI11_PARSE(app, argc, argv);
  if (o.pub_port == 0) o.pub_port = o.ws_port;
  try {
    return Run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fanout_bench: %s\n", e.what());
    return 2;
  }
}
