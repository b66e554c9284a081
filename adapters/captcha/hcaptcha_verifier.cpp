#include "adapters/captcha/hcaptcha_verifier.hpp"

#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

namespace filament::captcha {
namespace {

constexpr size_t kMaxAnswerBytes = 64 * 1024;

std::unique_ptr<Poco::Net::HTTPClientSession> SessionFor(const Poco::URI& uri) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort());
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  session->setTimeout(Poco::Timespan(0, api::kCaptchaTimeoutMs * 1000));
  return session;
}

// `success` must be JSON true; anything else (false, missing, not JSON) fails.
bool Succeeded(const std::string& body) {
  auto answer = nlohmann::json::parse(body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) return false;
  auto it = answer.find("success");
  return it != answer.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

HcaptchaVerifier::HcaptchaVerifier(api::CaptchaConfig config) : config_(std::move(config)) {}

core::Status HcaptchaVerifier::Verify(std::string_view token, std::string_view remote_ip) {
  try {
    Poco::URI uri(config_.verify_url);
    auto session = SessionFor(uri);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTMLForm form;
    form.set("secret", config_.secret);
    form.set("response", std::string(token));
    form.set("sitekey", config_.site_key);
    if (!remote_ip.empty() && remote_ip != "unknown") form.set("remoteip", std::string(remote_ip));
    form.prepareSubmit(request);
    form.write(session->sendRequest(request));
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    std::string body;
    char buffer[4096];
    while (body.size() < kMaxAnswerBytes && in.read(buffer, sizeof buffer).gcount() > 0) {
      body.append(buffer, static_cast<size_t>(in.gcount()));
    }
    const int status = static_cast<int>(response.getStatus());
    if (status < 200 || status > 299) return api::CaptchaFailed("verifier answered non-2xx");
    if (!Succeeded(body)) return api::CaptchaFailed("verifier rejected the token");
    return core::OkStatus();
  } catch (const std::exception& e) {
    return api::CaptchaFailed(std::string("verifier unreachable: ") + e.what());
  }
}

}  // namespace filament::captcha
