#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "api/support/captcha.hpp"

namespace filament::captcha {

// api::CaptchaVerifier over HTTP(S) with POCO: a form POST of `secret`, `response`, `sitekey`
// and (when known) `remoteip` to the configured verify URL, one connection per check, with the
// contract's 3 s timeout for connect, send and receive (REST_API.md §4.2). Thread-safe.
class HcaptchaVerifier final : public api::CaptchaVerifier {
 public:
  explicit HcaptchaVerifier(api::CaptchaConfig config);
  core::Status Verify(std::string_view token, std::string_view remote_ip) override;

 private:
  api::CaptchaConfig config_;
};

}  // namespace filament::captcha
