#include "adapters/http/response_writer.hpp"

#include <cctype>
#include <ctime>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/SHA1Engine.h>
#include <http_parser.h>

namespace filament::http {
namespace {

bool EqualsLower(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != lower[i]) return false;
  }
  return true;
}

bool ReservedOrUnsafe(std::string_view name, std::string_view value) {
  for (std::string_view reserved :
       {"x-request-id", "content-length", "connection", "transfer-encoding", "date"}) {
    if (EqualsLower(name, reserved)) return true;
  }
  if (name.empty()) return true;
  for (unsigned char c : name) {
    if (c <= ' ' || c == ':' || c >= 0x7f) return true;
  }
  return value.find_first_of("\r\n", 0) != std::string_view::npos ||
         value.find('\0') != std::string_view::npos;
}

// IMF-fixdate of the current second, cached per thread.
std::string_view DateNow() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[64] = {0};
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return text;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

bool NoContentLength(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

bool ResponseHasBody(int status, bool head_only) { return !head_only && !NoContentLength(status); }

std::string SerializeResponse(const HttpResponse& response, std::string_view request_id, bool close,
                              bool head_only, bool http10) {
  const int status = response.status;
  const bool no_length = NoContentLength(status);
  const bool send_body = ResponseHasBody(status, head_only);
  const bool streamed = response.body_source != nullptr;
  const int64_t length =
      streamed ? response.body_length : static_cast<int64_t>(response.body.size());
  std::string out;
  out.reserve(256 + (send_body && !streamed ? response.body.size() : 0));
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
  out.append(http_status_str(static_cast<http_status>(status))).append("\r\n");
  for (const auto& [name, value] : response.headers) {
    if (!ReservedOrUnsafe(name, value)) AppendHeader(out, name, value);
  }
  AppendHeader(out, "x-request-id", request_id);
  if (length > 0 && !response.content_type.empty() &&
      !ReservedOrUnsafe("content-type", response.content_type)) {
    AppendHeader(out, "Content-Type", response.content_type);
  }
  if (!no_length) AppendHeader(out, "Content-Length", std::to_string(length));
  AppendHeader(out, "Date", DateNow());
  if (close) {
    AppendHeader(out, "Connection", "close");
  } else if (http10) {
    AppendHeader(out, "Connection", "keep-alive");
  }
  out.append("\r\n");
  if (send_body && !streamed) out.append(response.body);
  return out;
}

std::string SwitchingProtocols(std::string_view websocket_key, std::string_view request_id) {
  Poco::SHA1Engine sha1;
  sha1.update(std::string(websocket_key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  const Poco::DigestEngine::Digest& digest = sha1.digest();
  std::ostringstream accept;
  {
    Poco::Base64Encoder encoder(accept);
    encoder.write(reinterpret_cast<const char*>(digest.data()),
                  static_cast<std::streamsize>(digest.size()));
    encoder.close();
  }
  std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n";
  out.append("Connection: Upgrade\r\n");
  AppendHeader(out, "Sec-WebSocket-Accept", accept.str());
  AppendHeader(out, "x-request-id", request_id);
  AppendHeader(out, "Date", DateNow());
  out.append("\r\n");
  return out;
}

}  // namespace filament::http
