#include "adapters/http/http_exchange.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <variant>

#include <sys/socket.h>

#include "adapters/http/request_parser.hpp"
#include "adapters/http/response_writer.hpp"

namespace filament::http {
namespace {

constexpr std::string_view kGatewayPath = "/gateway/ws";

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
  return Reply{SerializeResponse(response, exchange.request.request_id, close, exchange.head_only,
                                 exchange.http10),
               0, close, nullptr};
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
  return Reply{SwitchingProtocols(key, exchange.request.request_id), 0, false, std::move(session)};
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

bool IsWebSocketUpgrade(const HttpRequest& request) {
  if (request.method != "GET" || request.path != kGatewayPath) return false;
  const auto connection = request.Header("connection");
  const auto upgrade = request.Header("upgrade");
  const auto key = request.Header("sec-websocket-key");
  const auto version = request.Header("sec-websocket-version");
  return connection && HasToken(*connection, "upgrade") && upgrade &&
         HasToken(*upgrade, "websocket") && key && !key->empty() && version && *version == "13";
}

Reply RunExchange(const ServerCore& core, Exchange exchange) {
  if (exchange.upgrade) return RunUpgrade(core, exchange);
  HttpResponse response;
  try {
    response = core.handler->Handle(exchange.request);
  } catch (...) {
    response = InternalError();
  }
  exchange.request.streamed_body.reset();  // the sink's resources go before the answer
  if (SteadyNowMs() > exchange.deadline_ms) response = JsonErrorResponse(408, "request_timeout");
  const bool close = exchange.close || response.status == 408;
  Reply reply = Serialize(exchange, response, close);
  if (exchange.direct_fd >= 0) SendDirect(exchange.direct_fd, reply);
  return reply;
}

}  // namespace filament::http
