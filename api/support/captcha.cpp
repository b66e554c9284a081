#include "api/support/captcha.hpp"

namespace filament::api {
namespace {

bool Blank(const std::string& text) { return text.find_first_not_of(" \t") == std::string::npos; }

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// http is allowed only to this machine, and only when the host part is exactly that name.
bool IsLocalHttp(std::string_view url) {
  for (std::string_view host : {"http://localhost", "http://127.0.0.1"}) {
    if (!StartsWith(url, host)) continue;
    std::string_view rest = url.substr(host.size());
    if (rest.empty() || rest[0] == ':' || rest[0] == '/') return true;
  }
  return false;
}

}  // namespace

core::Result<std::optional<CaptchaConfig>> MakeCaptchaConfig(const std::string& site_key,
                                                             const std::string& secret,
                                                             const std::string& verify_url) {
  const bool has_key = !Blank(site_key);
  const bool has_secret = !Blank(secret);
  if (!has_key && !has_secret) return std::optional<CaptchaConfig>{};
  if (has_key != has_secret) {
    return core::InvalidArgument(
        "FILAMENT_HCAPTCHA_SITE_KEY and FILAMENT_HCAPTCHA_SECRET must be set together");
  }
  CaptchaConfig config{site_key, secret};
  if (!verify_url.empty()) config.verify_url = verify_url;
  const std::string& url = config.verify_url;
  if (url.size() > 256 || !(StartsWith(url, "https://") || IsLocalHttp(url))) {
    return core::InvalidArgument(
        "FILAMENT_HCAPTCHA_VERIFY_URL must be https://… or http://localhost… / "
        "http://127.0.0.1…, at most 256 characters");
  }
  return std::optional<CaptchaConfig>{config};
}

bool IsWellFormedCaptchaToken(std::string_view token) {
  if (token.size() < 20 || token.size() > 4096) return false;
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

core::Error CaptchaFailed(std::string message) {
  return core::PermissionDenied(std::move(message), "captcha_failed");
}

}  // namespace filament::api
