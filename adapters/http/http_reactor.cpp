#include "adapters/http/http_reactor.hpp"

#include <algorithm>
#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/check.hpp"
#include "core/thread_name.hpp"

namespace filament::http {
namespace {

constexpr uint64_t kEventKey = 0;
constexpr uint64_t kListenKey = 1;  // connection ids start at 2
constexpr int kMaxEvents = 256;
constexpr int kAcceptsPerWakeup = 64;
constexpr int64_t kAcceptBackoffMs = 100;  // after EMFILE and the like
constexpr int kExpiriesPerRound = 32;      // deadline answers between two I/O rounds
std::atomic<uint64_t> g_next_id{2};

std::string PeerIp(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
  } else {
    return "unknown";
  }
  return text;
}

}  // namespace

WorkerPool::WorkerPool(int threads, int running) : max_running_(std::max(1, running)) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.push_back(core::NamedThread("http-worker", [this] { Run(); }));
  }
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Post(std::function<void()> job) {
  std::lock_guard lock(mu_);
  if (stop_) return;
  jobs_.push_back(std::move(job));
  WakeOneIfDue();
}

// A queued job gets a thread of its own only while fewer than max_running_ run: otherwise one
// of those takes it when it finishes its job. Waking a thread per job costs a context switch
// each, several times the work of most jobs on two cores.
void WorkerPool::WakeOneIfDue() {
  if (jobs_.size() > static_cast<size_t>(wakeups_) && sleeping_ > wakeups_ &&
      running_ + wakeups_ < max_running_) {
    ++wakeups_;
    cv_.notify_one();
  }
}

void WorkerPool::OnBlocked() {
  std::lock_guard lock(mu_);
  --running_;
  WakeOneIfDue();
}

void WorkerPool::OnUnblocked() {
  std::lock_guard lock(mu_);
  ++running_;
}

void WorkerPool::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void WorkerPool::Run() {
  core::SetBlockingObserver(this);
  std::unique_lock lock(mu_);
  bool counted = false;  // this thread counts in running_
  for (;;) {
    if (!counted && !jobs_.empty() && (stop_ || running_ + wakeups_ < max_running_)) {
      counted = true;
      ++running_;
    }
    if (counted && !jobs_.empty()) {
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      job = nullptr;
      lock.lock();
      continue;
    }
    if (counted) {
      counted = false;
      --running_;
    }
    if (stop_) break;  // and nothing is queued
    ++sleeping_;
    cv_.wait(lock, [this] { return stop_ || wakeups_ > 0; });
    --sleeping_;
    if (wakeups_ > 0) {
      --wakeups_;
      counted = true;
      ++running_;
    }
  }
  core::SetBlockingObserver(nullptr);
}

ConnectionLimiter::ConnectionLimiter(int64_t max_total, int64_t max_per_ip)
    : max_total_(max_total), max_per_ip_(max_per_ip) {}

bool ConnectionLimiter::TryAcquire(const std::string& ip) {
  std::lock_guard lock(mu_);
  if (total_ >= max_total_) return false;
  int64_t& mine = per_ip_[ip];
  if (max_per_ip_ > 0 && mine >= max_per_ip_) return false;
  ++mine;
  ++total_;
  return true;
}

void ConnectionLimiter::Release(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = per_ip_.find(ip);
  if (it == per_ip_.end()) return;
  if (--it->second <= 0) per_ip_.erase(it);
  --total_;
}

int64_t ConnectionLimiter::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

HttpReactor::HttpReactor(const ServerCore& core, WorkerPool& workers, ConnectionLimiter& limiter,
                         int listen_fd)
    : core_(core), workers_(workers), limiter_(limiter), listen_fd_(listen_fd) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  FILAMENT_CHECK(epoll_fd_ >= 0 && event_fd_ >= 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kEventKey;
  FILAMENT_CHECK(::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev) == 0);
  // EPOLLEXCLUSIVE: one reactor wakes per incoming connection, not all of them.
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.u64 = kListenKey;
  FILAMENT_CHECK(::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0);
  now_ms_ = SteadyNowMs();
  resume_gate_->reactor = this;
  thread_ = core::NamedThread("http-reactor", [this] { Run(); });
}

HttpReactor::~HttpReactor() {
  Stop();
  ::close(event_fd_);
  ::close(epoll_fd_);
}

void HttpReactor::Post(uint64_t id, Reply reply) {
  std::lock_guard lock(inbox_mu_);
  if (stop_) return;
  const bool was_empty = inbox_.empty();
  inbox_.emplace_back(id, std::move(reply));
  if (was_empty) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
  }
}

void HttpReactor::BeginDrain() {
  std::lock_guard lock(inbox_mu_);
  drain_requested_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
}

void HttpReactor::Stop() {
  {
    std::lock_guard lock(resume_gate_->mu);
    resume_gate_->reactor = nullptr;
  }
  {
    std::lock_guard lock(inbox_mu_);
    stop_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void HttpReactor::SetInterest(int fd, uint64_t id, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void HttpReactor::Schedule(uint64_t id, int64_t deadline_ms) { timers_.emplace(deadline_ms, id); }

void HttpReactor::Unwatch(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void HttpReactor::Forget(int fd, uint64_t id) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  finished_.push_back(id);
}

void HttpReactor::Submit(uint64_t id, Exchange exchange) {
  workers_.Post([this, id, exchange = std::move(exchange)]() mutable {
    if (exchange.upgrade) return Post(id, RunUpgrade(core_, exchange));
    HttpResponse response = CallHandler(core_, exchange);
    if (response.defer) return Defer(id, std::move(exchange), std::move(response.defer));
    Post(id, Answer(core_, exchange, std::move(response)));
  });
}

// The connection stays in flight (kHandling) until the answer is posted, so the guarantee of
// Exchange::direct_fd holds for the worker that answers later. That worker runs before
// HttpServer::Stop stops the reactors; a resume after this reactor stopped does nothing.
void HttpReactor::Defer(uint64_t id, Exchange exchange, std::function<void(ResumeResponse)> defer) {
  auto pending = std::make_shared<Exchange>(std::move(exchange));
  auto resumed = std::make_shared<std::atomic<bool>>(false);
  ResumeResponse resume = [gate = resume_gate_, id, pending, resumed](ResponseMaker make) {
    if (resumed->exchange(true)) return;
    std::lock_guard lock(gate->mu);
    HttpReactor* reactor = gate->reactor;
    if (reactor == nullptr) return;
    reactor->workers_.Post([reactor, id, pending, make = std::move(make)] {
      reactor->Post(id, Answer(reactor->core_, *pending, CallMaker(make)));
    });
  };
  try {
    defer(resume);
  } catch (...) {
    resume([] { return JsonErrorResponse(500, "internal_error"); });
  }
}

void HttpReactor::Fetch(uint64_t id, std::shared_ptr<core::ByteSource> source, int64_t remaining) {
  workers_.Post([this, id, source = std::move(source), remaining]() mutable {
    Post(id, ReadBodyPiece(std::move(source), remaining, core_.options.response_chunk_bytes));
  });
}

void HttpReactor::Admit(uint64_t id, std::shared_ptr<BodySink> sink,
                        std::optional<int64_t> declared) {
  workers_.Post([this, id, sink = std::move(sink), declared] {
    Reply reply;
    reply.admission = true;
    try {
      reply.refused = sink->OnBegin(declared);
    } catch (...) {
      reply.refused = JsonErrorResponse(500, "internal_error");
    }
    Post(id, std::move(reply));
  });
}

void HttpReactor::Run() {
  epoll_event events[kMaxEvents];
  for (;;) {
    int64_t wait = 1000;
    if (!timers_.empty()) wait = std::clamp<int64_t>(timers_.top().first - SteadyNowMs(), 0, wait);
    if (!accepting_ && !draining_) wait = std::min<int>(wait, kAcceptBackoffMs);
    const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(wait));
    now_ms_ = SteadyNowMs();
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kEventKey) continue;  // drained below
      if (key == kListenKey) {
        Accept();
        continue;
      }
      auto it = connections_.find(key);
      if (it != connections_.end()) it->second->OnEvents(events[i].events);
    }
    DrainInbox();
    RunTimers();
    Reap();
    std::lock_guard lock(inbox_mu_);
    if (stop_) break;
  }
  drained_.store(true);  // stopped: it will not accept again either
  connections_.clear();  // closes every socket
  finished_.clear();
  std::vector<std::pair<uint64_t, Reply>> unanswered;
  {
    std::lock_guard lock(inbox_mu_);
    unanswered.swap(inbox_);  // their body sources go now, not when the server is destroyed
  }
  size_.store(0);
}

void HttpReactor::Accept() {
  for (int i = 0; i < kAcceptsPerWakeup && accepting_; ++i) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Out of descriptors or memory: stop listening briefly instead of spinning.
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
      accepting_ = false;
      accept_paused_until_ms_ = now_ms_ + kAcceptBackoffMs;
      return;
    }
    std::string ip = PeerIp(address);
    if (!limiter_.TryAcquire(ip)) {
      ::close(fd);  // over the overall or per-IP cap: refused
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // answers go out whole
    const uint64_t id = g_next_id.fetch_add(1);
    epoll_event ev{};
    ev.events = 0;  // the connection sets its interest (MOD) as it starts
    ev.data.u64 = id;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      limiter_.Release(ip);
      continue;
    }
    connections_.emplace(id, std::make_unique<HttpConnection>(id, fd, std::move(ip), *this, core_));
    size_.fetch_add(1);
  }
}

void HttpReactor::DrainInbox() {
  uint64_t counter;
  [[maybe_unused]] ssize_t ignored = ::read(event_fd_, &counter, sizeof(counter));
  std::vector<std::pair<uint64_t, Reply>> replies;
  bool drain = false;
  {
    std::lock_guard lock(inbox_mu_);
    replies.swap(inbox_);
    drain = drain_requested_ && !draining_;
  }
  for (auto& [id, reply] : replies) {
    auto it = connections_.find(id);
    if (it != connections_.end()) it->second->OnReply(std::move(reply));
  }
  if (!drain) return;
  draining_ = true;
  if (accepting_) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  accepting_ = false;
  drained_.store(true);
  for (auto& [id, connection] : connections_) connection->Drain();
}

void HttpReactor::RunTimers() {
  if (!accepting_ && !draining_ && now_ms_ >= accept_paused_until_ms_) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u64 = kListenKey;
    accepting_ = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0;
    if (!accepting_) accept_paused_until_ms_ = now_ms_ + kAcceptBackoffMs;
  }
  // Due connections are handled a slice at a time between I/O rounds, so a burst of deadlines
  // (thousands of stalled requests answered 408 at once) does not stall the others.
  int handled = 0;
  while (handled < kExpiriesPerRound && !timers_.empty() && timers_.top().first <= now_ms_) {
    const auto [key, id] = timers_.top();
    timers_.pop();
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->timer_key() != key) continue;  // stale
    HttpConnection& connection = *it->second;
    if (connection.deadline_ms() <= now_ms_) {
      ++handled;
      connection.OnTimer(now_ms_);
    }
    if (!connection.finished()) connection.Rearm();
  }
}

void HttpReactor::Reap() {
  std::vector<uint64_t> finished;
  finished.swap(finished_);
  for (uint64_t id : finished) {
    if (connections_.erase(id) > 0) size_.fetch_sub(1);
  }
}

}  // namespace filament::http
