#include "apps/web_front.hpp"

namespace filament::app {
namespace {

bool UnderApiPrefix(std::string_view path) {
  constexpr std::string_view kPrefix = "/api";
  return path.substr(0, kPrefix.size()) == kPrefix &&
         (path.size() == kPrefix.size() || path[kPrefix.size()] == '/');
}

}  // namespace

bool WebFront::IsStatic(const http::HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return false;
  if (UnderApiPrefix(request.path)) return false;
  return !api_owns_(request.path);
}

http::HttpResponse WebFront::Handle(const http::HttpRequest& request) {
  if (IsStatic(request)) return site_.Serve(request);
  return api_.Handle(request);
}

std::shared_ptr<http::BodySink> WebFront::OpenBodySink(const http::HttpRequest& head) {
  if (IsStatic(head)) return nullptr;  // a GET's body (if any) is buffered and ignored
  return api_.OpenBodySink(head);
}

}  // namespace filament::app
