#include "adapters/livekit/livekit_token.hpp"

#include <string>

#include <gtest/gtest.h>

namespace filament::livekit {
namespace {

const Credentials kCredentials{"devkey", "a-secret-of-at-least-32-characters!!"};

AccessToken Sample() {
  AccessToken token;
  token.identity = "u.U.G.C";
  token.name = "alice";
  token.not_before_unix = 1'700'000'000;
  token.expires_at_unix = 1'700'000'300;
  token.video = VideoGrant{"filament.voice.G.C", true, false, true, {"microphone", "camera"}};
  return token;
}

// base64url without padding → bytes (enough for the test).
std::string DecodeSegment(const std::string& jwt, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = jwt.find('.', start) + 1;
  const std::string seg = jwt.substr(start, jwt.find('.', start) - start);
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : seg) {
    acc = (acc << 6) | static_cast<uint32_t>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

TEST(LiveKitToken, SignsHs256WithTheContractClaims) {
  auto jwt = Sign(kCredentials, Sample());
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  const std::string header = DecodeSegment(*jwt, 0);
  EXPECT_NE(header.find(R"("alg":"HS256")"), std::string::npos) << header;
  const std::string claims = DecodeSegment(*jwt, 1);
  EXPECT_NE(claims.find(R"("iss":"devkey")"), std::string::npos) << claims;
  EXPECT_NE(claims.find(R"("sub":"u.U.G.C")"), std::string::npos);
  EXPECT_NE(claims.find(R"("nbf":1700000000)"), std::string::npos);
  EXPECT_NE(claims.find(R"("exp":1700000300)"), std::string::npos);
  EXPECT_NE(claims.find(R"("roomJoin":true)"), std::string::npos);
  EXPECT_NE(claims.find(R"("canPublishSources":["microphone","camera"])"), std::string::npos);
}

TEST(LiveKitToken, VerifyReadsBackTheGrant) {
  auto jwt = Sign(kCredentials, Sample());
  ASSERT_TRUE(jwt.ok());
  auto token = Verify(kCredentials, *jwt);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->identity, "u.U.G.C");
  EXPECT_EQ(token->name, "alice");
  EXPECT_EQ(token->expires_at_unix, 1'700'000'300);
  EXPECT_EQ(token->video.room, "filament.voice.G.C");
  EXPECT_TRUE(token->video.can_publish);
  EXPECT_FALSE(token->video.can_subscribe);
  EXPECT_TRUE(token->video.can_publish_data);
  EXPECT_EQ(token->video.can_publish_sources, (std::vector<std::string>{"microphone", "camera"}));
}

TEST(LiveKitToken, WrongSecretOrTamperingFails) {
  auto jwt = Sign(kCredentials, Sample());
  ASSERT_TRUE(jwt.ok());
  EXPECT_FALSE(Verify(Credentials{"devkey", "another-secret-of-32-characters!!!!"}, *jwt).ok());
  std::string tampered = *jwt;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_FALSE(Verify(kCredentials, tampered).ok());
  EXPECT_FALSE(Sign(Credentials{"", "x"}, Sample()).ok());
}

}  // namespace
}  // namespace filament::livekit
