#pragma once

#include <string>

#include "api/routes/api_handler.hpp"
#include "api/support/json_body.hpp"

// Small helpers shared by the route files (not a public API).
namespace filament::api {

inline core::Error RateLimited() {
  return core::MakeError(core::ErrorCode::kResourceExhausted, "rate limited");
}

inline core::Result<JsonObjectReader> ParseBody(const RouteRequest& request) {
  return ParseJsonBody(request.http.Header("content-type"), request.http.body);
}

inline commands::CommandContext ContextFor(const Principal& who, const RouteRequest& request) {
  return commands::CommandContext{who.user_id, request.http.request_id};
}

}  // namespace filament::api
