#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/http/http_types.hpp"

namespace filament::http {

// Why a WebSocket connection ended. Reported exactly once per connection.
enum class WsCloseReason {
  kClientClose,       // the client sent a Close frame (answered, then the socket closed)
  kConnectionClosed,  // the peer ended the stream without a Close frame
  kSocketError,       // a transport error while reading or writing
  kProtocolError,     // RFC 6455 violation (unmasked frame, RSV bits, bad opcode, bad UTF-8, ...)
  kTooLarge,          // an assembled message would exceed WsOptions::max_message_bytes
  kServerClose,       // the application called WsConnection::Close or Drop
  kShutdown,          // the server is stopping
};

std::string_view WsCloseReasonName(WsCloseReason reason);

// Transport settings of the WebSocket reactor.
struct WsOptions {
  int reactor_threads = 2;
  int64_t max_message_bytes = 65'536;  // assembled message cap, checked before buffering
  int64_t outbound_queue = 256;        // queued data frames per connection before Send fails
  int64_t ping_interval_ms = 30'000;   // server Ping cadence; the first is sent at once
  int64_t close_timeout_ms = 2'000;    // how long a closing socket may take to flush
  int socket_send_buffer_bytes = 0;    // SO_SNDBUF for upgraded sockets; 0 = OS default
};

// One open WebSocket, owned by a reactor thread. All methods are thread-safe and never block.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Queues a text frame. Returns false, and queues nothing, when the bounded queue is full or
  // the connection is closing/closed. Frames are delivered in the order queued.
  virtual bool Send(std::string text) = 0;
  // Discards frames not yet handed to the socket, sends a Close frame (code, reason truncated to
  // 123 bytes), flushes it within WsOptions::close_timeout_ms and closes the socket.
  // The handler then sees OnClose(kServerClose). Idempotent.
  virtual void Close(uint16_t code, std::string reason) = 0;
  // Closes the socket without a Close frame; the handler sees OnClose(kServerClose). Idempotent.
  virtual void Drop() = 0;
  // True once Close/Drop was called or the transport ended.
  virtual bool closed() const = 0;
  // Process-unique, never reused.
  virtual uint64_t id() const = 0;
};

// The application side of one WebSocket. OnOpen, OnMessage and OnClose run on the owning
// reactor thread, strictly in that order, and must not block (hand slow work to other threads).
class WsSessionHandler {
 public:
  virtual ~WsSessionHandler() = default;
  virtual void OnOpen(std::shared_ptr<WsConnection> connection) = 0;
  // A complete Text (valid UTF-8) or Binary message, at most max_message_bytes long.
  virtual void OnMessage(std::string_view payload) = 0;
  // Called exactly once; no callback follows it.
  virtual void OnClose(WsCloseReason reason) = 0;
};

// Decides a `GET /gateway/ws` request that carries valid WebSocket upgrade headers. Called on
// an HTTP pool thread, concurrently. Returning an HttpResponse sends it and does not upgrade;
// returning a handler completes the upgrade (101) and hands the socket to a reactor.
class GatewayUpgrade {
 public:
  virtual ~GatewayUpgrade() = default;
  virtual std::variant<HttpResponse, std::shared_ptr<WsSessionHandler>> OnUpgradeRequest(
      const HttpRequest& request) = 0;
};

}  // namespace filament::http
