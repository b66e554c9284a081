#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/blob_store.hpp"

namespace filament::http {

class BodySink;
struct HttpResponse;

// Makes the answer of a deferred request (HttpResponse::defer); runs on a server worker.
using ResponseMaker = std::function<HttpResponse()>;
// Hands a deferred request its answer: call it once, from any thread. It only queues `make` for
// a worker, so it is cheap and never blocks; a second call, or a call after the server stopped,
// does nothing.
using ResumeResponse = std::function<void(ResponseMaker make)>;

// One HTTP request as the server saw it, independent of the HTTP library.
struct HttpRequest {
  std::string method;  // upper case as sent ("GET", "POST", ...)
  std::string path;    // raw request path, percent-encoding kept, no query
  std::string query;   // raw query string without '?', percent-encoding kept
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, order kept
  std::string body;  // fully read (bounded by HttpServerOptions::max_body_bytes)
  // Set when HttpHandler::OpenBodySink returned a sink: the sink, after it saw the whole body
  // and OnEnd() accepted it. `body` is then empty. Null for buffered requests.
  std::shared_ptr<BodySink> streamed_body;
  std::string peer_ip;     // TCP peer address; "unknown" when there is none
  std::string request_id;  // the x-request-id echoed on the response

  // The first header named `lower_name` (which must be lower case), or nullopt.
  std::optional<std::string> Header(std::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  // Sent as Content-Type only when the body is not empty.
  std::string content_type = "application/json";
  // Extra headers. The server adds x-request-id itself (a handler-set one is replaced).
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed body (downloads) instead of `body`, which must then be empty: Content-Length is
  // `body_length` and the server reads the bytes from `body_source` in bounded pieces
  // (HttpServerOptions::response_chunk_bytes), the next piece only once the socket took the
  // last one, so a download holds about one piece whatever its size and however slow its
  // reader. Reads run on the worker threads, one at a time per source, each happening-before
  // the next (a core::BlobReader that holds no connection between reads fits). The source must
  // yield exactly `body_length` bytes: when it fails or yields fewer or more, the bytes of the
  // failing piece are not sent and the connection is closed (before the headers went out, the
  // answer becomes 500 internal_error instead). Not read at all for HEAD, 1xx, 204 or 304. The
  // server releases the source when the body is sent or the connection ends, at the latest
  // when HttpServer::Stop returns, so whatever it reads from must outlive the server's Stop.
  std::shared_ptr<core::ByteSource> body_source;
  int64_t body_length = 0;
  // A deferred answer (ADR 0090: a mutation waiting for read-your-writes): when set, every other
  // field is ignored and nothing is sent yet. The server calls `defer(resume)` on the worker that
  // ran the handler, and that worker moves on to other requests. The request stays in flight —
  // its connection, and requests pipelined behind it, wait; the request deadline still applies
  // (408 when the answer comes later) — until `resume(make)` is called; then `make()` runs on a
  // worker and its response (which must not defer again) is the answer. Call `resume` within
  // request_timeout_ms: HttpServer::Stop waits for in-flight requests like any other, at most
  // drain_timeout_ms.
  std::function<void(ResumeResponse resume)> defer;
};

// Receives one request body piece by piece as it arrives (upload routes), so the server never
// buffers it. Created by HttpHandler::OpenBodySink; one sink serves one request.
//
// Order: OnBegin once, then OnChunk zero or more times, then OnEnd once — unless a call returns
// a response, or the request dies early (deadline → 408, client gone, bad chunked framing → 400,
// server stopping): then no further call is made and the sink is simply released, so a sink
// that holds resources (a temp file) cleans up in its destructor. A response returned by any of
// the three is sent as the answer (the server adds x-request-id). After OnBegin refused a
// request that has a body, or after OnChunk, the connection is closed without reading the
// rest of the body (what the client still sends is discarded for a short while, never handed
// to anyone); OnBegin refusing a request without body, or OnEnd refusing, keeps it usable.
// An exception escaping a call is answered 500 {"error":"internal_error"} and closes.
//
// Threads: the three calls for one request are made by one server thread at a time (never
// concurrently, each call happening-before the next and before Handle). Different requests'
// sinks run concurrently. OnBegin runs on a worker thread while the connection reads nothing,
// so it may block (database reads for authentication and permissions). OnChunk and OnEnd run
// on the thread that reads the socket (a reactor thread that serves many connections), so
// they must not block: no network, no long-held locks, no fsync; writing to a local (temp)
// file and hashing are fine. The whole-request deadline
// (HttpServerOptions::request_timeout_ms) keeps running while they work.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Before any body byte is read from the socket, on a worker thread (may block).
  // `declared_length` is the Content-Length (0 when absent), nullopt for a chunked body. Return
  // a response (401, 403, 413 when the declared length is over the route's cap, ...) to reject
  // before the body is read; the server then never sends 100 Continue.
  virtual std::optional<HttpResponse> OnBegin(std::optional<int64_t> declared_length) {
    (void)declared_length;
    return std::nullopt;
  }
  // The next bytes of the body, in order, transfer coding already removed; never empty. Bytes
  // arrive in pieces of any size (one byte up to a read buffer); the sink counts and enforces its
  // own cap here — the server's max_body_bytes does not apply to streamed bodies.
  virtual std::optional<HttpResponse> OnChunk(std::string_view bytes) = 0;
  // The whole body arrived. Return a response to reject it (e.g. 415 after sniffing); nullopt
  // lets the request reach HttpHandler::Handle with `streamed_body` pointing at this sink.
  virtual std::optional<HttpResponse> OnEnd() { return std::nullopt; }
};

// The application's request handler. Called concurrently from the server's threads, so
// implementations must be thread-safe. An exception escaping Handle becomes
// 500 {"error":"internal_error"}.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
  // Called once the header block of a non-upgrade request is complete, before any body byte is
  // read, on the thread that reads the socket. `head` has no body. Return a sink to receive
  // the body in pieces instead of buffering it (its OnBegin then admits or refuses the request
  // on a worker; see BodySink); nullptr (the default) buffers it under
  // HttpServerOptions::max_body_bytes as usual. Must be cheap (no I/O) and thread-safe.
  virtual std::shared_ptr<BodySink> OpenBodySink(const HttpRequest& head) {
    (void)head;
    return nullptr;
  }
};

// Returns the value of query parameter `name` from a raw query string, percent-decoded
// ('+' read as space). nullopt when absent or when its encoding is malformed.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

}  // namespace filament::http
