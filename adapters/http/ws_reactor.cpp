#include "adapters/http/ws_reactor.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/http/ws_reactor_internal.hpp"
#include "core/check.hpp"
#include "core/thread_name.hpp"

namespace filament::http {
namespace {

constexpr uint64_t kEventFdKey = 0;  // connection ids start at 1
constexpr int kMaxEvents = 256;
constexpr int kMaxWaitMs = 1000;
std::atomic<uint64_t> g_next_connection_id{1};

void PrepareSocket(int fd, const WsOptions& options) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // we coalesce ourselves
  if (options.socket_send_buffer_bytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options.socket_send_buffer_bytes, sizeof(int));
  }
}

}  // namespace

std::string_view WsCloseReasonName(WsCloseReason reason) {
  switch (reason) {
    case WsCloseReason::kClientClose:
      return "client_close";
    case WsCloseReason::kConnectionClosed:
      return "connection_closed";
    case WsCloseReason::kSocketError:
      return "socket_error";
    case WsCloseReason::kProtocolError:
      return "protocol_error";
    case WsCloseReason::kTooLarge:
      return "too_large";
    case WsCloseReason::kServerClose:
      return "server_close";
    case WsCloseReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

WsReactor::WsReactor(const WsOptions& options) : options_(options) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  FILAMENT_CHECK(epoll_fd_ >= 0 && event_fd_ >= 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kEventFdKey;
  FILAMENT_CHECK(::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev) == 0);
  thread_ = core::NamedThread("ws-reactor", [this] { Run(); });
}

WsReactor::~WsReactor() {
  Stop();
  ::close(event_fd_);
  ::close(epoll_fd_);
}

int64_t WsReactor::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void WsReactor::Adopt(uint64_t id, int fd, std::shared_ptr<WsSessionHandler> handler,
                      std::string initial_bytes) {
  {
    std::lock_guard lock(inbox_mu_);
    if (!stop_) {
      inbox_adoptions_.push_back(Adoption{id, fd, std::move(handler), std::move(initial_bytes)});
      size_.fetch_add(1);
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
      return;
    }
  }
  ::close(fd);
}

void WsReactor::Notify(uint64_t id) {
  std::lock_guard lock(inbox_mu_);
  const bool was_empty = inbox_ids_.empty() && inbox_adoptions_.empty();
  inbox_ids_.push_back(id);
  if (was_empty) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
  }
}

void WsReactor::Stop() {
  {
    std::lock_guard lock(inbox_mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

int64_t WsReactor::size() const { return size_.load(); }

void WsReactor::SetWantWrite(int fd, uint64_t id, bool want) {
  epoll_event ev{};
  ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  ev.data.u64 = id;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void WsReactor::Unregister(int fd, uint64_t id) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  // The caller holds a reference, so erasing here does not destroy a running object.
  if (connections_.erase(id) > 0) size_.fetch_sub(1);
}

ReactorConnection* WsReactor::Find(uint64_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void WsReactor::Run() {
  epoll_event events[kMaxEvents];
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, NextTimeoutMs());
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kEventFdKey) continue;  // drained below
      auto it = connections_.find(key);
      if (it == connections_.end()) continue;
      std::shared_ptr<ReactorConnection> conn = it->second;  // keep alive through End()
      if (events[i].events & EPOLLOUT) conn->OnWakeup();
      if (!conn->ended() && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        conn->OnReadable();
      }
    }
    DrainInbox();
    RunTimers();
    std::lock_guard lock(inbox_mu_);
    if (stop_) break;
  }
  std::vector<std::shared_ptr<ReactorConnection>> all;
  for (auto& [id, conn] : connections_) all.push_back(conn);
  for (auto& conn : all) conn->End(WsCloseReason::kShutdown);
  std::lock_guard lock(inbox_mu_);
  for (Adoption& adoption : inbox_adoptions_) ::close(adoption.fd);
  size_.fetch_sub(static_cast<int64_t>(inbox_adoptions_.size()));
  inbox_adoptions_.clear();
}

void WsReactor::DrainInbox() {
  uint64_t counter;
  [[maybe_unused]] ssize_t ignored = ::read(event_fd_, &counter, sizeof(counter));
  std::vector<uint64_t> ids;
  std::vector<Adoption> adoptions;
  {
    std::lock_guard lock(inbox_mu_);
    ids.swap(inbox_ids_);
    adoptions.swap(inbox_adoptions_);
  }
  for (Adoption& adoption : adoptions) StartConnection(std::move(adoption));
  for (uint64_t id : ids) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    std::shared_ptr<ReactorConnection> conn = it->second;
    conn->OnWakeup();
  }
}

void WsReactor::StartConnection(Adoption adoption) {
  PrepareSocket(adoption.fd, options_);
  auto conn = std::make_shared<ReactorConnection>(adoption.id, adoption.fd, this,
                                                  std::move(adoption.handler), options_);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = adoption.id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, adoption.fd, &ev) != 0) {
    ::close(adoption.fd);
    size_.fetch_sub(1);
    return;  // the handler never saw OnOpen, so it gets no OnClose either
  }
  connections_.emplace(adoption.id, conn);
  ping_due_.emplace_back(NowMs(), adoption.id);  // first Ping at once
  conn->Open(adoption.initial_bytes);
}

void WsReactor::RunTimers() {
  const int64_t now = NowMs();
  while (!ping_due_.empty() && ping_due_.front().first <= now) {
    const uint64_t id = ping_due_.front().second;
    ping_due_.pop_front();
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->closing()) continue;
    std::shared_ptr<ReactorConnection> conn = it->second;
    conn->SendPing();
    if (!conn->ended()) ping_due_.emplace_back(now + options_.ping_interval_ms, id);
  }
  std::vector<uint64_t> closing;
  closing.swap(closing_ids_);
  for (uint64_t id : closing) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    std::shared_ptr<ReactorConnection> conn = it->second;
    conn->CheckCloseDeadline(now);
    if (!conn->ended()) closing_ids_.push_back(id);
  }
}

int WsReactor::NextTimeoutMs() const {
  int64_t wait = kMaxWaitMs;
  if (!closing_ids_.empty()) wait = std::min<int64_t>(wait, 50);
  if (!ping_due_.empty()) {
    wait = std::min(wait, std::max<int64_t>(0, ping_due_.front().first - NowMs()));
  }
  return static_cast<int>(wait);
}

WsReactorPool::WsReactorPool(const WsOptions& options) {
  const int count = std::max(1, options.reactor_threads);
  for (int i = 0; i < count; ++i) reactors_.push_back(std::make_unique<WsReactor>(options));
}

WsReactorPool::~WsReactorPool() { Stop(); }

void WsReactorPool::Adopt(int fd, std::shared_ptr<WsSessionHandler> handler,
                          std::string initial_bytes) {
  const uint64_t id = g_next_connection_id.fetch_add(1);
  const size_t index = next_reactor_.fetch_add(1) % reactors_.size();
  reactors_[index]->Adopt(id, fd, std::move(handler), std::move(initial_bytes));
}

void WsReactorPool::Stop() {
  if (stopped_.exchange(true)) return;
  for (auto& reactor : reactors_) reactor->Stop();
}

int64_t WsReactorPool::connection_count() const {
  int64_t total = 0;
  for (const auto& reactor : reactors_) total += reactor->size();
  return total;
}

}  // namespace filament::http
