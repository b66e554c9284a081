#pragma once

#include "adapters/http/http_types.hpp"
#include "adapters/webroot/static_site.hpp"
#include "api/routes/api_handler.hpp"

namespace filament::app {

// `--web-root` (ADR 0052): the web client and the API on one origin. A GET or HEAD whose path
// is not under /api and matches no API route pattern goes to the static site; every other
// request goes to the API unchanged (so /health, /auth/... and /gateway/ws keep working
// unprefixed). Both must outlive this handler. Thread-safe.
class WebFront final : public http::HttpHandler {
 public:
  WebFront(api::ApiHandler& api, const webroot::StaticSite& site) : api_(api), site_(site) {}

  http::HttpResponse Handle(const http::HttpRequest& request) override;
  std::shared_ptr<http::BodySink> OpenBodySink(const http::HttpRequest& head) override;

  // True when `request` is the static site's.
  bool IsStatic(const http::HttpRequest& request) const;

 private:
  api::ApiHandler& api_;
  const webroot::StaticSite& site_;
};

}  // namespace filament::app
