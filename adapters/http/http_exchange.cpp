#include "adapters/http/http_exchange.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>

#include <Poco/Buffer.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <unistd.h>

#include "adapters/http/request_id.hpp"
#include "adapters/http/ws_reactor.hpp"

namespace filament::http {
namespace {

using SteadyClock = std::chrono::steady_clock;
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

HttpRequest ConvertRequest(const Poco::Net::HTTPServerRequest& req) {
  HttpRequest out;
  out.method = req.getMethod();
  std::string_view target = req.getURI();
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    const size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const size_t question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
  for (const auto& [name, value] : req) out.headers.emplace_back(Lower(name), value);
  try {
    out.peer_ip = req.clientAddress().host().toString();
  } catch (const Poco::Exception&) {
    out.peer_ip = "unknown";
  }
  out.request_id = ResolveRequestId(req.get("x-request-id", ""), req.has("x-request-id"));
  return out;
}

void SendResponse(Poco::Net::HTTPServerResponse& resp, const HttpResponse& r,
                  const std::string& request_id, bool close_connection) {
  if (resp.sent()) return;
  try {
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    for (const auto& [name, value] : r.headers) {
      if (Lower(name) != "x-request-id") resp.add(name, value);
    }
    resp.set("x-request-id", request_id);
    if (!r.body.empty() && !r.content_type.empty()) resp.setContentType(r.content_type);
    if (close_connection) resp.setKeepAlive(false);
    resp.setContentLength64(static_cast<Poco::Int64>(r.body.size()));
    resp.sendBuffer(r.body.data(), r.body.size());
  } catch (const Poco::Exception&) {
    // The peer went away while we answered; nothing left to tell it.
  }
}

// Transport-level rejections use the same JSON error shape as the application (ADR 0007), so
// clients see `{"error": code}` on every error, whoever produced it.
HttpResponse JsonError(int status, const char* code) {
  return HttpResponse{status, std::string(R"({"error":")") + code + "\"}", "application/json", {}};
}

HttpResponse InternalError() { return HttpResponse{500, R"({"error":"internal_error"})"}; }

enum class BodyRead { kOk, kTooLarge, kRejected, kTimeout, kBroken };

// Where body bytes go: appended to the request (bounded by `limit`) or handed to a sink.
struct BodyTarget {
  std::string* buffer = nullptr;
  int64_t limit = 0;
  std::shared_ptr<BodySink> sink;
  std::optional<HttpResponse> rejection;  // what the sink answered

  BodyRead Take(std::string_view bytes) {
    if (sink == nullptr) {
      buffer->append(bytes);
      return static_cast<int64_t>(buffer->size()) > limit ? BodyRead::kTooLarge : BodyRead::kOk;
    }
    rejection = sink->OnChunk(bytes);
    return rejection ? BodyRead::kRejected : BodyRead::kOk;
  }
};

// Each blocking step is one socket read bounded by the time left, so a client trickling its
// body cannot hold the thread past the deadline.
BodyRead ReadBody(Poco::Net::HTTPServerRequest& req, SteadyClock::time_point deadline,
                  BodyTarget& target) {
  if (!req.getChunkedTransferEncoding() && !req.hasContentLength()) return BodyRead::kOk;
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  // Restores the session's per-read timeout for the next keep-alive request.
  struct TimeoutRestorer {
    Poco::Net::HTTPServerRequestImpl* impl;
    ~TimeoutRestorer() {
      if (impl == nullptr) return;
      try {
        impl->socket().setReceiveTimeout(impl->session().getTimeout());
      } catch (const Poco::Exception&) {
      }
    }
  } restorer{impl};
  std::streambuf* buffer = req.stream().rdbuf();
  char chunk[16 * 1024];
  try {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::microseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return BodyRead::kTimeout;
      if (impl != nullptr) impl->socket().setReceiveTimeout(Poco::Timespan(left.count()));
      if (buffer->sgetc() == std::char_traits<char>::eof()) return BodyRead::kOk;
      const std::streamsize take = std::min<std::streamsize>(buffer->in_avail(), sizeof(chunk));
      const auto got = static_cast<size_t>(buffer->sgetn(chunk, take));
      if (got == 0) continue;
      const BodyRead step = target.Take(std::string_view(chunk, got));
      if (step != BodyRead::kOk) return step;
    }
  } catch (const Poco::TimeoutException&) {
    return BodyRead::kTimeout;
  } catch (const Poco::Exception&) {
    return SteadyClock::now() >= deadline ? BodyRead::kTimeout : BodyRead::kBroken;
  }
}

// Decides where the body goes. Sets `early` when the request is answered before its body is
// read: a declared length over the cap, a sink refusing in OnBegin, or a throwing hook.
BodyTarget OpenTarget(const ExchangeContext& context, Poco::Net::HTTPServerRequest& req,
                      HttpRequest& request, std::optional<HttpResponse>& early) {
  BodyTarget target;
  target.buffer = &request.body;
  target.limit = context.options.max_body_bytes;
  if (context.options.body_limit_for) {
    target.limit =
        context.options.body_limit_for(request.method, request.path).value_or(target.limit);
  }
  try {
    target.sink = context.handler->OpenBodySink(request);
    std::optional<int64_t> declared;
    if (req.hasContentLength()) declared = req.getContentLength64();
    if (target.sink != nullptr) {
      early = target.sink->OnBegin(declared);
    } else if (declared && *declared > target.limit) {
      early = JsonError(413, "payload_too_large");
    }
  } catch (const Poco::Exception&) {
    early = JsonError(400, "invalid_request");
  } catch (...) {
    early = InternalError();
  }
  return target;
}

HttpResponse CallHandler(HttpHandler& handler, const HttpRequest& request) {
  try {
    return handler.Handle(request);
  } catch (...) {
    return InternalError();
  }
}

void Upgrade(const ExchangeContext& context, const HttpRequest& request,
             Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  std::variant<HttpResponse, std::shared_ptr<WsSessionHandler>> decision = InternalError();
  try {
    decision = context.upgrade->OnUpgradeRequest(request);
  } catch (...) {
    decision = InternalError();
  }
  if (auto* response = std::get_if<HttpResponse>(&decision)) {
    return SendResponse(resp, *response, request.request_id, false);
  }
  std::shared_ptr<WsSessionHandler> session = std::get<1>(std::move(decision));
  if (session == nullptr) return SendResponse(resp, InternalError(), request.request_id, false);
  resp.set("x-request-id", request.request_id);
  try {
    // Bytes the client pipelined behind the handshake sit in the session's buffer; take them
    // before POCO's WebSocket (which would keep them privately) is built.
    std::string initial;
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req)) {
      Poco::Buffer<char> buffered(0);
      impl->session().drainBuffer(buffered);
      initial.assign(buffered.begin(), buffered.size());
    }
    Poco::Net::WebSocket ws(req, resp);  // sends 101 and detaches the socket from the session
    const int fd = ::dup(ws.impl()->sockfd());
    if (fd < 0) return;
    context.reactors->Adopt(fd, std::move(session), std::move(initial));
  } catch (const Poco::Exception&) {
    SendResponse(resp, JsonError(400, "invalid_request"), request.request_id, true);
  }
}

}  // namespace

bool IsWebSocketUpgrade(const HttpRequest& request) {
  if (request.method != "GET" || request.path != kGatewayPath) return false;
  const auto connection = request.Header("connection");
  const auto upgrade = request.Header("upgrade");
  const auto key = request.Header("sec-websocket-key");
  const auto version = request.Header("sec-websocket-version");
  return connection && HasToken(*connection, "upgrade") && upgrade &&
         HasToken(*upgrade, "websocket") && key && !key->empty() && version && *version == "13";
}

void ServeExchange(const ExchangeContext& context, Poco::Net::HTTPServerRequest& req,
                   Poco::Net::HTTPServerResponse& resp) {
  const auto deadline =
      SteadyClock::now() + std::chrono::milliseconds(context.options.request_timeout_ms);
  HttpRequest request = ConvertRequest(req);
  if (context.upgrade != nullptr && IsWebSocketUpgrade(request)) {
    return Upgrade(context, request, req, resp);
  }
  std::optional<HttpResponse> early;
  BodyTarget target = OpenTarget(context, req, request, early);
  if (early) return SendResponse(resp, *early, request.request_id, true);
  BodyRead read = BodyRead::kBroken;
  try {
    read = ReadBody(req, deadline, target);
    if (read == BodyRead::kOk && target.sink != nullptr) {
      target.rejection = target.sink->OnEnd();
      if (target.rejection) {
        return SendResponse(resp, *target.rejection, request.request_id, false);
      }
      request.streamed_body = std::move(target.sink);
    }
  } catch (...) {
    return SendResponse(resp, InternalError(), request.request_id, true);
  }
  switch (read) {
    case BodyRead::kOk:
      break;
    case BodyRead::kTooLarge:
      return SendResponse(resp, JsonError(413, "payload_too_large"), request.request_id, true);
    case BodyRead::kRejected:
      return SendResponse(resp, *target.rejection, request.request_id, true);
    case BodyRead::kTimeout:
      return SendResponse(resp, JsonError(408, "request_timeout"), request.request_id, true);
    case BodyRead::kBroken:
      return SendResponse(resp, JsonError(400, "invalid_request"), request.request_id, true);
  }
  HttpResponse response = CallHandler(*context.handler, request);
  if (SteadyClock::now() > deadline) response = JsonError(408, "request_timeout");
  SendResponse(resp, response, request.request_id, response.status == 408);
}

}  // namespace filament::http
