#include "adapters/http/http_server.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/http/http_reactor.hpp"
#include "adapters/http/ws_reactor.hpp"

namespace filament::http {
namespace {

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// The kernel cuts a listen backlog to net.core.somaxconn (4096 on Debian 12), so asking for
// more lets an operator who raises that sysctl get a deeper accept queue for reconnect storms
// without a setting of ours (docs/operations.md).
constexpr int kListenBacklog = 65535;

core::Result<int> Listen(const HttpServerOptions& options, uint16_t& port) {
  Poco::Net::SocketAddress address;
  try {
    address = Poco::Net::SocketAddress(options.listen);
  } catch (const Poco::Exception& e) {
    return core::InvalidArgument("bad listen address '" + options.listen + "': " + e.displayText());
  }
  const int fd = ::socket(address.family() == Poco::Net::SocketAddress::IPv6 ? AF_INET6 : AF_INET,
                          SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::bind(fd, address.addr(), address.length()) != 0 || ::listen(fd, kListenBacklog) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return core::Unavailable("cannot listen on " + options.listen + ": " + reason);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  port = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&bound), length).port();
  return fd;
}

}  // namespace

struct HttpServer::Impl {
  ServerCore core;
  int listen_fd = -1;
  uint16_t port = 0;
  std::unique_ptr<WsReactorPool> ws;
  std::unique_ptr<ConnectionLimiter> limiter;
  std::unique_ptr<WorkerPool> workers;
  std::vector<std::unique_ptr<HttpReactor>> reactors;
  bool stopped = false;

  int64_t Connections() const {
    int64_t total = 0;
    for (const auto& reactor : reactors) total += reactor->size();
    return total;
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

int64_t HttpServer::connection_count() const { return impl_->Connections(); }

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                            HttpHandler& handler,
                                                            GatewayUpgrade* upgrade) {
  RaiseOpenFileLimit();
  auto impl = std::make_unique<Impl>();
  auto listened = Listen(options, impl->port);
  if (!listened.ok()) return listened.error();
  impl->listen_fd = *listened;
  impl->core.options = options;
  impl->core.handler = &handler;
  impl->core.upgrade = upgrade;
  if (upgrade != nullptr) {
    impl->ws = std::make_unique<WsReactorPool>(options.ws);
    impl->core.ws = impl->ws.get();
  }
  impl->limiter =
      std::make_unique<ConnectionLimiter>(options.max_connections, options.max_connections_per_ip);
  const int cpus = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  impl->workers = std::make_unique<WorkerPool>(
      options.pool_threads, options.pool_running > 0 ? options.pool_running : 2 * cpus);
  for (int i = 0; i < std::max(1, options.reactor_threads); ++i) {
    impl->reactors.push_back(
        std::make_unique<HttpReactor>(impl->core, *impl->workers, *impl->limiter, impl->listen_fd));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& reactor : impl_->reactors) reactor->BeginDrain();
  // Once no reactor uses the listening socket, closing it refuses new clients at once.
  for (auto& reactor : impl_->reactors) {
    while (!reactor->drained()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::close(impl_->listen_fd);
  const HttpServerOptions& options = impl_->core.options;
  const int64_t drain_ms =
      options.drain_timeout_ms >= 0 ? options.drain_timeout_ms : options.request_timeout_ms;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_ms);
  while (impl_->Connections() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->workers->Stop();  // runs what is still queued; answers to closed sockets are dropped
  for (auto& reactor : impl_->reactors) reactor->Stop();
  if (impl_->ws) impl_->ws->Stop();
}

}  // namespace filament::http
