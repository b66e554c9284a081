#pragma once

// Test-only helpers for reading HTTP/1.1 responses off a TestSocket (header-only).

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/testing/socket_test_client.hpp"

namespace filament::http::testing {

struct HttpTestResponse {
  int status = 0;
  std::string head;
  std::string body;
  // The first header `lower_name` (lower case), or "" when absent.
  std::string Header(std::string_view lower_name) const {
    std::string lowered = head;
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const size_t pos = lowered.find("\r\n" + std::string(lower_name) + ": ");
    if (pos == std::string::npos) return "";
    const size_t start = pos + 4 + lower_name.size();
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

// Reads one response (head, then a Content-Length body). nullopt on timeout, EOF or a response
// the helper cannot frame.
inline std::optional<HttpTestResponse> ReadHttpResponse(TestSocket& socket, int timeout_ms = 3000) {
  auto head = socket.ReadUntil("\r\n\r\n", timeout_ms);
  if (!head || head->size() < 12 || head->compare(0, 5, "HTTP/") != 0) return std::nullopt;
  HttpTestResponse r;
  r.head = *head;
  r.status = std::stoi(head->substr(9, 3));
  const std::string length = r.Header("content-length");
  if (!length.empty()) {
    auto body = socket.ReadExactly(std::stoul(length), timeout_ms);
    if (!body) return std::nullopt;
    r.body = *body;
  }
  return r;
}

}  // namespace filament::http::testing
