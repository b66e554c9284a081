#pragma once

// Internal to adapters/http: the reactor thread and its connections.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/http/websocket.hpp"
#include "adapters/http/ws_frame.hpp"

namespace filament::http {

class WsReactor;

// One WebSocket. Public WsConnection methods may run on any thread and only touch the
// mutex-guarded part; everything else belongs to the owning reactor thread.
class ReactorConnection final : public WsConnection,
                                public std::enable_shared_from_this<ReactorConnection> {
 public:
  ReactorConnection(uint64_t id, int fd, WsReactor* reactor,
                    std::shared_ptr<WsSessionHandler> handler, const WsOptions& options);
  ~ReactorConnection() override;

  bool Send(std::string text) override;
  void Close(uint16_t code, std::string reason) override;
  void Drop() override;
  bool closed() const override;
  uint64_t id() const override { return id_; }

  // --- reactor thread only ---
  void Open(std::string_view initial_bytes);
  void OnReadable();
  void OnWakeup();  // queued frames or a Close/Drop request arrived
  void SendPing();
  void CheckCloseDeadline(int64_t now_ms);
  void End(WsCloseReason reason);
  bool ended() const { return ended_; }
  bool closing() const { return closing_; }
  int fd() const { return fd_; }

 private:
  enum class Request { kNone, kClose, kDrop };

  bool HandleEvent(const WsFrameEvent& event);
  void Feed(std::string_view bytes);
  void ApplyRequest();
  void StartClosing(uint16_t code, std::string_view reason, WsCloseReason end_reason);
  void PullQueued();
  void Flush();
  void AppendFrame(WsOpcode opcode, std::string_view payload);
  void DrainAfterClose();

  const uint64_t id_;
  const int fd_;
  WsReactor* const reactor_;
  const int64_t queue_limit_;
  const int64_t close_timeout_ms_;

  mutable std::mutex mu_;  // guards the fields below up to the blank line
  std::deque<std::string> queue_;
  Request request_ = Request::kNone;
  uint16_t close_code_ = 1000;
  std::string close_reason_;
  bool wake_pending_ = false;
  bool closed_ = false;

  std::shared_ptr<WsSessionHandler> handler_;
  WsFrameParser parser_;
  std::string out_;                 // encoded frames being written
  size_t out_off_ = 0;              // bytes of out_ already written
  std::vector<size_t> frame_ends_;  // end offsets of the frames in out_
  std::optional<std::string> pending_pong_;
  bool pending_ping_ = false;
  bool want_write_ = false;  // EPOLLOUT registered
  bool closing_ = false;     // a Close frame is queued; no more reads are parsed
  bool draining_ = false;    // Close sent and FIN written; waiting for the peer's EOF
  WsCloseReason end_reason_ = WsCloseReason::kServerClose;
  int64_t close_deadline_ms_ = 0;
  bool ended_ = false;
};

// One epoll thread. Connections are keyed by id (epoll data), so an event for a connection
// ended earlier in the same batch is simply ignored.
class WsReactor {
 public:
  explicit WsReactor(const WsOptions& options);
  ~WsReactor();

  void Adopt(uint64_t id, int fd, std::shared_ptr<WsSessionHandler> handler,
             std::string initial_bytes);
  // Asks the thread to call OnWakeup on connection `id`. Thread-safe.
  void Notify(uint64_t id);
  void Stop();  // joins; every live connection ends with kShutdown on the reactor thread
  int64_t size() const;

  // --- reactor thread only ---
  void SetWantWrite(int fd, uint64_t id, bool want);
  void Unregister(int fd, uint64_t id);
  void TrackClosing(uint64_t id) { closing_ids_.push_back(id); }
  static int64_t NowMs();

 private:
  struct Adoption {
    uint64_t id;
    int fd;
    std::shared_ptr<WsSessionHandler> handler;
    std::string initial_bytes;
  };
  void Run();
  void DrainInbox();
  void StartConnection(Adoption adoption);
  void RunTimers();
  int NextTimeoutMs() const;
  ReactorConnection* Find(uint64_t id);

  const WsOptions options_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  std::thread thread_;

  mutable std::mutex inbox_mu_;
  std::vector<uint64_t> inbox_ids_;
  std::vector<Adoption> inbox_adoptions_;
  bool stop_ = false;
  std::atomic<int64_t> size_{0};

  std::unordered_map<uint64_t, std::shared_ptr<ReactorConnection>> connections_;
  std::deque<std::pair<int64_t, uint64_t>> ping_due_;  // FIFO: one interval for everyone
  std::vector<uint64_t> closing_ids_;
};

}  // namespace filament::http
