#include "adapters/http/http_exchange.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <variant>

#include <sys/socket.h>

#include "adapters/http/request_parser.hpp"
#include "adapters/http/response_writer.hpp"

namespace filament::http {
namespace {

constexpr std::string_view kGatewayPath = "/gateway/ws";
constexpr size_t kMinChunkBytes = 4 * 1024;
constexpr size_t kMaxChunkBytes = 4 * 1024 * 1024;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool HasToken(std::string_view list, std::string_view token) {
  const std::string lowered = Lower(list);
  size_t start = 0;
  while (start <= lowered.size()) {
    size_t end = lowered.find(',', start);
    if (end == std::string::npos) end = lowered.size();
    std::string_view item(lowered.data() + start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == token) return true;
    start = end + 1;
  }
  return false;
}

HttpResponse InternalError() { return JsonErrorResponse(500, "internal_error"); }

Reply Serialize(const Exchange& exchange, const HttpResponse& response, bool close) {
  Reply reply;
  reply.bytes = SerializeResponse(response, exchange.request.request_id, close, exchange.head_only,
                                  exchange.http10);
  reply.close = close;
  return reply;
}

// Fills `out` with exactly `want` bytes of `source`; false when it fails or ends first.
bool ReadExactly(core::ByteSource& source, std::string& out, size_t want) {
  out.resize(want);
  size_t filled = 0;
  while (filled < want) {
    auto n = source.Read(std::span<char>(out.data() + filled, want - filled));
    if (!n.ok()) {
      std::fprintf(stderr, "http: streamed body failed: %s\n", n.error().message.c_str());
      return false;
    }
    if (*n == 0 || *n > want - filled) return false;
    filled += *n;
  }
  return true;
}

// True when `source` has no byte left (one more read returns 0).
bool AtEnd(core::ByteSource& source) {
  char extra = 0;
  auto n = source.Read(std::span<char>(&extra, 1));
  return n.ok() && *n == 0;
}

// Appends the first piece of the streamed body to the head in `reply`. A source that fails
// here, before any byte went out, turns the answer into a 500 instead.
Reply StartBody(const ServerCore& core, const Exchange& exchange, HttpResponse& response,
                Reply reply) {
  if (response.body_length < 0) return Serialize(exchange, InternalError(), true);
  Reply first = ReadBodyPiece(std::move(response.body_source), response.body_length,
                              core.options.response_chunk_bytes);
  if (first.failed) return Serialize(exchange, InternalError(), true);
  reply.bytes.append(first.bytes);
  reply.source = std::move(first.source);
  reply.remaining = first.remaining;
  return reply;
}

// Sends what the socket takes now; the reactor writes the rest (and sees any error itself).
void SendDirect(int fd, Reply& reply) {
  while (reply.written < reply.bytes.size()) {
    const ssize_t n = ::send(fd, reply.bytes.data() + reply.written,
                             reply.bytes.size() - reply.written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      reply.written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

}  // namespace

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Reply ReadBodyPiece(std::shared_ptr<core::ByteSource> source, int64_t remaining,
                    size_t chunk_bytes) {
  Reply piece;
  piece.piece = true;
  const size_t chunk = std::clamp(chunk_bytes, kMinChunkBytes, kMaxChunkBytes);
  const auto want = static_cast<size_t>(std::clamp<int64_t>(remaining, 0, chunk));
  try {
    piece.failed = source == nullptr || !ReadExactly(*source, piece.bytes, want) ||
                   (static_cast<int64_t>(want) == remaining && !AtEnd(*source));
  } catch (...) {
    piece.failed = true;
  }
  if (piece.failed) {
    std::string().swap(piece.bytes);
    piece.close = true;
    return piece;
  }
  piece.remaining = remaining - static_cast<int64_t>(want);
  if (piece.remaining > 0) piece.source = std::move(source);
  return piece;
}

bool IsWebSocketUpgrade(const HttpRequest& request) {
  if (request.method != "GET" || request.path != kGatewayPath) return false;
  const auto connection = request.Header("connection");
  const auto upgrade = request.Header("upgrade");
  const auto key = request.Header("sec-websocket-key");
  const auto version = request.Header("sec-websocket-version");
  return connection && HasToken(*connection, "upgrade") && upgrade &&
         HasToken(*upgrade, "websocket") && key && !key->empty() && version && *version == "13";
}

Reply RunUpgrade(const ServerCore& core, const Exchange& exchange) {
  std::variant<HttpResponse, std::shared_ptr<WsSessionHandler>> decision = InternalError();
  try {
    decision = core.upgrade->OnUpgradeRequest(exchange.request);
  } catch (...) {
    decision = InternalError();
  }
  // A refused handshake closes: the client may already be sending frames behind it.
  if (auto* response = std::get_if<HttpResponse>(&decision)) {
    return Serialize(exchange, *response, true);
  }
  std::shared_ptr<WsSessionHandler> session = std::get<1>(std::move(decision));
  if (session == nullptr) return Serialize(exchange, InternalError(), true);
  const std::string key = exchange.request.Header("sec-websocket-key").value_or("");
  Reply reply;
  reply.bytes = SwitchingProtocols(key, exchange.request.request_id);
  reply.session = std::move(session);
  return reply;
}

HttpResponse CallHandler(const ServerCore& core, Exchange& exchange) {
  HttpResponse response;
  try {
    response = core.handler->Handle(exchange.request);
  } catch (...) {
    response = InternalError();
  }
  exchange.request.streamed_body.reset();  // the sink's resources go before the answer
  return response;
}

HttpResponse CallMaker(const ResponseMaker& make) {
  try {
    HttpResponse response = make();
    if (!response.defer) return response;
    std::fprintf(stderr, "http: a deferred answer deferred again\n");
  } catch (...) {
  }
  return InternalError();
}

Reply Answer(const ServerCore& core, const Exchange& exchange, HttpResponse response) {
  if (SteadyNowMs() > exchange.deadline_ms) response = JsonErrorResponse(408, "request_timeout");
  const bool close = exchange.close || response.status == 408;
  Reply reply = Serialize(exchange, response, close);
  if (response.body_source != nullptr && ResponseHasBody(response.status, exchange.head_only)) {
    reply = StartBody(core, exchange, response, std::move(reply));
  }
  response.body_source.reset();  // HEAD, 204, 304: never read
  if (exchange.direct_fd >= 0) SendDirect(exchange.direct_fd, reply);
  return reply;
}

}  // namespace filament::http
