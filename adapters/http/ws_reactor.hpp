#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/websocket.hpp"

namespace filament::http {

class WsReactor;

// R epoll reactor threads serving upgraded WebSockets: non-blocking sockets, an incremental
// RFC 6455 parser per connection, bounded per-connection send queues flushed (coalesced) by the
// owning thread, server Pings every WsOptions::ping_interval_ms. No thread per socket.
// Plain POSIX (no POCO), so tests drive it over socketpairs or loopback TCP.
class WsReactorPool {
 public:
  explicit WsReactorPool(const WsOptions& options);  // starts options.reactor_threads threads
  ~WsReactorPool();                                  // Stop()s
  WsReactorPool(const WsReactorPool&) = delete;
  WsReactorPool& operator=(const WsReactorPool&) = delete;

  // Takes ownership of `fd`, a connected stream socket whose handshake is complete; it is made
  // non-blocking and closed by the pool. `initial_bytes` were read past the handshake already.
  // Thread-safe. The handler's OnOpen runs on the chosen reactor thread shortly after.
  // After Stop() the fd is closed at once and the handler gets no callback.
  void Adopt(int fd, std::shared_ptr<WsSessionHandler> handler, std::string initial_bytes = {});

  // Ends every connection (handlers see OnClose(kShutdown) on their reactor thread) and joins
  // the threads. Idempotent.
  void Stop();

  int64_t connection_count() const;

 private:
  std::vector<std::unique_ptr<WsReactor>> reactors_;
  std::atomic<uint64_t> next_reactor_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace filament::http
