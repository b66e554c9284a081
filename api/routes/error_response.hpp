#pragma once

#include "adapters/http/http_types.hpp"
#include "api/support/errors.hpp"

namespace filament::api {

// The HTTP response carrying `reply`: its status, body, content type and headers.
inline http::HttpResponse FromReply(const ErrorReply& reply) {
  http::HttpResponse response;
  response.status = reply.status;
  response.body = reply.body;
  response.content_type = reply.content_type;
  response.headers = reply.headers;
  return response;
}

}  // namespace filament::api
