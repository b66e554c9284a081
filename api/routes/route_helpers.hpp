#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "api/routes/api_handler.hpp"
#include "api/support/json_body.hpp"
#include "core/ulid.hpp"

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

// Parses ids sent as ULIDs, returns them canonical (upper case) with duplicates dropped, in
// first-seen order. Errors: kInvalidArgument (400) for an id that is not a ULID.
inline core::Result<std::vector<std::string>> CanonicalUlids(const std::vector<std::string>& raw) {
  std::vector<std::string> ids;
  for (const auto& text : raw) {
    auto id = core::Ulid::Parse(text);
    if (!id) return core::InvalidArgument("id is not a ULID");
    std::string canonical = id->ToString();
    if (std::find(ids.begin(), ids.end(), canonical) == ids.end()) ids.push_back(canonical);
  }
  return ids;
}

}  // namespace filament::api
