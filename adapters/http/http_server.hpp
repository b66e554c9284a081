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

// Every limit here has a FILAMENT_* setting in core::Limits (wired in apps/).
struct HttpServerOptions {
  std::string listen = "0.0.0.0:3000";  // "host:port"; port 0 picks an ephemeral port
  int reactor_threads = 2;              // epoll threads reading and writing sockets
  int pool_threads = 16;                // worker threads running the handler
  // Of those, how many run at once; a worker waiting inside a handler (core::ScopedBlocking)
  // does not count (ADR 0113). 0: twice the CPUs.
  int pool_running = 0;
  int64_t max_body_bytes = 1'048'576;  // larger buffered bodies → 413 (streamed: the sink's cap)
  // Per-route body cap (for upload routes): return a cap for (method, path), or nullopt to use
  // max_body_bytes. Called on reactor threads; must be thread-safe and cheap.
  std::function<std::optional<int64_t>(std::string_view method, std::string_view path)>
      body_limit_for;
  int64_t max_header_bytes = 16'384;  // request line + header fields; larger → 431
  // From a request's first byte: its header block must be complete within header_timeout_ms and
  // the whole request (body and handler) within request_timeout_ms, else 408 and close. A
  // client that takes no byte of its answer for request_timeout_ms is dropped.
  int64_t header_timeout_ms = 5'000;
  int64_t request_timeout_ms = 10'000;
  // How long Stop() lets in-flight requests finish; negative: request_timeout_ms.
  int64_t drain_timeout_ms = -1;
  bool keep_alive = true;
  int64_t keep_alive_timeout_ms = 10'000;  // idle time between requests; then closed quietly
  int64_t max_connections = 10'000;        // open HTTP connections; more are refused at accept
  int64_t max_connections_per_ip = 256;    // per TCP peer address; 0 = no per-IP cap
  WsOptions ws;                            // reactor settings for upgraded sockets
  // Bytes per piece read from a streamed response body (HttpResponse::body_source), clamped to
  // 4 KiB .. 4 MiB. A download holds one piece (plus what the kernel's socket buffer takes).
  size_t response_chunk_bytes = 256 * 1024;
};

// An HTTP/1.1 server that answers every request through one HttpHandler and hands
// `GET /gateway/ws` upgrades to the WebSocket reactor pool.
//
// Requests are read by `reactor_threads` epoll threads without blocking (no thread waits on a
// client's socket) and framed by http_parser under the limits above; only complete requests reach
// the `pool_threads` workers; answers are written by the reactors. Keep-alive and pipelining
// (answered in order, one request at a time per connection) as HTTP/1.1 defines them; framing
// that could be read two ways (request smuggling) is refused and closes the connection.
//
// Guarantees: every response carries x-request-id (the client's when it is 1–128 printable
// ASCII characters, else a fresh UUID v4), including 400/408/413/431/500/501, whose bodies are
// {"error": code} (ADR 0007). No CORS headers are sent. Memory per connection is bounded by
// max_header_bytes + max_body_bytes (buffered routes) + one 16 KiB read of pipelined input + the
// answer being written (a streamed body: one response_chunk_bytes piece); an idle or stalled
// connection holds well under 1 KiB beyond what it sent.
class HttpServer {
 public:
  // Binds and starts serving. `handler` and `upgrade` (nullable: no WebSocket support) must
  // outlive the server. Raises the process's open-file soft limit to its hard limit, so
  // max_connections sockets can be held. Errors: kInvalidArgument (bad listen address),
  // kUnavailable (bind failed, e.g. port in use).
  static core::Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                         HttpHandler& handler,
                                                         GatewayUpgrade* upgrade);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  int64_t connection_count() const;  // open HTTP connections (upgraded sockets not included)
  // Graceful: stops accepting, closes idle keep-alives and requests whose head is incomplete,
  // lets in-flight requests finish and their answers be written (each then closes), waits for
  // that at most drain_timeout_ms, then closes what is left and every WebSocket (handlers see
  // OnClose(kShutdown)). Idempotent; not callable from a handler.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::http
