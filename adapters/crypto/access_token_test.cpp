#include "adapters/crypto/access_token.hpp"

#include <gtest/gtest.h>

#include "adapters/crypto/rfc3339.hpp"

namespace filament::crypto {
namespace {

constexpr int64_t kNow = 1795304700;  // 2026-11-21T23:45:00Z
constexpr char kUserId[] = "01HZY8ZQ6N0000000000000000";

AccessClaims Claims() { return AccessClaims{kUserId, "alice", kNow, kNow, kNow + 900}; }

core::ErrorCode CodeOf(const core::Result<AccessClaims>& result) {
  return result.ok() ? core::ErrorCode::kInternal : result.error().code;
}

class AccessTokenTest : public ::testing::Test {
 protected:
  AccessTokenTest() : key_(GenerateSymmetricKey()) { ring_.Add(key_); }

  // A token with a hand-made payload and footer, signed by key_.
  std::string Forge(std::string_view payload, std::string_view footer) {
    return PasetoV4LocalEncrypt(key_, payload, footer);
  }
  std::string KidFooter() { return R"({"kid":")" + key_.kid + R"("})"; }
  std::string Payload(std::string_view sub, std::string_view exp) {
    return R"({"sub":")" + std::string(sub) + R"(","username":"alice","iat":")" +
           FormatRfc3339Utc(kNow) + R"(","nbf":")" + FormatRfc3339Utc(kNow) + R"(","exp":")" +
           std::string(exp) + R"("})";
  }

  SymmetricKey key_;
  KeyRing ring_;
};

TEST_F(AccessTokenTest, RoundTrips) {
  std::string token = IssueAccessToken(key_, Claims());
  EXPECT_TRUE(token.starts_with("v4.local."));
  EXPECT_EQ(*PasetoV4LocalFooter(token), KidFooter());
  auto payload = PasetoV4LocalDecrypt(key_, token, KidFooter());
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(*payload, R"({"sub":"01HZY8ZQ6N0000000000000000","username":"alice",)"
                      R"("iat":"2026-11-21T23:45:00Z","nbf":"2026-11-21T23:45:00Z",)"
                      R"("exp":"2026-11-22T00:00:00Z"})");
  auto claims = VerifyAccessToken(ring_, token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(*claims, Claims());
  EXPECT_TRUE(VerifyAccessToken(ring_, token, kNow + 899).ok());
}

TEST_F(AccessTokenTest, ExpiredAndNotYetValidAreRejected) {
  std::string token = IssueAccessToken(key_, Claims());
  EXPECT_EQ(CodeOf(VerifyAccessToken(ring_, token, kNow + 900)), core::ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(VerifyAccessToken(ring_, token, kNow - 1)), core::ErrorCode::kUnauthenticated);
}

TEST_F(AccessTokenTest, UnknownKidOrWrongKeyIsRejected) {
  std::string token = IssueAccessToken(key_, Claims());
  KeyRing other_ring;
  other_ring.Add(GenerateSymmetricKey());
  EXPECT_EQ(CodeOf(VerifyAccessToken(other_ring, token, kNow)), core::ErrorCode::kUnauthenticated);
  SymmetricKey impostor = GenerateSymmetricKey();
  impostor.kid = key_.kid;  // same kid, different bytes
  KeyRing impostor_ring;
  impostor_ring.Add(impostor);
  EXPECT_EQ(CodeOf(VerifyAccessToken(impostor_ring, token, kNow)),
            core::ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(VerifyAccessToken(KeyRing(), token, kNow)), core::ErrorCode::kUnauthenticated);
}

TEST_F(AccessTokenTest, FlippingAnyCharacterIsRejected) {
  std::string token = IssueAccessToken(key_, Claims());
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(CodeOf(VerifyAccessToken(ring_, bad, kNow)), core::ErrorCode::kUnauthenticated) << i;
  }
  EXPECT_FALSE(VerifyAccessToken(ring_, token.substr(0, token.size() - 1), kNow).ok());
  EXPECT_FALSE(VerifyAccessToken(ring_, token + "A", kNow).ok());
}

TEST_F(AccessTokenTest, KeyRotationKeepsOldTokensValid) {
  std::string old_token = IssueAccessToken(key_, Claims());
  SymmetricKey next = GenerateSymmetricKey();
  ring_.Add(next);
  EXPECT_EQ(ring_.Primary()->kid, next.kid);
  std::string new_token = IssueAccessToken(*ring_.Primary(), Claims());
  EXPECT_TRUE(VerifyAccessToken(ring_, old_token, kNow).ok());
  EXPECT_TRUE(VerifyAccessToken(ring_, new_token, kNow).ok());
  EXPECT_EQ(ring_.Find(key_.kid)->bytes, key_.bytes);
  EXPECT_EQ(ring_.Find("nope"), nullptr);
}

TEST_F(AccessTokenTest, FooterMustBeExactlyAStringKid) {
  std::string payload = Payload(kUserId, "2026-11-22T00:00:00Z");
  ASSERT_TRUE(VerifyAccessToken(ring_, Forge(payload, KidFooter()), kNow).ok());
  for (std::string footer :
       {std::string(), std::string("not json"), std::string(R"(["kid"])"),
        std::string(R"({"kid":1})"), R"({"kid":")" + key_.kid + R"(","x":1})",
        std::string(R"({"kid":""})"), R"({"kid":")" + std::string(65, 'k') + R"("})"}) {
    EXPECT_FALSE(VerifyAccessToken(ring_, Forge(payload, footer), kNow).ok()) << footer;
  }
}

TEST_F(AccessTokenTest, PayloadMustHoldValidClaims) {
  for (std::string payload :
       {std::string("[]"), std::string("{"), std::string("{}"),
        Payload("not-a-ulid", "2026-11-22T00:00:00Z"), Payload(kUserId, "tomorrow"),
        Payload(kUserId, "2026-11-22T00:00:00"),
        std::string(
            R"({"sub":"01HZY8ZQ6N0000000000000000","username":7,"iat":"2026-11-21T23:45:00Z",)"
            R"("nbf":"2026-11-21T23:45:00Z","exp":"2026-11-22T00:00:00Z"})"),
        std::string(R"({"sub":"01HZY8ZQ6N0000000000000000","username":"a",)"
                    R"("nbf":"2026-11-21T23:45:00Z","exp":"2026-11-22T00:00:00Z"})")}) {
    EXPECT_EQ(CodeOf(VerifyAccessToken(ring_, Forge(payload, KidFooter()), kNow)),
              core::ErrorCode::kUnauthenticated)
        << payload;
  }
}

TEST_F(AccessTokenTest, OversizedTokensAreRejectedEarly) {
  std::string payload = Payload(kUserId, "2026-11-22T00:00:00Z");
  payload.insert(1, R"("pad":")" + std::string(kMaxAccessTokenBytes, 'p') + R"(",)");
  std::string token = Forge(payload, KidFooter());
  ASSERT_TRUE(PasetoV4LocalDecrypt(key_, token, "").ok());
  EXPECT_FALSE(VerifyAccessToken(ring_, token, kNow).ok());
}

}  // namespace
}  // namespace filament::crypto
