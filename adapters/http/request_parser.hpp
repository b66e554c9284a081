#pragma once

// Internal to adapters/http: incremental HTTP/1.1 request framing over the Debian-packaged
// http_parser (nodejs/http-parser 2.9), with the RFC 9112 rules that keep framing unambiguous.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/http_types.hpp"

namespace filament::http {

// How the body of a parsed request head is framed.
struct Framing {
  std::optional<int64_t> content_length;  // set when Content-Length framed the body
  bool chunked = false;                   // Transfer-Encoding: chunked
  bool expect_continue = false;           // Expect: 100-continue on HTTP/1.1
  bool keep_alive = true;                 // the client allows another request after this one
  bool upgrade = false;                   // Connection: upgrade + Upgrade: ... (parsing stops)
  bool http10 = false;
  bool head_only = false;  // HEAD: the response carries no body
  bool HasBody() const { return chunked || content_length.value_or(0) > 0; }
};

// A reason to answer now instead of reading on. After a parser error or a rejection in OnHead /
// OnBody the connection must close: the rest of the stream cannot be framed.
struct Rejection {
  HttpResponse response;
};

// {"error": code} as ADR 0007 spells transport errors.
HttpResponse JsonErrorResponse(int status, std::string_view code);

// Reads requests one at a time. Feed() consumes bytes until a request is complete (then it
// pauses: Next() readies it for the following one, so pipelined bytes stay with the caller) or
// framing fails. Not thread-safe; one per connection.
//
// Rejected with 400 invalid_request (and close): malformed syntax, two Content-Length fields
// (even equal ones), Content-Length together with Transfer-Encoding, chunked applied twice or
// not last, Transfer-Encoding on HTTP/1.0, whitespace or other non-token bytes in a field name,
// obs-fold (a field value continued on the next line), an invalid chunk size.
// 501 not_implemented: a transfer coding other than chunked. 431: a header block larger than
// max_header_bytes (request line included).
class RequestParser {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // The first byte of a request arrived.
    virtual void OnBegin() = 0;
    // The header block is complete. Return a rejection to stop reading (close follows), or
    // call PauseAfterHead() to stop before the first body byte (state kPaused).
    virtual std::optional<Rejection> OnHead(HttpRequest head, const Framing& framing) = 0;
    // Body bytes, transfer coding removed, never empty. A rejection stops reading.
    virtual std::optional<Rejection> OnBody(std::string_view bytes) = 0;
  };

  // kPaused: the head was read and the listener asked to look at it before any body byte is
  // consumed; Feed() consumes nothing until Resume().
  enum class State { kIdle, kHead, kPaused, kBody, kComplete, kFailed };

  RequestParser(int64_t max_header_bytes, Listener* listener);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Consumes a prefix of `bytes` and returns its length: all of it unless the request completed
  // (kComplete) or failed (kFailed) inside.
  size_t Feed(std::string_view bytes);
  // After kComplete: continue with the next request on the same connection.
  void Next();
  // From inside Listener::OnHead only: stop right after the head. Feed() then returns having
  // consumed no body byte (the bytes it did not consume start with the head's final LF and
  // must be fed again after Resume()).
  void PauseAfterHead() { pause_requested_ = true; }
  // After kPaused: go on with the body (state kBody).
  void Resume();
  State state() const { return state_; }
  // After kFailed: the answer to send before closing.
  const Rejection& failure() const { return *failure_; }

 private:
  struct Impl;
  static Impl* ImplOf(void* parser);
  int HeadersComplete();
  size_t Execute(std::string_view bytes);  // Feed after leading blank lines
  void Fail(int status, std::string_view code);

  std::unique_ptr<Impl> impl_;
  State state_ = State::kIdle;
  bool pause_requested_ = false;
  std::optional<Rejection> failure_;
};

}  // namespace filament::http
