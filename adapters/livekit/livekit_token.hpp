#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

// LiveKit access tokens (REST_API.md §4.14): an HS256 JWT signed with the API secret, with the
// claims iss (API key), sub (identity), name, nbf, exp and the `video` grant LiveKit reads.
// POCO's JWT does the signing; no POCO type leaves this folder.
namespace filament::livekit {

struct Credentials {
  std::string api_key;
  std::string api_secret;
};

struct VideoGrant {
  std::string room;
  bool can_publish = false;
  bool can_subscribe = false;
  bool can_publish_data = false;
  std::vector<std::string> can_publish_sources;  // microphone, camera, screen_share
};

struct AccessToken {
  std::string identity;  // sub
  std::string name;      // display name (the username)
  int64_t not_before_unix = 0;
  int64_t expires_at_unix = 0;
  VideoGrant video;  // roomJoin is always true
};

// The compact JWS. Errors: kInvalidArgument (empty key or secret), kInternal (signing failed).
core::Result<std::string> Sign(const Credentials& credentials, const AccessToken& token);

// Verifies the signature (HS256 only) with `credentials.api_secret` and reads the token back
// (claims only; expiry is not checked). For tests and diagnostics.
// Errors: kInvalidArgument (malformed, wrong algorithm or signature, missing claims).
core::Result<AccessToken> Verify(const Credentials& credentials, const std::string& jwt);

}  // namespace filament::livekit
