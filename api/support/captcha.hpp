#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace filament::api {

// hCaptcha on register (REST_API.md §4.2, LIMITS.md §2): enabled when both the site key and
// the secret are set (blank counts as unset).
struct CaptchaConfig {
  std::string site_key;
  std::string secret;
  std::string verify_url = "https://api.hcaptcha.com/siteverify";
};

inline constexpr int kCaptchaTimeoutMs = 3000;

// Start-up validation: nullopt when both key and secret are unset; an error (start-up must
// fail) when only one is set or the URL is not `https://…` or `http://localhost…` /
// `http://127.0.0.1…`, or is over 256 characters. An empty `verify_url` means the default.
core::Result<std::optional<CaptchaConfig>> MakeCaptchaConfig(const std::string& site_key,
                                                             const std::string& secret,
                                                             const std::string& verify_url);

// The token rule when hCaptcha is on: 20..4096 characters, each visible ASCII (0x21–0x7E).
bool IsWellFormedCaptchaToken(std::string_view token);

// The error every captcha failure answers: 403 captcha_failed.
core::Error CaptchaFailed(std::string message);

// Asks the verification service about a token. Thread-safe.
class CaptchaVerifier {
 public:
  virtual ~CaptchaVerifier() = default;
  // Ok only when the service answered 2xx with JSON `{"success": true, …}` within the
  // timeout. Every failure (unreachable, timeout, non-2xx, `success` not true, bad JSON) is
  // CaptchaFailed. `remote_ip` may be empty (then not sent).
  virtual core::Status Verify(std::string_view token, std::string_view remote_ip) = 0;
};

}  // namespace filament::api
