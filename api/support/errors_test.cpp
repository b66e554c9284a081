#include "api/support/errors.hpp"

#include <gtest/gtest.h>

namespace filament::api {
namespace {

using core::ErrorCode;

ErrorReply Map(ErrorCode code, std::string reason = {}) {
  return MapError(core::MakeError(code, "log only", std::move(reason)));
}

void ExpectReply(const ErrorReply& reply, int status, std::string_view code) {
  EXPECT_EQ(reply.status, status);
  EXPECT_EQ(reply.body, "{\"error\":\"" + std::string(code) + "\"}");
  EXPECT_EQ(reply.content_type, "application/json");
}

TEST(MapError, CanonicalCodes) {
  ExpectReply(Map(ErrorCode::kInvalidArgument), 400, "invalid_request");
  ExpectReply(Map(ErrorCode::kUnauthenticated), 401, "invalid_credentials");
  ExpectReply(Map(ErrorCode::kPermissionDenied), 403, "forbidden");
  ExpectReply(Map(ErrorCode::kNotFound), 404, "not_found");
  ExpectReply(Map(ErrorCode::kResourceExhausted), 429, "rate_limited");
  ExpectReply(Map(ErrorCode::kAlreadyExists), 400, "invalid_request");
  ExpectReply(Map(ErrorCode::kFailedPrecondition), 400, "invalid_request");
  ExpectReply(Map(ErrorCode::kAborted), 500, "internal_error");
  ExpectReply(Map(ErrorCode::kUnavailable), 500, "internal_error");
  ExpectReply(Map(ErrorCode::kDeadlineExceeded), 500, "internal_error");
  ExpectReply(Map(ErrorCode::kInternal), 500, "internal_error");
}

TEST(MapError, PermissionDeniedReasonsSelectSpecific403) {
  for (std::string code : {"captcha_failed", "audit_access_denied", "directory_join_user_banned",
                           "directory_join_ip_banned", "guild_creation_limit_reached"}) {
    ExpectReply(Map(ErrorCode::kPermissionDenied, code), 403, code);
  }
  ExpectReply(Map(ErrorCode::kPermissionDenied, "made_up"), 403, "forbidden");
}

TEST(MapError, ResourceExhaustedReasons) {
  ExpectReply(Map(ErrorCode::kResourceExhausted, "quota_exceeded"), 409, "quota_exceeded");
  ExpectReply(Map(ErrorCode::kResourceExhausted, "payload_too_large"), 413, "payload_too_large");
  ExpectReply(Map(ErrorCode::kFailedPrecondition, "quota_exceeded"), 409, "quota_exceeded");
}

TEST(MapError, ReasonNotAllowedForCodeIsIgnored) {
  ExpectReply(Map(ErrorCode::kNotFound, "captcha_failed"), 404, "not_found");
  ExpectReply(Map(ErrorCode::kInternal, "quota_exceeded"), 500, "internal_error");
  ExpectReply(Map(ErrorCode::kPermissionDenied, kReasonUnsupported), 403, "forbidden");
}

TEST(MapError, FrameworkReasons) {
  ExpectReply(MapError(MalformedError("x")), 400, "invalid_request");
  ExpectReply(MapError(UnsupportedMediaTypeError("x")), 415, "unsupported_media_type");
  ExpectReply(MapError(UnprocessableError("x")), 422, "invalid_request");
}

TEST(FrameworkReplies, AreJson) {
  ExpectReply(BadRequestReply(), 400, "invalid_request");
  ExpectReply(NotFoundReply(), 404, "not_found");
  ExpectReply(RequestTimeoutReply(), 408, "request_timeout");
  ExpectReply(PayloadTooLargeReply(), 413, "payload_too_large");
  ExpectReply(UnsupportedMediaTypeReply(), 415, "unsupported_media_type");
  ExpectReply(UnprocessableReply(), 422, "invalid_request");
  ErrorReply method = MethodNotAllowedReply("GET, HEAD");
  ExpectReply(method, 405, "method_not_allowed");
  ASSERT_EQ(method.headers.size(), 1u);
  EXPECT_EQ(method.headers[0].first, "allow");
  EXPECT_EQ(method.headers[0].second, "GET, HEAD");
}

TEST(FrameworkReplies, RateLimitedCarriesWaitHeaders) {
  ErrorReply reply = RateLimitedReply(7);
  ExpectReply(reply, 429, "rate_limited");
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(reply.headers, (Headers{{"retry-after", "7"}, {"x-ratelimit-after", "7"}}));
  EXPECT_EQ(RateLimitedReply(0).headers[0].second, "1");
}

}  // namespace
}  // namespace filament::api
