#include <algorithm>
#include <cerrno>
#include <limits>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/http/http_reactor.hpp"
#include "adapters/http/request_id.hpp"
#include "adapters/http/response_writer.hpp"
#include "adapters/http/ws_reactor.hpp"

namespace filament::http {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kReadBudgetPerWakeup = 256 * 1024;  // fairness between sockets of one thread
constexpr int64_t kLingerMs = 2'000;  // discard input after a closing answer, for this long
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

}  // namespace

HttpConnection::HttpConnection(uint64_t id, int fd, std::string peer_ip, HttpReactor& reactor,
                               const ServerCore& core)
    : id_(id),
      fd_(fd),
      peer_ip_(std::move(peer_ip)),
      reactor_(reactor),
      core_(core),
      parser_(core.options.max_header_bytes, this) {
  // The first request must start within the header timeout.
  SetState(State::kIdle, reactor_.now_ms() + core_.options.header_timeout_ms);
}

HttpConnection::~HttpConnection() { Finish(); }

void HttpConnection::SetState(State state, int64_t deadline_ms) {
  state_ = state;
  SetDeadline(deadline_ms);
  UpdateInterest();
}

// The reactor's timer heap holds an entry at `timer_key_` for this connection; a later deadline
// is found when that entry comes due (Rearm), an earlier one needs an entry of its own now.
void HttpConnection::SetDeadline(int64_t deadline_ms) {
  deadline_ms_ = deadline_ms;
  if (deadline_ms < timer_key_) {
    timer_key_ = deadline_ms;
    reactor_.Schedule(id_, deadline_ms);
  }
}

void HttpConnection::Rearm() {
  timer_key_ = kNever;
  SetDeadline(deadline_ms_);
}

void HttpConnection::UpdateInterest() {
  if (fd_ < 0) return;
  uint32_t want = 0;
  if (state_ == State::kIdle || state_ == State::kReading || state_ == State::kLingering) {
    want |= EPOLLIN;
  }
  if (out_off_ < out_.size()) want |= EPOLLOUT;
  if (want != interest_) reactor_.SetInterest(fd_, id_, interest_ = want);
}

bool HttpConnection::Closing() const { return close_after_ || draining_; }

void HttpConnection::OnEvents(uint32_t events) {
  if ((events & EPOLLOUT) && state_ != State::kFinished) Flush();
  if (state_ == State::kFinished) return;
  if (events & (EPOLLERR | EPOLLHUP)) {
    // Both directions are gone (or reset): nobody is left to answer. While a worker may be
    // writing to the socket it stays open (unwatched) until the reply is back; a worker
    // admitting a head never touches the socket, so that connection just ends.
    if (state_ == State::kAdmitting) return Finish();
    if (state_ == State::kHandling) {
      peer_gone_ = true;
      return reactor_.Unwatch(fd_);
    }
    if (!(events & EPOLLIN) || state_ == State::kWriting) return Finish();
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (state_ == State::kLingering) return Linger();
    if (state_ == State::kIdle || state_ == State::kReading) ReadSome();
  }
}

void HttpConnection::ReadSome() {
  char buffer[kReadChunk];
  size_t budget = kReadBudgetPerWakeup;
  while (budget > 0 && (state_ == State::kIdle || state_ == State::kReading)) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      budget -= std::min(budget, static_cast<size_t>(n));
      ParseFrom(std::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EOF or reset. A request cut short has nobody to answer to.
    return Finish();
  }
}

void HttpConnection::Linger() {
  char buffer[kReadChunk];
  for (size_t budget = kReadBudgetPerWakeup; budget > 0;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      budget -= std::min(budget, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return Finish();
  }
}

void HttpConnection::ParseFrom(std::string_view bytes) {
  while (!bytes.empty() && (state_ == State::kIdle || state_ == State::kReading)) {
    bytes.remove_prefix(parser_.Feed(bytes));
    if (parser_.state() == RequestParser::State::kComplete) {
      RequestComplete();
    } else if (parser_.state() == RequestParser::State::kPaused) {
      StartAdmission();
    } else if (parser_.state() == RequestParser::State::kFailed) {
      close_after_ = true;
      Answer(parser_.failure().response, true);
      return;
    }
  }
  if (!bytes.empty() &&
      (state_ == State::kAdmitting || state_ == State::kHandling || state_ == State::kWriting)) {
    // At most one read chunk: reading stops until the verdict or the answer.
    pending_in_.append(bytes);
  }
}

void HttpConnection::OnBegin() {
  const int64_t now = reactor_.now_ms();
  request_ = HttpRequest();
  framing_ = Framing();
  upgrade_ = false;
  sink_.reset();
  refused_.reset();
  head_deadline_ms_ = now + core_.options.header_timeout_ms;
  request_deadline_ms_ = now + core_.options.request_timeout_ms;
  SetState(State::kReading, std::min(head_deadline_ms_, request_deadline_ms_));
}

std::optional<Rejection> HttpConnection::OnHead(HttpRequest head, const Framing& framing) {
  request_ = std::move(head);
  framing_ = framing;
  request_.peer_ip = peer_ip_;
  const auto client_id = request_.Header("x-request-id");
  request_.request_id = ResolveRequestId(client_id.value_or(""), client_id.has_value());
  SetDeadline(request_deadline_ms_);
  if (!framing.keep_alive || !core_.options.keep_alive) close_after_ = true;
  if (framing.upgrade) {
    if (core_.upgrade != nullptr && IsWebSocketUpgrade(request_)) {
      upgrade_ = true;
      return std::nullopt;
    }
    close_after_ = true;  // another protocol: the parser stops after this request
  }
  const std::optional<int64_t> declared =
      framing.chunked ? std::nullopt : std::optional<int64_t>(framing.content_length.value_or(0));
  try {
    sink_ = core_.handler->OpenBodySink(request_);
    if (sink_ != nullptr) {
      // Admitted by a worker before any body byte is read (StartAdmission).
      declared_length_ = declared;
      parser_.PauseAfterHead();
      return std::nullopt;
    }
    body_limit_ = core_.options.max_body_bytes;
    if (core_.options.body_limit_for) {
      body_limit_ =
          core_.options.body_limit_for(request_.method, request_.path).value_or(body_limit_);
    }
    if (declared.value_or(0) > body_limit_) {
      return Rejection{JsonErrorResponse(413, "payload_too_large")};
    }
  } catch (...) {
    return Rejection{JsonErrorResponse(500, "internal_error")};
  }
  if (framing.expect_continue && framing.HasBody()) {
    out_.append(kContinue);
    Flush();
  }
  return std::nullopt;
}

// The sink's OnBegin may block (token and permission checks read the database), so it runs
// on a worker while the connection reads nothing; the request deadline keeps running.
void HttpConnection::StartAdmission() {
  SetState(State::kAdmitting, request_deadline_ms_);
  reactor_.Admit(id_, sink_, declared_length_);
}

// Refused with a body to come: answered at once and closed (the client's body is discarded
// while lingering, never stored). Refused without a body: answered once the request is
// complete, keeping the connection. Admitted: the body is read into the sink.
void HttpConnection::OnAdmitted(std::optional<HttpResponse> refused) {
  if (refused) {
    sink_.reset();
    if (framing_.HasBody()) return Answer(*refused, true);
    refused_ = std::move(refused);
  } else if (framing_.expect_continue && framing_.HasBody()) {
    out_.append(kContinue);
    Flush();
  }
  parser_.Resume();
  SetState(State::kReading, request_deadline_ms_);
  std::string held;
  held.swap(pending_in_);
  ParseFrom(held);
}

std::optional<Rejection> HttpConnection::OnBody(std::string_view bytes) {
  if (sink_ == nullptr) {
    if (static_cast<int64_t>(request_.body.size() + bytes.size()) > body_limit_) {
      return Rejection{JsonErrorResponse(413, "payload_too_large")};
    }
    request_.body.append(bytes);
    return std::nullopt;
  }
  try {
    if (auto refused = sink_->OnChunk(bytes)) return Rejection{std::move(*refused)};
  } catch (...) {
    return Rejection{JsonErrorResponse(500, "internal_error")};
  }
  return std::nullopt;
}

void HttpConnection::RequestComplete() {
  if (refused_) return Answer(*refused_, Closing());
  if (sink_ != nullptr) {
    std::optional<HttpResponse> refused;
    try {
      refused = sink_->OnEnd();
    } catch (...) {
      close_after_ = true;
      refused = JsonErrorResponse(500, "internal_error");
    }
    if (refused) return Answer(*refused, Closing());
    request_.streamed_body = std::move(sink_);
  }
  Dispatch();
}

void HttpConnection::Dispatch() {
  Exchange exchange;
  exchange.direct_fd = out_off_ == out_.size() ? fd_ : -1;
  exchange.request = std::move(request_);
  exchange.upgrade = upgrade_;
  exchange.close = Closing();
  exchange.head_only = framing_.head_only;
  exchange.http10 = framing_.http10;
  exchange.deadline_ms = request_deadline_ms_;
  SetState(State::kHandling, kNever);
  reactor_.Submit(id_, std::move(exchange));
}

void HttpConnection::OnReply(Reply reply) {
  if (reply.admission) {
    if (state_ == State::kAdmitting) OnAdmitted(std::move(reply.refused));
    return;
  }
  if (reply.piece) return OnPiece(std::move(reply));
  if (state_ != State::kHandling) return;
  if (peer_gone_) return Finish();
  close_after_ = close_after_ || reply.close;
  session_ = std::move(reply.session);
  source_ = std::move(reply.source);
  source_remaining_ = reply.remaining;
  Write(std::move(reply.bytes), reply.written);
}

void HttpConnection::OnPiece(Reply piece) {
  if (state_ != State::kWriting || !fetching_) return;
  fetching_ = false;
  // The head went out long ago: a short body (the client sees the connection end before
  // Content-Length bytes) is the only honest way left to report the failure.
  if (piece.failed) return Finish();
  source_ = std::move(piece.source);
  source_remaining_ = piece.remaining;
  Write(std::move(piece.bytes));
}

// The socket took every byte so far: a worker reads the next piece. Until it is back the
// connection waits on nothing but its deadline (and hang-ups).
void HttpConnection::FetchPiece() {
  if (!fetching_) {
    fetching_ = true;
    reactor_.Fetch(id_, std::move(source_), source_remaining_);
  }
  UpdateInterest();
}

void HttpConnection::Answer(const HttpResponse& response, bool close) {
  close_after_ = close_after_ || close;
  const std::string id = request_.request_id.empty() ? NewUuidV4() : request_.request_id;
  Write(SerializeResponse(response, id, Closing(), framing_.head_only, framing_.http10));
}

void HttpConnection::Write(std::string bytes, size_t already_sent) {
  if (out_off_ == out_.size()) {
    out_ = std::move(bytes);
    out_off_ = std::min(already_sent, out_.size());
  } else {
    out_.append(bytes);  // behind an unfinished 100 Continue
  }
  // A reader that takes no byte of its answer for the whole-request timeout is dropped.
  SetState(State::kWriting, reactor_.now_ms() + core_.options.request_timeout_ms);
  Flush();
}

void HttpConnection::Flush() {
  while (out_off_ < out_.size() && fd_ >= 0) {
    const ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      // A slow reader of a large answer keeps it as long as it keeps taking bytes.
      if (state_ == State::kWriting) {
        deadline_ms_ = reactor_.now_ms() + core_.options.request_timeout_ms;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return UpdateInterest();
    return Finish();
  }
  std::string().swap(out_);
  out_off_ = 0;
  if (state_ == State::kWriting && (source_ != nullptr || fetching_)) return FetchPiece();
  if (state_ == State::kWriting) return AfterResponse();
  UpdateInterest();
}

void HttpConnection::AfterResponse() {
  if (session_ != nullptr) return HandOver();
  if (Closing()) return StartLinger();
  served_any_ = true;
  parser_.Next();
  SetState(State::kIdle, reactor_.now_ms() + core_.options.keep_alive_timeout_ms);
  if (!pending_in_.empty()) {
    std::string pipelined;
    pipelined.swap(pending_in_);
    ParseFrom(pipelined);
  }
}

// FIN first, then discard what the client still sends for a while, so our answer is not
// destroyed by a reset caused by unread input (a 413 sent before the body ended).
void HttpConnection::StartLinger() {
  if (draining_) return Finish();
  ::shutdown(fd_, SHUT_WR);
  pending_in_.clear();
  SetState(State::kLingering, reactor_.now_ms() + kLingerMs);
}

void HttpConnection::HandOver() {
  std::shared_ptr<WsSessionHandler> session = std::move(session_);
  const int fd = fd_;
  reactor_.Forget(fd, id_);
  fd_ = -1;
  state_ = State::kFinished;
  reactor_.limiter().Release(peer_ip_);
  core_.ws->Adopt(fd, std::move(session), std::move(pending_in_));
}

void HttpConnection::OnTimer(int64_t now_ms) {
  if (now_ms < deadline_ms_) return;
  switch (state_) {
    case State::kReading:
    case State::kAdmitting:
      // Stalled mid-request: headers or body did not arrive in time, or the admission of a
      // streamed head did not finish in time (its late verdict is ignored).
      sink_.reset();
      close_after_ = true;
      return Answer(JsonErrorResponse(408, "request_timeout"), true);
    case State::kIdle:       // keep-alive (or first-request) wait over: close quietly
    case State::kWriting:    // the client does not read its answer
    case State::kLingering:  // done discarding
      return Finish();
    case State::kHandling:
    case State::kFinished:
      return;
  }
}

void HttpConnection::Drain() {
  draining_ = true;
  // Idle keep-alives and requests whose head is still incomplete are not in flight yet.
  const bool head_pending = state_ == State::kReading &&
                            parser_.state() != RequestParser::State::kBody &&
                            parser_.state() != RequestParser::State::kComplete;
  if (state_ == State::kIdle || state_ == State::kLingering || head_pending) Finish();
}

void HttpConnection::Finish() {
  if (state_ == State::kFinished && fd_ < 0) return;
  state_ = State::kFinished;
  sink_.reset();
  source_.reset();
  if (fd_ >= 0) {
    reactor_.Forget(fd_, id_);
    ::close(fd_);
    fd_ = -1;
    reactor_.limiter().Release(peer_ip_);
  }
}

}  // namespace filament::http
