#pragma once

// Internal to adapters/http: what a worker does with one complete request.

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/http/http_server.hpp"

namespace filament::http {

class WsReactorPool;

// What the reactor threads and the workers share; fixed once the server runs.
struct ServerCore {
  HttpServerOptions options;
  HttpHandler* handler = nullptr;
  GatewayUpgrade* upgrade = nullptr;  // null: no WebSocket support
  WsReactorPool* ws = nullptr;        // set when upgrade is
};

// A worker's answer to the connection that handed it a request, or the next piece of a
// streamed body (`piece`).
struct Reply {
  std::string bytes;   // the serialized response (a streamed one: its head and first piece)
  size_t written = 0;  // how much of it the worker already sent (see Exchange::direct_fd)
  bool close = false;
  std::shared_ptr<WsSessionHandler> session;  // set: a 101 was built; the socket goes to `ws`
  // Streamed body (HttpResponse::body_source): set while bytes remain after `bytes`.
  std::shared_ptr<core::ByteSource> source;
  int64_t remaining = 0;  // bytes `source` still owes
  bool piece = false;     // `bytes` continue the body being written (from ReadBodyPiece)
  bool failed = false;    // the source failed or broke its length: close, send nothing more
  // The verdict of an admission (BodySink::OnBegin run on a worker) instead of an answer:
  // `refused` holds the response when the sink refused the request.
  bool admission = false;
  std::optional<HttpResponse> refused;
};

// A complete request on its way to a worker.
struct Exchange {
  HttpRequest request;
  bool upgrade = false;     // a WebSocket handshake for GatewayUpgrade
  bool close = false;       // the connection closes after the answer
  bool head_only = false;   // HEAD: no body bytes in the answer
  bool http10 = false;      // HTTP/1.0 client
  int64_t deadline_ms = 0;  // steady-clock ms; a handler finishing later is answered 408
  // When >= 0 the worker sends the answer itself, as far as the socket takes it without
  // blocking, before handing the rest to the reactor: the client need not wait for the reactor
  // thread to wake. The connection guarantees nothing else touches or closes the socket until
  // the reply is back (it holds no unsent bytes and is not read while the request is handled).
  int direct_fd = -1;
};

// Runs the upgrade hook and serializes its answer (a 101 hands over the session). Never throws.
Reply RunUpgrade(const ServerCore& core, const Exchange& exchange);

// Runs the handler on `exchange.request`. Never throws: an exception escaping the application
// becomes 500 {"error":"internal_error"}. The response may be deferred (HttpResponse::defer).
HttpResponse CallHandler(const ServerCore& core, Exchange& exchange);

// Runs `make` (a deferred request's answer). Never throws: an exception, or a response that
// defers again, becomes 500.
HttpResponse CallMaker(const ResponseMaker& make);

// Serializes `response` as the answer to `exchange` — 408 once past its deadline — with the
// first piece of a streamed body, and sends what the socket takes at once when direct_fd >= 0.
Reply Answer(const ServerCore& core, const Exchange& exchange, HttpResponse response);

// Reads the next piece of a streamed body from `source`, which owes `remaining` (> 0) bytes:
// min(remaining, chunk_bytes) bytes, fewer only if the source ends early (then `failed`). With
// the last piece it checks that the source has no more bytes. The result has `piece` set and
// keeps `source` only while bytes remain. Never throws (an exception counts as a failure).
Reply ReadBodyPiece(std::shared_ptr<core::ByteSource> source, int64_t remaining,
                    size_t chunk_bytes);

// True for a GET /gateway/ws request carrying RFC 6455 upgrade headers (version 13).
bool IsWebSocketUpgrade(const HttpRequest& request);

// Milliseconds of the steady clock.
int64_t SteadyNowMs();

}  // namespace filament::http
