#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace filament::api {

// An HTTP error answer, independent of any transport. `headers` uses lower-case names.
struct ErrorReply {
  int status = 500;
  std::string body;          // always `{"error":"<code>"}`
  std::string content_type;  // always "application/json"
  std::vector<std::pair<std::string, std::string>> headers;
};

// Reasons (core::Error::reason) that select a framework-level status. Layers below the API
// never use them; the strict decoders in api/support do. With ErrorCode kInvalidArgument:
//   kReasonMalformed   -> 400 invalid_request        (bad JSON, bad query/path parameter)
//   kReasonUnsupported -> 415 unsupported_media_type (JSON route without application/json)
//   kReasonUnprocessable -> 422 invalid_request      (unknown field, wrong type, bad enum,
//                                                      missing required field)
inline constexpr char kReasonMalformed[] = "http_400";
inline constexpr char kReasonUnsupported[] = "http_415";
inline constexpr char kReasonUnprocessable[] = "http_422";

// Shorthands for the errors above (message is for logs only).
core::Error MalformedError(std::string message);
core::Error UnsupportedMediaTypeError(std::string message);
core::Error UnprocessableError(std::string message);

// THE mapping from core::Error to the wire contract (REST_API.md §2.3). Pure, thread-safe.
//   kInvalidArgument    -> 400 invalid_request (or 415/422 by the reasons above)
//   kUnauthenticated    -> 401 invalid_credentials
//   kPermissionDenied   -> 403 forbidden, or the 403 code named by `reason` (captcha_failed,
//                          audit_access_denied, directory_join_user_banned,
//                          directory_join_ip_banned, guild_creation_limit_reached)
//   kNotFound           -> 404 not_found
//   kResourceExhausted  -> 429 rate_limited, or reason quota_exceeded (409) /
//                          payload_too_large (413)
//   kAlreadyExists,
//   kFailedPrecondition -> 400 invalid_request, or reason quota_exceeded (409)
//   kAborted, kUnavailable, kDeadlineExceeded, kInternal -> 500 internal_error
// A reason that is not allowed for the error's code is ignored (the default code is used), so
// a stray reason can never produce a status outside the contract for that kind of failure.
ErrorReply MapError(const core::Error& error);

// Framework replies (transport / router level). Every body is JSON `{"error":"<code>"}`;
// see api/support/README.md for why these differ from the original's plain-text bodies.
ErrorReply BadRequestReply();                              // 400 invalid_request
ErrorReply NotFoundReply();                                // 404 not_found
ErrorReply MethodNotAllowedReply(std::string_view allow);  // 405 method_not_allowed + allow
ErrorReply RequestTimeoutReply();                          // 408 request_timeout
ErrorReply PayloadTooLargeReply();                         // 413 payload_too_large
ErrorReply UnsupportedMediaTypeReply();                    // 415 unsupported_media_type
ErrorReply UnprocessableReply();                           // 422 invalid_request
// 429 rate_limited with `retry-after` and `x-ratelimit-after` (seconds, at least 1).
ErrorReply RateLimitedReply(int64_t retry_after_secs);

}  // namespace filament::api
