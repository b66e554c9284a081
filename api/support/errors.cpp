#include "api/support/errors.hpp"

#include <algorithm>

namespace filament::api {
namespace {

// A contract error code with its status (REST_API.md §2.3 plus the framework codes).
struct WireCode {
  int status;
  std::string_view code;
};

constexpr WireCode kInvalidRequest{400, "invalid_request"};
constexpr WireCode kInvalidCredentials{401, "invalid_credentials"};
constexpr WireCode kForbidden{403, "forbidden"};
constexpr WireCode kNotFoundCode{404, "not_found"};
constexpr WireCode kMethodNotAllowed{405, "method_not_allowed"};
constexpr WireCode kRequestTimeout{408, "request_timeout"};
constexpr WireCode kQuotaExceeded{409, "quota_exceeded"};
constexpr WireCode kPayloadTooLarge{413, "payload_too_large"};
constexpr WireCode kUnsupportedMediaType{415, "unsupported_media_type"};
constexpr WireCode kUnprocessable{422, "invalid_request"};
constexpr WireCode kRateLimited{429, "rate_limited"};
constexpr WireCode kInternalError{500, "internal_error"};

// The 403 codes a kPermissionDenied may name in its reason.
constexpr std::string_view kSpecific403[] = {
    "captcha_failed", "audit_access_denied", "directory_join_user_banned",
    "directory_join_ip_banned", "guild_creation_limit_reached"};

ErrorReply Reply(WireCode wire) {
  ErrorReply reply;
  reply.status = wire.status;
  reply.body.reserve(wire.code.size() + 12);
  reply.body.append("{\"error\":\"").append(wire.code).append("\"}");
  reply.content_type = "application/json";
  return reply;
}

WireCode ForInvalidArgument(std::string_view reason) {
  if (reason == kReasonUnsupported) return kUnsupportedMediaType;
  if (reason == kReasonUnprocessable) return kUnprocessable;
  return kInvalidRequest;
}

WireCode ForPermissionDenied(std::string_view reason) {
  for (std::string_view code : kSpecific403) {
    if (reason == code) return WireCode{403, code};
  }
  return kForbidden;
}

WireCode ForResourceExhausted(std::string_view reason) {
  if (reason == kQuotaExceeded.code) return kQuotaExceeded;
  if (reason == kPayloadTooLarge.code) return kPayloadTooLarge;
  return kRateLimited;
}

// kAlreadyExists / kFailedPrecondition: the contract answers uniqueness and state conflicts
// (username taken, already friends, attachment already bound) with 400 invalid_request; the
// only 409 in the contract is quota_exceeded, which a cap hit may name in its reason.
WireCode ForConflict(std::string_view reason) {
  if (reason == kQuotaExceeded.code) return kQuotaExceeded;
  return kInvalidRequest;
}

WireCode WireCodeFor(const core::Error& error) {
  switch (error.code) {
    case core::ErrorCode::kInvalidArgument:
      return ForInvalidArgument(error.reason);
    case core::ErrorCode::kUnauthenticated:
      return kInvalidCredentials;
    case core::ErrorCode::kPermissionDenied:
      return ForPermissionDenied(error.reason);
    case core::ErrorCode::kNotFound:
      return kNotFoundCode;
    case core::ErrorCode::kResourceExhausted:
      return ForResourceExhausted(error.reason);
    case core::ErrorCode::kAlreadyExists:
    case core::ErrorCode::kFailedPrecondition:
      return ForConflict(error.reason);
    // kAborted here means a stream-version conflict that survived the command service's
    // retries. The contract has no 503 and no retryable code, and the web client only knows
    // the statuses of §2.3, so it is reported like any other server-side failure.
    case core::ErrorCode::kAborted:
    case core::ErrorCode::kUnavailable:
    case core::ErrorCode::kDeadlineExceeded:
    case core::ErrorCode::kInternal:
      return kInternalError;
  }
  return kInternalError;  // an out-of-range enum value (memory corruption or a bad cast)
}

}  // namespace

core::Error MalformedError(std::string message) {
  return core::InvalidArgument(std::move(message), kReasonMalformed);
}
core::Error UnsupportedMediaTypeError(std::string message) {
  return core::InvalidArgument(std::move(message), kReasonUnsupported);
}
core::Error UnprocessableError(std::string message) {
  return core::InvalidArgument(std::move(message), kReasonUnprocessable);
}

ErrorReply MapError(const core::Error& error) { return Reply(WireCodeFor(error)); }

ErrorReply BadRequestReply() { return Reply(kInvalidRequest); }
ErrorReply NotFoundReply() { return Reply(kNotFoundCode); }
ErrorReply MethodNotAllowedReply(std::string_view allow) {
  ErrorReply reply = Reply(kMethodNotAllowed);
  reply.headers.emplace_back("allow", std::string(allow));
  return reply;
}
ErrorReply RequestTimeoutReply() { return Reply(kRequestTimeout); }
ErrorReply PayloadTooLargeReply() { return Reply(kPayloadTooLarge); }
ErrorReply UnsupportedMediaTypeReply() { return Reply(kUnsupportedMediaType); }
ErrorReply UnprocessableReply() { return Reply(kUnprocessable); }

ErrorReply RateLimitedReply(int64_t retry_after_secs) {
  ErrorReply reply = Reply(kRateLimited);
  std::string secs = std::to_string(std::max<int64_t>(retry_after_secs, 1));
  reply.headers.emplace_back("retry-after", secs);
  reply.headers.emplace_back("x-ratelimit-after", std::move(secs));
  return reply;
}

}  // namespace filament::api
