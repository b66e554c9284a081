#pragma once

// Internal to gateway/: one authenticated WebSocket connection of the hub.

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "adapters/http/websocket.hpp"
#include "gateway/envelope.hpp"
#include "gateway/rate_limiter.hpp"
#include "gateway/resume_cursor.hpp"

namespace filament::gateway {

class GatewayHub;
class WorkerPool;

class GatewaySession final : public http::WsSessionHandler,
                             public std::enable_shared_from_this<GatewaySession> {
 public:
  GatewaySession(GatewayHub& hub, WorkerPool& workers, std::string user_id, std::string client_ip,
                 int64_t ingress_limit, int64_t ingress_window_ms, size_t max_backlog,
                 int version = 1);

  void OnOpen(std::shared_ptr<http::WsConnection> connection) override;
  void OnMessage(std::string_view payload) override;
  void OnClose(http::WsCloseReason reason) override;

  // Queues a parsed command for execution on the worker pool; commands of one session run
  // one at a time in arrival order. False when the backlog is full.
  bool EnqueueCommand(IngressCommand command);

  const int version;  // protocol: 1 (GATEWAY.md) or 2 (ADR 0060)
  const std::string user_id;
  const std::string client_ip;
  const std::optional<std::string> ip_key;  // IpKey(client_ip), for live IP bans
  std::shared_ptr<http::WsConnection> ws;   // set once in OnOpen, before registration
  uint64_t id = 0;

  // Reactor thread only.
  SlidingWindowLimiter limiter;
  std::atomic<bool> dropping{false};  // a disconnect was decided; ignore further input

  // Guarded by the hub's mutex.
  bool registered = false;
  bool evicted = false;  // closed as a slow consumer; fan-outs skip it
  std::string disconnect_reason;
  std::set<std::string> presence_guilds;
  std::set<std::string> channel_keys;
  // v2 only (ADR 0060), guarded by the hub's mutex.
  bool v2_started = false;        // first command seen: log delivery has begun
  bool catching_up = false;       // replaying the window; live fan-out skips it
  bool announce_resumed = false;  // send `resumed` at the splice (a resume, not a subscribe)
  ResumeCursor cursor;            // accounted log position (what `cursor` fields carry)
  uint64_t next_seq = 0;          // next replay-window entry to look at while catching up
  int64_t replayed = 0;

 private:
  void RunPending();

  GatewayHub& hub_;
  WorkerPool& workers_;
  const size_t max_backlog_;
  std::mutex mu_;
  std::deque<IngressCommand> pending_;
  bool scheduled_ = false;
  bool closed_ = false;
};

}  // namespace filament::gateway
