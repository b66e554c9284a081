#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace filament::http {

// One HTTP request as the server saw it, independent of the HTTP library.
struct HttpRequest {
  std::string method;  // upper case as sent ("GET", "POST", ...)
  std::string path;    // raw request path, percent-encoding kept, no query
  std::string query;   // raw query string without '?', percent-encoding kept
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, order kept
  std::string body;        // fully read (bounded by HttpServerOptions::max_body_bytes)
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
};

// The application's request handler. Called concurrently from the server's pool threads, so
// implementations must be thread-safe. An exception escaping Handle becomes
// 500 {"error":"internal_error"}.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
};

// Returns the value of query parameter `name` from a raw query string, percent-decoded
// ('+' read as space). nullopt when absent or when its encoding is malformed.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

}  // namespace filament::http
