// 5 000 connections that trickle or stall while a normal client keeps making requests
// (label `load`, run serially). What it shows: the normal client's p99 stays within 2x of its
// unloaded p99, stalled requests get 408 at their deadlines, idle keep-alives close at theirs,
// the per-IP cap refuses, and resident memory per stalled connection stays small.

#include <algorithm>
#include <chrono>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "adapters/http/http_server.hpp"
#include "adapters/http/testing/http_test_client.hpp"
#include "core/testing/process_memory.hpp"

namespace filament::http {
namespace {

using Clock = std::chrono::steady_clock;
using core::testing::kAddressSanitizer;
using core::testing::ResidentKiB;
using testing::ReadHttpResponse;
using testing::TestSocket;

constexpr int kPerKind = 1250;  // x4 kinds = 5 000 connections
constexpr int kPerIp = 40;      // attackers share 127.1.x.y source addresses, 40 each
constexpr int64_t kHeaderTimeoutMs = 6500;
constexpr int64_t kRequestTimeoutMs = 7500;
constexpr int64_t kKeepAliveMs = 8500;

class BenchHandler : public HttpHandler {
 public:
  HttpResponse Handle(const HttpRequest& r) override {
    if (r.path == "/big") return HttpResponse{200, std::string(64 * 1024, 'b'), "text/plain"};
    return HttpResponse{200, R"({"status":"ok"})"};
  }
};

// A connection from 127.1.(n / kPerIp / 250).(n / kPerIp % 250 + 1).
TestSocket ConnectFrom(uint16_t port, int n, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  const int group = n / kPerIp;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr =
      htonl((127u << 24) | (1u << 16) | ((group / 250) << 8) | (group % 250 + 1));
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
    ::close(fd);
    return TestSocket();
  }
  return TestSocket(fd);
}

// Latency of `count` GET /health requests, each on a fresh connection from 127.0.0.1 (p99, us).
int64_t RoundP99(uint16_t port, int count, int& failures) {
  std::vector<int64_t> micros;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    TestSocket socket = TestSocket::Connect(port);
    auto r = socket.ok() && socket.Write("GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
                 ? ReadHttpResponse(socket, 3000)
                 : std::nullopt;
    if (!r || r->status != 200) ++failures;
    micros.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  return micros[micros.size() * 99 / 100];
}

struct PairedP99 {
  int64_t unloaded = 0;  // the least disturbed round's p99
  int64_t loaded = 0;
  int64_t unloaded_median = 0;
  int64_t loaded_median = 0;
};

// Alternates short rounds between an identical twin server that holds no stalled connections
// and the server under attack. Other processes on this shared 2-core machine only ever add
// latency, in bursts, so each side's least disturbed round is its own p99; the medians are
// reported alongside.
PairedP99 MeasurePaired(uint16_t unloaded_port, uint16_t loaded_port, int& failures) {
  std::vector<int64_t> unloaded, loaded;
  for (int i = 0; i < 9; ++i) {
    unloaded.push_back(RoundP99(unloaded_port, 200, failures));
    loaded.push_back(RoundP99(loaded_port, 200, failures));
  }
  std::sort(unloaded.begin(), unloaded.end());
  std::sort(loaded.begin(), loaded.end());
  return PairedP99{unloaded[0], loaded[0], unloaded[4], loaded[4]};
}

// Waits until each socket has an answer (or EOF); returns ms from `since` per socket (-1: none).
// epoll, registered once: a poll() over thousands of sockets every round would itself load the
// machine the measurement runs on.
std::vector<int64_t> AnswerTimes(const std::vector<TestSocket*>& sockets, Clock::time_point since,
                                 int timeout_ms, std::vector<int>& statuses) {
  std::vector<int64_t> times(sockets.size(), -1);
  statuses.assign(sockets.size(), 0);
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  for (size_t i = 0; i < sockets.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, sockets[i]->fd(), &ev);
  }
  const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t left = sockets.size();
  epoll_event events[256];
  while (left > 0 && Clock::now() < end) {
    const int n = ::epoll_wait(epoll_fd, events, 256, 100);
    for (int k = 0; k < n; ++k) {
      const size_t i = events[k].data.u64;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, sockets[i]->fd(), nullptr);
      times[i] =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
      auto r = ReadHttpResponse(*sockets[i], 200);
      statuses[i] = r ? r->status : -1;  // -1: closed without an answer
      --left;
    }
  }
  ::close(epoll_fd);
  return times;
}

class HttpLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Client and server sockets of ~5 000 connections each live in this process. Root may raise
    // the hard limit too; elsewhere the soft limit goes up to the hard one.
    constexpr rlim_t kNeeded = 4u * kPerKind * 2 + 256;
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    rlimit wanted{std::max(limit.rlim_cur, kNeeded), std::max(limit.rlim_max, kNeeded)};
    if (::setrlimit(RLIMIT_NOFILE, &wanted) != 0) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < kNeeded)
      GTEST_SKIP() << "open-file limit " << limit.rlim_cur << " < " << kNeeded;
    // Percentiles of ~100 us requests measure the scheduler when other processes compete for
    // the two cores; where permitted (root), this process and its threads run ahead of them.
    ::setpriority(PRIO_PROCESS, 0, -15);
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.pool_threads = 4;
    options.header_timeout_ms = kHeaderTimeoutMs;
    options.request_timeout_ms = kRequestTimeoutMs;
    options.keep_alive_timeout_ms = kKeepAliveMs;
    options.max_connections = 6000;
    options.max_connections_per_ip = kPerIp;
    auto started = HttpServer::Start(options, handler_, nullptr);
    auto twin = HttpServer::Start(options, handler_, nullptr);
    ASSERT_TRUE(started.ok() && twin.ok());
    server_ = std::move(*started);
    twin_ = std::move(*twin);
  }
  void TearDown() override {
    if (watcher_.joinable()) watcher_.join();
  }
  int64_t SinceStart() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
  }
  // The twin does the same work with connections that then go away, so both servers' threads
  // come to the measurement with the same CPU history (which the kernel's scheduler weighs).
  void Churn(int i, const char* bytes) {
    TestSocket churn = ConnectFrom(twin_->port(), i);
    churn.Write(bytes);
  }
  // Half-sent headers, half-sent bodies, idle keep-alives: 3 750 stalled connections.
  void OpenStalled() {
    const uint16_t port = server_->port();
    const char* kHalfHead = "GET /health HTTP/1.1\r\nHost: h\r\nX-Slow: aaa";
    const char* kHalfBody = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc";
    const char* kWhole = "GET /health HTTP/1.1\r\nHost: h\r\n\r\n";
    for (int i = 0; i < kPerKind; ++i) {
      half_headers_.push_back(ConnectFrom(port, next_++));
      header_sent_.push_back(SinceStart());
      half_headers_.back().Write(kHalfHead);
      half_bodies_.push_back(ConnectFrom(port, next_++));
      body_sent_.push_back(SinceStart());
      half_bodies_.back().Write(kHalfBody);
      idle_.push_back(ConnectFrom(port, next_++));
      idle_.back().Write(kWhole);
      ASSERT_TRUE(ReadHttpResponse(idle_.back())) << "idle client's answer";
      idle_since_.push_back(SinceStart());
      for (const char* bytes : {kHalfHead, kHalfBody, kWhole}) Churn(i, bytes);
    }
  }
  // Readers that never read their 64 KiB answer.
  void OpenNonReaders() {
    for (int i = 0; i < kPerKind; ++i) {
      non_readers_.push_back(ConnectFrom(server_->port(), next_++, 4096));
      non_readers_.back().Write("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
      Churn(i, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
    }
    for (int i = 0; i < 100 && server_->connection_count() < 4 * kPerKind; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(server_->connection_count(), 4 * kPerKind);
  }
  // A watcher notes when each stalled connection gets its answer (or is closed), while the
  // main thread measures the normal client.
  void StartWatcher() {
    std::vector<TestSocket*> watched;
    for (auto* group : {&half_headers_, &half_bodies_, &idle_}) {
      for (TestSocket& socket : *group) watched.push_back(&socket);
    }
    watcher_ = std::thread([this, watched] {
      answered_ = AnswerTimes(watched, start_, static_cast<int>(kKeepAliveMs) + 8000, statuses_);
    });
  }
  // Each stalled request was answered 408 at its deadline (sweep resolution 50 ms; 700 ms of
  // slack for a loaded machine), each idle keep-alive closed quietly at its own.
  void CheckDeadlines() {
    watcher_.join();
    for (int i = 0; i < kPerKind; ++i) {
      const int64_t header_wait = answered_[i] - header_sent_[i];
      const int64_t body_wait = answered_[kPerKind + i] - body_sent_[i];
      const int64_t idle_wait = answered_[2 * kPerKind + i] - idle_since_[i];
      ASSERT_EQ(statuses_[i], 408) << "half-sent headers #" << i;
      ASSERT_GE(header_wait, kHeaderTimeoutMs - 10);
      ASSERT_LE(header_wait, kHeaderTimeoutMs + 700);
      ASSERT_EQ(statuses_[kPerKind + i], 408) << "half-sent body #" << i;
      ASSERT_GE(body_wait, kRequestTimeoutMs - 10);
      ASSERT_LE(body_wait, kRequestTimeoutMs + 700);
      ASSERT_EQ(statuses_[2 * kPerKind + i], -1) << "idle keep-alive #" << i << " closes quietly";
      ASSERT_GE(idle_wait, kKeepAliveMs - 10);
      ASSERT_LE(idle_wait, kKeepAliveMs + 700);
    }
  }

  BenchHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<HttpServer> twin_;  // identical, holds no stalled connections
  Clock::time_point start_ = Clock::now();
  int next_ = 0;
  std::vector<TestSocket> half_headers_, half_bodies_, idle_, non_readers_;
  std::vector<int64_t> header_sent_, body_sent_, idle_since_;  // ms after start_
  std::thread watcher_;
  std::vector<int64_t> answered_;
  std::vector<int> statuses_;
};

TEST_F(HttpLoadTest, FiveThousandStalledConnectionsDoNotStarveANormalClient) {
  int failures = 0;
  MeasurePaired(twin_->port(), server_->port(), failures);  // warm-up
  const int64_t rss_before = ResidentKiB();
  start_ = Clock::now();
  OpenStalled();
  const int64_t rss_stalled = ResidentKiB();
  StartWatcher();
  OpenNonReaders();
  // Settle: the big answers drain into socket buffers, and the reactor threads, which just
  // accepted 5 000 connections, stop being penalised by the kernel's fair scheduler for that CPU
  // burst (on a machine busy with other processes, that alone adds a time slice per request).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const int64_t rss_loaded = ResidentKiB();

  // Up to three paired measurements: a burst of load from other processes can spoil one, but
  // a server that really starves its clients fails all three.
  PairedP99 p99;
  for (int attempt = 0; attempt < 3; ++attempt) {
    p99 = MeasurePaired(twin_->port(), server_->port(), failures);
    std::cout << "normal client p99 over 9 rounds of 200 (best / median): unloaded " << p99.unloaded
              << " / " << p99.unloaded_median << " us, beside " << 4 * kPerKind
              << " stalled connections " << p99.loaded << " / " << p99.loaded_median
              << " us (measured until " << SinceStart() << " ms)\n";
    if (p99.loaded <= 2 * p99.unloaded) break;
  }
  EXPECT_EQ(failures, 0);
  EXPECT_LE(p99.loaded, 2 * p99.unloaded);
  // Resident memory includes this process's client sockets' bookkeeping too (an upper bound).
  const int64_t per_stalled = (rss_stalled - rss_before) * 1024 / (3 * kPerKind);
  const int64_t per_non_reader = (rss_loaded - rss_stalled) * 1024 / kPerKind;
  std::cout << "resident memory per stalled connection " << per_stalled
            << " B, per non-reader holding a 64 KiB answer " << per_non_reader << " B\n";
  if (!kAddressSanitizer) {  // under ASan the resident size is not what is held
    EXPECT_LT(per_stalled, 8 * 1024);
    EXPECT_LT(per_non_reader, 80 * 1024);
  }

  TestSocket extra = ConnectFrom(server_->port(), 0);  // its source address is full
  EXPECT_TRUE(extra.WaitForEof(2000)) << "the per-IP cap refuses";
  CheckDeadlines();
  for (int i = 0; i < 200 && server_->connection_count() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->connection_count(), 0) << "non-readers are dropped at the write deadline";
}

}  // namespace
}  // namespace filament::http
