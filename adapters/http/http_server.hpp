#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/http_types.hpp"
#include "adapters/http/websocket.hpp"
#include "core/result.hpp"

namespace filament::http {

struct HttpServerOptions {
  std::string listen = "0.0.0.0:3000";  // "host:port"; port 0 picks an ephemeral port
  int pool_threads = 16;                // concurrent requests being read/handled
  int max_queued = 256;                 // accepted connections waiting for a pool thread
  int64_t max_body_bytes = 1'048'576;   // larger bodies → 413 (plain text)
  // Per-route body cap (for upload routes): return a cap for (method, path), or nullopt to use
  // max_body_bytes. Called on pool threads; must be thread-safe.
  std::function<std::optional<int64_t>(std::string_view method, std::string_view path)>
      body_limit_for;
  // Deadline for the whole request: reading the body plus the handler. Past it → 408, empty.
  int64_t request_timeout_ms = 10'000;
  bool keep_alive = true;
  int64_t keep_alive_timeout_ms = 10'000;  // idle time between requests on one connection
  WsOptions ws;                            // reactor settings for upgraded sockets
};

// An HTTP/1.1 server (POCO underneath) that answers every request through one HttpHandler and
// hands `GET /gateway/ws` upgrades to an epoll reactor.
//
// Guarantees: every response carries x-request-id (the client's when it is 1–128 printable
// ASCII characters, else a fresh UUID v4), including 408/413/500. No CORS headers are sent.
// Limitation: POCO answers requests with unparsable headers itself (400, no x-request-id), and
// a client trickling its *headers* is bounded only per read by request_timeout_ms.
class HttpServer {
 public:
  // Binds and starts serving. `handler` and `upgrade` (nullable: no WebSocket support) must
  // outlive the server. Errors: kInvalidArgument (bad listen address), kUnavailable (bind
  // failed, e.g. port in use).
  static core::Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                         HttpHandler& handler,
                                                         GatewayUpgrade* upgrade);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  // Stops accepting, waits for in-flight requests, then closes every WebSocket (handlers see
  // OnClose(kShutdown)). Idempotent; not callable from a handler.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::http
