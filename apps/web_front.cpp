#include "apps/web_front.hpp"

namespace filament::app {

bool WebFront::IsStatic(const http::HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return false;
  if (api::RoutedPath(request.path) != request.path) return false;  // under /api
  return !api_.HasPattern(request.path);
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
