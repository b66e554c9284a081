#include "adapters/livekit/livekit_token.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

namespace filament::livekit {
namespace {

Poco::JSON::Object::Ptr GrantJson(const VideoGrant& grant) {
  Poco::JSON::Object::Ptr video = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  video->set("roomJoin", true);
  video->set("room", grant.room);
  video->set("canPublish", grant.can_publish);
  video->set("canSubscribe", grant.can_subscribe);
  video->set("canPublishData", grant.can_publish_data);
  Poco::JSON::Array::Ptr sources = new Poco::JSON::Array();
  for (const auto& source : grant.can_publish_sources) sources->add(source);
  video->set("canPublishSources", sources);
  return video;
}

VideoGrant GrantOf(const Poco::JSON::Object& video) {
  VideoGrant grant;
  grant.room = video.optValue<std::string>("room", "");
  grant.can_publish = video.optValue<bool>("canPublish", false);
  grant.can_subscribe = video.optValue<bool>("canSubscribe", false);
  grant.can_publish_data = video.optValue<bool>("canPublishData", false);
  if (auto sources = video.getArray("canPublishSources")) {
    for (size_t i = 0; i < sources->size(); ++i) {
      grant.can_publish_sources.push_back(sources->getElement<std::string>(i));
    }
  }
  return grant;
}

}  // namespace

core::Result<std::string> Sign(const Credentials& credentials, const AccessToken& token) {
  if (credentials.api_key.empty() || credentials.api_secret.empty()) {
    return core::InvalidArgument("LiveKit API key and secret are required");
  }
  try {
    Poco::JWT::Token jwt;
    jwt.setType("JWT");
    jwt.setIssuer(credentials.api_key);
    jwt.setSubject(token.identity);
    // Whole seconds (NumericDate): POCO's own timestamp setters write fractions.
    jwt.payload().set("name", token.name);
    jwt.payload().set("nbf", static_cast<Poco::Int64>(token.not_before_unix));
    jwt.payload().set("exp", static_cast<Poco::Int64>(token.expires_at_unix));
    jwt.payload().set("video", GrantJson(token.video));
    Poco::JWT::Signer signer(credentials.api_secret);
    return signer.sign(jwt, Poco::JWT::Signer::ALGO_HS256);
  } catch (const Poco::Exception& e) {
    return core::Internal("LiveKit token signing failed: " + e.displayText());
  }
}

core::Result<AccessToken> Verify(const Credentials& credentials, const std::string& jwt) {
  try {
    Poco::JWT::Signer signer(credentials.api_secret);
    signer.setAlgorithms({Poco::JWT::Signer::ALGO_HS256});
    Poco::JWT::Token parsed = signer.verify(jwt);
    if (parsed.getIssuer() != credentials.api_key) {
      return core::InvalidArgument("token issuer is not the API key");
    }
    const auto& payload = parsed.payload();
    auto video = payload.getObject("video");
    if (!video) return core::InvalidArgument("token has no video grant");
    AccessToken token;
    token.identity = parsed.getSubject();
    token.name = payload.optValue<std::string>("name", "");
    token.not_before_unix = payload.optValue<Poco::Int64>("nbf", 0);
    token.expires_at_unix = payload.optValue<Poco::Int64>("exp", 0);
    token.video = GrantOf(*video);
    return token;
  } catch (const Poco::Exception& e) {
    return core::InvalidArgument("LiveKit token does not verify: " + e.displayText());
  }
}

}  // namespace filament::livekit
