#include <algorithm>
#include <cerrno>

#include <sys/socket.h>
#include <unistd.h>

#include "adapters/http/ws_reactor_internal.hpp"

namespace filament::http {
namespace {
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kReadBudgetPerWakeup = 256 * 1024;  // fairness between sockets of one thread
// Queued frames are encoded into out_ up to this many bytes at a time (at least one frame): a
// peer that falls behind keeps its backlog as queued frames, not as one contiguous buffer of
// the whole queue (up to `outbound_queue` frames) that grows by reallocation and stays.
constexpr size_t kMaxEncodedBatch = 64 * 1024;
// What out_ keeps between batches: ordinary traffic reuses it, a burst's buffer is released.
constexpr size_t kKeptCapacity = 16 * 1024;
constexpr uint16_t kCloseNormal = 1000;
}  // namespace

ReactorConnection::ReactorConnection(uint64_t id, int fd, WsReactor* reactor,
                                     std::shared_ptr<WsSessionHandler> handler,
                                     const WsOptions& options)
    : id_(id),
      fd_(fd),
      reactor_(reactor),
      queue_limit_(options.outbound_queue),
      close_timeout_ms_(options.close_timeout_ms),
      handler_(std::move(handler)),
      parser_(static_cast<size_t>(options.max_message_bytes)) {}

ReactorConnection::~ReactorConnection() = default;

bool ReactorConnection::Send(std::string text) {
  std::lock_guard lock(mu_);
  if (closed_ || static_cast<int64_t>(queue_.size()) >= queue_limit_) return false;
  queue_.push_back(std::move(text));
  if (!wake_pending_) {
    wake_pending_ = true;
    reactor_->Notify(id_);
  }
  return true;
}

void ReactorConnection::Close(uint16_t code, std::string reason) {
  std::lock_guard lock(mu_);
  if (request_ != Request::kNone || closed_) return;
  request_ = Request::kClose;
  close_code_ = code;
  close_reason_ = std::move(reason);
  closed_ = true;
  queue_.clear();
  if (!wake_pending_) {
    wake_pending_ = true;
    reactor_->Notify(id_);
  }
}

void ReactorConnection::Drop() {
  std::lock_guard lock(mu_);
  if (request_ == Request::kDrop || (closed_ && request_ == Request::kNone)) return;
  request_ = Request::kDrop;
  closed_ = true;
  queue_.clear();
  if (!wake_pending_) {
    wake_pending_ = true;
    reactor_->Notify(id_);
  }
}

bool ReactorConnection::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void ReactorConnection::Open(std::string_view initial_bytes) {
  handler_->OnOpen(shared_from_this());
  if (!initial_bytes.empty() && !ended_) Feed(initial_bytes);
  if (!ended_) ApplyRequest();
}

void ReactorConnection::OnReadable() {
  if (closing_) return DrainAfterClose();  // input after a Close is discarded
  char buffer[kReadChunk];
  size_t budget = kReadBudgetPerWakeup;
  while (!ended_ && budget > 0) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      budget -= std::min(budget, static_cast<size_t>(n));
      Feed(std::string_view(buffer, static_cast<size_t>(n)));
      if (!ended_) ApplyRequest();
      if (closing_) return;
      continue;
    }
    if (n == 0) return End(WsCloseReason::kConnectionClosed);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    // A reset is the peer going away without a Close frame, like an EOF.
    return End(errno == ECONNRESET ? WsCloseReason::kConnectionClosed
                                   : WsCloseReason::kSocketError);
  }
}

void ReactorConnection::Feed(std::string_view bytes) {
  const WsParseStatus status =
      parser_.Feed(bytes, [this](const WsFrameEvent& event) { return HandleEvent(event); });
  if (status == WsParseStatus::kProtocolError) End(WsCloseReason::kProtocolError);
  if (status == WsParseStatus::kTooLarge) End(WsCloseReason::kTooLarge);
}

// Returns whether parsing should continue.
bool ReactorConnection::HandleEvent(const WsFrameEvent& event) {
  switch (event.opcode) {
    case WsOpcode::kText:
    case WsOpcode::kBinary:
      handler_->OnMessage(event.payload);
      break;
    case WsOpcode::kPing:
      pending_pong_ = std::string(event.payload);  // only the latest Ping needs an answer
      Flush();
      break;
    case WsOpcode::kClose: {
      uint16_t code = kCloseNormal;
      if (event.payload.size() >= 2) {
        code = static_cast<uint16_t>((static_cast<uint8_t>(event.payload[0]) << 8) |
                                     static_cast<uint8_t>(event.payload[1]));
      }
      StartClosing(code, {}, WsCloseReason::kClientClose);
      return false;
    }
    default:
      break;  // Pong: ignored
  }
  std::lock_guard lock(mu_);
  return request_ == Request::kNone && !ended_;
}

void ReactorConnection::OnWakeup() {
  {
    std::lock_guard lock(mu_);
    wake_pending_ = false;
  }
  ApplyRequest();
  if (!ended_) Flush();
}

void ReactorConnection::ApplyRequest() {
  Request request;
  uint16_t code;
  std::string reason;
  {
    std::lock_guard lock(mu_);
    request = request_;
    code = close_code_;
    reason = close_reason_;
  }
  if (request == Request::kDrop) return End(WsCloseReason::kServerClose);
  if (request == Request::kClose && !closing_) {
    StartClosing(code, reason, WsCloseReason::kServerClose);
  }
}

void ReactorConnection::StartClosing(uint16_t code, std::string_view reason,
                                     WsCloseReason end_reason) {
  if (closing_) return;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  // Keep the frame being written whole; discard frames not yet started.
  if (out_off_ == 0) {
    out_.clear();
    frame_ends_.clear();
  } else {
    auto it = std::lower_bound(frame_ends_.begin(), frame_ends_.end(), out_off_);
    if (it != frame_ends_.end()) {
      out_.resize(*it);
      frame_ends_.erase(it + 1, frame_ends_.end());
    }
  }
  pending_ping_ = false;
  pending_pong_.reset();
  std::string frame;
  AppendWsCloseFrame(frame, code, reason);
  out_ += frame;
  frame_ends_.push_back(out_.size());
  closing_ = true;
  end_reason_ = end_reason;
  close_deadline_ms_ = WsReactor::NowMs() + close_timeout_ms_;
  reactor_->TrackClosing(id_);
  Flush();
}

void ReactorConnection::SendPing() {
  if (closing_ || ended_) return;
  pending_ping_ = true;
  Flush();
}

void ReactorConnection::AppendFrame(WsOpcode opcode, std::string_view payload) {
  AppendWsFrame(out_, opcode, payload);
  frame_ends_.push_back(out_.size());
}

// Moves control frames and queued data into out_ once the previous batch is fully written, so
// a peer that stops reading holds at most one batch (about kMaxEncodedBatch) here plus
// `outbound_queue` frames in queue_.
void ReactorConnection::PullQueued() {
  if (closing_ || out_off_ != out_.size()) return;
  if (out_.capacity() > kKeptCapacity) std::string().swap(out_);  // a burst grew it: give it back
  out_.clear();
  out_off_ = 0;
  frame_ends_.clear();
  if (pending_pong_) AppendFrame(WsOpcode::kPong, *pending_pong_);
  if (pending_ping_) AppendFrame(WsOpcode::kPing, {});
  pending_pong_.reset();
  pending_ping_ = false;
  std::deque<std::string> batch;
  {
    std::lock_guard lock(mu_);
    size_t bytes = 0;
    while (!queue_.empty() &&
           (batch.empty() || bytes + queue_.front().size() <= kMaxEncodedBatch)) {
      bytes += queue_.front().size();
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  for (const std::string& text : batch) AppendFrame(WsOpcode::kText, text);
}

void ReactorConnection::Flush() {
  if (ended_ || draining_) return;
  PullQueued();
  while (out_off_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      if (out_off_ == out_.size() && !closing_) PullQueued();  // more may have arrived
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!want_write_) reactor_->SetWantWrite(fd_, id_, want_write_ = true);
      return;
    }
    return End(WsCloseReason::kSocketError);
  }
  if (want_write_) reactor_->SetWantWrite(fd_, id_, want_write_ = false);
  if (closing_) {
    // Close frame written: send FIN and wait (bounded) for the peer's EOF, so unread input
    // does not turn our close into a reset that could destroy the Close frame in flight.
    ::shutdown(fd_, SHUT_WR);
    draining_ = true;
  }
}

void ReactorConnection::DrainAfterClose() {
  char buffer[kReadChunk];
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return End(end_reason_);
  }
}

void ReactorConnection::CheckCloseDeadline(int64_t now_ms) {
  if (!ended_ && closing_ && now_ms >= close_deadline_ms_) End(end_reason_);
}

void ReactorConnection::End(WsCloseReason reason) {
  if (ended_) return;
  ended_ = true;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  reactor_->Unregister(fd_, id_);
  ::close(fd_);
  out_.clear();
  handler_->OnClose(reason);
  handler_.reset();  // break a possible handler -> connection cycle
}

}  // namespace filament::http
