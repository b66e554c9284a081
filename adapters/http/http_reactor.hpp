#pragma once

// Internal to adapters/http: the HTTP/1.1 front end. R epoll threads accept connections from a
// shared listening socket and read requests without blocking; complete requests go to a pool of
// worker threads; the answer comes back to the connection's reactor, which writes it without
// blocking. No thread ever waits on one client's socket.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/http/http_exchange.hpp"
#include "adapters/http/request_parser.hpp"
#include "core/blocking.hpp"

namespace filament::http {

// Fixed threads running posted jobs in order. Stop() runs what is queued, then joins.
// At most `running` of them run jobs at once (ADR 0113); a thread waiting inside a job (marked
// with core::ScopedBlocking) does not count, so while it waits another may run.
class WorkerPool final : core::BlockingObserver {
 public:
  WorkerPool(int threads, int running);
  ~WorkerPool();
  void Post(std::function<void()> job);  // thread-safe; dropped after Stop()
  void Stop();

 private:
  void Run();
  void OnBlocked() override;
  void OnUnblocked() override;
  void WakeOneIfDue();  // under mu_

  const int max_running_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  int running_ = 0;   // threads running a job or looking for one, not blocked
  int sleeping_ = 0;  // threads waiting for a wake-up
  int wakeups_ = 0;   // wake-ups given and not yet taken
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// Open connections, overall and per client IP. Thread-safe.
class ConnectionLimiter {
 public:
  ConnectionLimiter(int64_t max_total, int64_t max_per_ip);  // max_per_ip 0 = no per-IP cap
  bool TryAcquire(const std::string& ip);
  void Release(const std::string& ip);
  int64_t total() const;

 private:
  const int64_t max_total_;
  const int64_t max_per_ip_;
  mutable std::mutex mu_;
  int64_t total_ = 0;
  std::unordered_map<std::string, int64_t> per_ip_;
};

class HttpReactor;

// One client connection; every method runs on its reactor's thread.
class HttpConnection final : public RequestParser::Listener {
 public:
  HttpConnection(uint64_t id, int fd, std::string peer_ip, HttpReactor& reactor,
                 const ServerCore& core);
  ~HttpConnection() override;  // closes the socket unless it was handed to the WebSocket pool

  void OnEvents(uint32_t events);
  void OnReply(Reply reply);
  void OnTimer(int64_t now_ms);  // call when now_ms >= deadline_ms()
  void Drain();                  // the server stops: close when idle, close after the answer
  bool finished() const { return state_ == State::kFinished; }
  int64_t deadline_ms() const { return deadline_ms_; }
  int64_t timer_key() const { return timer_key_; }  // its live entry in the reactor's heap
  void Rearm();  // its heap entry came due: schedule the current deadline

  void OnBegin() override;
  std::optional<Rejection> OnHead(HttpRequest head, const Framing& framing) override;
  std::optional<Rejection> OnBody(std::string_view bytes) override;

 private:
  // kAdmitting: the head of a streamed request is with a worker (BodySink::OnBegin); nothing
  // is read from the socket until its verdict.
  enum class State { kIdle, kReading, kAdmitting, kHandling, kWriting, kLingering, kFinished };

  void ReadSome();
  void Linger();
  void ParseFrom(std::string_view bytes);
  void RequestComplete();
  void StartAdmission();
  void OnAdmitted(std::optional<HttpResponse> refused);
  void Dispatch();
  void Answer(const HttpResponse& response, bool close);
  void Write(std::string bytes, size_t already_sent = 0);
  void Flush();
  void FetchPiece();
  void OnPiece(Reply piece);
  void AfterResponse();
  void StartLinger();
  void Finish();
  void HandOver();
  void SetState(State state, int64_t deadline_ms);
  void SetDeadline(int64_t deadline_ms);
  void UpdateInterest();
  bool Closing() const;

  const uint64_t id_;
  int fd_;
  const std::string peer_ip_;
  HttpReactor& reactor_;
  const ServerCore& core_;
  RequestParser parser_;
  State state_ = State::kIdle;
  int64_t deadline_ms_ = 0;
  int64_t timer_key_ = std::numeric_limits<int64_t>::max();
  uint32_t interest_ = 0;
  bool served_any_ = false;
  bool draining_ = false;
  bool peer_gone_ = false;  // hung up while a worker held the request

  // The request being read or handled.
  HttpRequest request_;
  Framing framing_;
  bool upgrade_ = false;
  bool close_after_ = false;  // answer, then close (framing or the client say so)
  std::shared_ptr<BodySink> sink_;
  std::optional<int64_t> declared_length_;  // of a streamed body, for OnBegin
  // A streamed request without body that its sink refused: answered once the request
  // completes, and the connection stays open.
  std::optional<HttpResponse> refused_;
  int64_t body_limit_ = 0;
  int64_t head_deadline_ms_ = 0;
  int64_t request_deadline_ms_ = 0;

  std::string pending_in_;  // bytes read past a complete request (pipelined)
  std::string out_;         // response bytes not yet written
  size_t out_off_ = 0;
  std::shared_ptr<WsSessionHandler> session_;
  // The rest of a streamed response body: read by a worker (fetching_) once out_ is sent.
  std::shared_ptr<core::ByteSource> source_;
  int64_t source_remaining_ = 0;
  bool fetching_ = false;
};

// One epoll thread: accepts, reads, times out and writes for its connections.
class HttpReactor {
 public:
  HttpReactor(const ServerCore& core, WorkerPool& workers, ConnectionLimiter& limiter,
              int listen_fd);
  ~HttpReactor();  // Stop()s

  void Post(uint64_t id, Reply reply);  // a worker's answer; thread-safe
  void BeginDrain();                    // stop accepting; idle connections close; thread-safe
  // True once the reactor thread saw BeginDrain: it no longer touches the listening socket.
  bool drained() const { return drained_.load(); }
  void Stop();  // closes every connection and joins; thread-safe
  int64_t size() const { return size_.load(); }

  // --- reactor thread only ---
  int64_t now_ms() const { return now_ms_; }
  void SetInterest(int fd, uint64_t id, uint32_t events);
  // The connection's socket leaves this epoll (closed or handed over); it is destroyed soon
  // after, outside its own call stack.
  void Forget(int fd, uint64_t id);
  void Unwatch(int fd);                             // no more events for this socket; it stays open
  void Schedule(uint64_t id, int64_t deadline_ms);  // OnTimer-check `id` at deadline_ms
  void Submit(uint64_t id, Exchange exchange);
  // A deferred answer (HttpResponse::defer): hands `defer` the resume that brings the answer
  // back through a worker and Post. Thread-safe.
  void Defer(uint64_t id, Exchange exchange, std::function<void(ResumeResponse)> defer);
  // A worker reads the next piece of a streamed body (ReadBodyPiece); it comes back as a Reply
  // with `piece` set.
  void Fetch(uint64_t id, std::shared_ptr<core::ByteSource> source, int64_t remaining);
  // Runs sink->OnBegin(declared) on a worker; its verdict comes back as an admission Reply.
  void Admit(uint64_t id, std::shared_ptr<BodySink> sink, std::optional<int64_t> declared);
  ConnectionLimiter& limiter() { return limiter_; }

 private:
  void Run();
  void Accept();
  void DrainInbox();
  void RunTimers();
  void Reap();

  // What a deferred request's resume reaches: this reactor until Stop() (then nothing).
  struct ResumeGate {
    std::mutex mu;
    HttpReactor* reactor = nullptr;
  };

  const ServerCore& core_;
  WorkerPool& workers_;
  std::shared_ptr<ResumeGate> resume_gate_ = std::make_shared<ResumeGate>();
  ConnectionLimiter& limiter_;
  const int listen_fd_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  std::thread thread_;
  int64_t now_ms_ = 0;
  int64_t accept_paused_until_ms_ = 0;
  bool accepting_ = true;
  bool draining_ = false;

  std::mutex inbox_mu_;
  std::vector<std::pair<uint64_t, Reply>> inbox_;
  bool drain_requested_ = false;
  bool stop_ = false;

  std::atomic<int64_t> size_{0};
  std::atomic<bool> drained_{false};
  std::unordered_map<uint64_t, std::unique_ptr<HttpConnection>> connections_;
  std::vector<uint64_t> finished_;
  // (deadline, connection id), earliest first; stale entries are skipped when they come due.
  std::priority_queue<std::pair<int64_t, uint64_t>, std::vector<std::pair<int64_t, uint64_t>>,
                      std::greater<>>
      timers_;
};

}  // namespace filament::http
