#pragma once

// Internal to adapters/http: serves one request/response exchange on a POCO pool thread.

#include "adapters/http/http_server.hpp"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace filament::http {

class WsReactorPool;

struct ExchangeContext {
  HttpServerOptions options;
  HttpHandler* handler = nullptr;
  GatewayUpgrade* upgrade = nullptr;  // null: no WebSocket support
  WsReactorPool* reactors = nullptr;  // set when upgrade is
};

// Reads the body within the deadline, calls the handler (or the upgrade hook) and writes the
// response with x-request-id. Never throws.
void ServeExchange(const ExchangeContext& context, Poco::Net::HTTPServerRequest& request,
                   Poco::Net::HTTPServerResponse& response);

// True for a GET /gateway/ws request carrying RFC 6455 upgrade headers (version 13).
bool IsWebSocketUpgrade(const HttpRequest& request);

}  // namespace filament::http
