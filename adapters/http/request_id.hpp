#pragma once

// Internal to adapters/http: x-request-id policy.

#include <string>
#include <string_view>

namespace filament::http {

inline constexpr size_t kMaxRequestIdLength = 128;

// The client's id when it is 1..kMaxRequestIdLength visible ASCII characters (0x21–0x7E),
// otherwise a fresh UUID v4.
std::string ResolveRequestId(std::string_view client_value, bool present);

// A random (version 4) UUID in lower-case 8-4-4-4-12 form. Thread-safe.
std::string NewUuidV4();

}  // namespace filament::http
