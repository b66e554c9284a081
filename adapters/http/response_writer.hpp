#pragma once

// Internal to adapters/http: HTTP/1.1 response bytes.

#include <string>
#include <string_view>

#include "adapters/http/http_types.hpp"

namespace filament::http {

// Status line, the handler's headers (minus any x-request-id, Content-Length, Connection,
// Transfer-Encoding, Date it set, and any header whose name or value could split the response),
// x-request-id, Content-Type when the body is not empty, Content-Length (not for 1xx/204/304),
// Date, `Connection: close` when `close` (`keep-alive` to an HTTP/1.0 client otherwise), then the
// body unless `head_only`. A streamed response (HttpResponse::body_source) gets Content-Length
// body_length and no body bytes here: the caller sends them (ReadBodyPiece).
std::string SerializeResponse(const HttpResponse& response, std::string_view request_id, bool close,
                              bool head_only, bool http10);

// False when a response of this status to this request carries no body bytes (HEAD, 1xx,
// 204, 304).
bool ResponseHasBody(int status, bool head_only);

// The 101 answer to a WebSocket handshake with this Sec-WebSocket-Key (RFC 6455 §4.2.2).
std::string SwitchingProtocols(std::string_view websocket_key, std::string_view request_id);

inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace filament::http
