#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "adapters/http/http_types.hpp"
#include "adapters/webroot/static_site.hpp"

namespace filament::app {

// `--web-root` (ADR 0052): the web client and the API on one origin. A GET or HEAD whose path
// is not `/api` or under `/api/` and that the API does not own (`api_owns(path)`: some route
// pattern matches it, whatever its method — api::ApiHandler::HasPattern) goes to the static
// site; every other request goes to the API unchanged (so /health, /auth/... and /gateway/ws
// keep working unprefixed). Everything given must outlive this handler. Thread-safe when they
// are.
class WebFront final : public http::HttpHandler {
 public:
  using ApiOwns = std::function<bool(std::string_view path)>;
  WebFront(http::HttpHandler& api, ApiOwns api_owns, const webroot::StaticSite& site)
      : api_(api), api_owns_(std::move(api_owns)), site_(site) {}

  http::HttpResponse Handle(const http::HttpRequest& request) override;
  std::shared_ptr<http::BodySink> OpenBodySink(const http::HttpRequest& head) override;

  // True when `request` is the static site's.
  bool IsStatic(const http::HttpRequest& request) const;

 private:
  http::HttpHandler& api_;
  ApiOwns api_owns_;
  const webroot::StaticSite& site_;
};

}  // namespace filament::app
