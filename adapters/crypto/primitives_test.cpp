#include "adapters/crypto/primitives.hpp"

#include <set>

#include <gtest/gtest.h>

namespace filament::crypto {
namespace {

bool AllOf(std::string_view s, std::string_view alphabet) {
  return s.find_first_not_of(alphabet) == std::string_view::npos;
}

TEST(Primitives, InitIsIdempotent) {
  EXPECT_TRUE(InitCrypto().ok());
  EXPECT_TRUE(InitCrypto().ok());
}

TEST(Primitives, RandomHexHasTheRightShape) {
  EXPECT_EQ(RandomHex(0), "");
  std::string hex = RandomHex(16);
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_TRUE(AllOf(hex, "0123456789abcdef"));
  EXPECT_NE(RandomHex(16), hex);
}

TEST(Primitives, RandomBase64UrlIsUnpadded) {
  EXPECT_EQ(RandomBase64Url(32).size(), 43u);
  EXPECT_EQ(RandomBase64Url(30).size(), 40u);
  EXPECT_EQ(RandomBase64Url(1).size(), 2u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(AllOf(RandomBase64Url(33),
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"));
  }
}

TEST(Primitives, Sha256HexMatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Primitives, UuidV4HasVersionAndVariant) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewUuidV4();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[18], '-');
    EXPECT_EQ(id[23], '-');
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos);
    EXPECT_TRUE(AllOf(id, "0123456789abcdef-"));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Primitives, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
}

}  // namespace
}  // namespace filament::crypto
