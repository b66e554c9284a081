#include "adapters/crypto/paseto.hpp"

#include <gtest/gtest.h>

namespace filament::crypto {
namespace {

// Official vectors: paseto-standard/test-vectors, v4.json (v4.local entries, 4-E-* and 4-F-*).
std::array<uint8_t, 32> FromHex(std::string_view hex) {
  std::array<uint8_t, 32> out{};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

SymmetricKey VectorKey() {
  return SymmetricKey{"vec",
                      FromHex("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f")};
}

constexpr std::string_view kZeroNonce =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view kNonce =
    "df654812bac492663825520ba2f6e67cf5ca5bdc13d4e7507a98cc4c2fcc3ad8";
constexpr std::string_view kSecret =
    R"({"data":"this is a secret message","exp":"2022-01-01T00:00:00+00:00"})";
constexpr std::string_view kHidden =
    R"({"data":"this is a hidden message","exp":"2022-01-01T00:00:00+00:00"})";
constexpr std::string_view kKidFooter = R"({"kid":"zVhMiPBP9fRf2snEcT7gFTioeA9COcNy9DfgL1W60haN"})";

struct Vector {
  const char* name;
  std::string_view nonce;
  std::string_view payload;
  std::string_view footer;
  std::string_view implicit_assertion;
  const char* token;
};

const Vector kVectors[] = {
    {"4-E-1", kZeroNonce, kSecret, "", "",
     "v4.local.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAr68PS4AXe7If_"
     "ZgesdkUMvSwscFlAl1pk5HC0e8kApeaqMfGo_7OpBnwJOAbY9V7WU6abu74MmcUE8YWAiaArVI8XJ5hOb_"
     "4v9RmDkneN0S92dx0OW4pgy7omxgf3S8c3LlQg"},
    {"4-E-2", kZeroNonce, kHidden, "", "",
     "v4.local.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAr68PS4AXe7If_"
     "ZgesdkUMvS2csCgglvpk5HC0e8kApeaqMfGo_"
     "7OpBnwJOAbY9V7WU6abu74MmcUE8YWAiaArVI8XIemu9chy3WVKvRBfg6t8wwYHK0ArLxxfZP73W_vfwt5A"},
    {"4-E-3", kNonce, kSecret, "", "",
     "v4.local.32VIErrEkmY4JVILovbmfPXKW9wT1OdQepjMTC_MOtjA4kiqw7_tcaOM5GNEcnTxl60WkwMsYXw6FSNb_"
     "UdJPXjpzm0KW9ojM5f4O2mRvE2IcweP-PRdoHjd5-RHCiExR1IK6t6-"
     "tyebyWG6Ov7kKvBdkrrAJ837lKP3iDag2hzUPHuMKA"},
    {"4-E-4", kNonce, kHidden, "", "",
     "v4.local.32VIErrEkmY4JVILovbmfPXKW9wT1OdQepjMTC_MOtjA4kiqw7_tcaOM5GNEcnTxl60WiA8rd3wgFSNb_"
     "UdJPXjpzm0KW9ojM5f4O2mRvE2IcweP-PRdoHjd5-RHCiExR1IK6t4gt6TiLm55vIH8c_"
     "lGxxZpE3AWlH4WTR0v45nsWoU3gQ"},
    {"4-E-5", kNonce, kSecret, kKidFooter, "",
     "v4.local.32VIErrEkmY4JVILovbmfPXKW9wT1OdQepjMTC_MOtjA4kiqw7_tcaOM5GNEcnTxl60WkwMsYXw6FSNb_"
     "UdJPXjpzm0KW9ojM5f4O2mRvE2IcweP-PRdoHjd5-RHCiExR1IK6t4x-RMNXtQNbz7FvFZ_G-"
     "lFpk5RG3EOrwDL6CgDqcerSQ."
     "eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9"},
    {"4-E-6", kNonce, kHidden, kKidFooter, "",
     "v4.local.32VIErrEkmY4JVILovbmfPXKW9wT1OdQepjMTC_MOtjA4kiqw7_tcaOM5GNEcnTxl60WiA8rd3wgFSNb_"
     "UdJPXjpzm0KW9ojM5f4O2mRvE2IcweP-PRdoHjd5-RHCiExR1IK6t6pWSA5HX2wjb3P-"
     "xLQg5K5feUCX4P2fpVK3ZLWFbMSxQ."
     "eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9"},
    {"4-E-7", kNonce, kSecret, kKidFooter, R"({"test-vector":"4-E-7"})",
     "v4.local.32VIErrEkmY4JVILovbmfPXKW9wT1OdQepjMTC_MOtjA4kiqw7_tcaOM5GNEcnTxl60WkwMsYXw6FSNb_"
     "UdJPXjpzm0KW9ojM5f4O2mRvE2IcweP-PRdoHjd5-RHCiExR1IK6t40KCCWLA7GYL9KFHzKlwY9_"
     "RnIfRrMQpueydLEAZGGcA."
     "eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9"},
    {"4-E-8", kNonce, kHidden, kKidFooter, R"({"test-vector":"4-E-8"})",
     "v4.local.32VIErrEkmY4JVILovbmfPXKW9wT1OdQepjMTC_MOtjA4kiqw7_tcaOM5GNEcnTxl60WiA8rd3wgFSNb_"
     "UdJPXjpzm0KW9ojM5f4O2mRvE2IcweP-PRdoHjd5-RHCiExR1IK6t5uvqQbMGlLLNYBc7A6_"
     "x7oqnpUK5WLvj24eE4DVPDZjw."
     "eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9"},
    {"4-E-9", kNonce, kHidden, "arbitrary-string-that-isn't-json", R"({"test-vector":"4-E-9"})",
     "v4.local.32VIErrEkmY4JVILovbmfPXKW9wT1OdQepjMTC_MOtjA4kiqw7_tcaOM5GNEcnTxl60WiA8rd3wgFSNb_"
     "UdJPXjpzm0KW9ojM5f4O2mRvE2IcweP-PRdoHjd5-RHCiExR1IK6t6tybdlmnMwcDMw0YxA_gFSE_"
     "IUWl78aMtOepFYSWYfQA.YXJiaXRyYXJ5LXN0cmluZy10aGF0LWlzbid0LWpzb24"},
};

TEST(PasetoV4Local, EncryptMatchesOfficialVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(PasetoV4LocalEncrypt(VectorKey(), v.payload, v.footer, v.implicit_assertion,
                                   FromHex(v.nonce)),
              v.token);
  }
}

TEST(PasetoV4Local, DecryptMatchesOfficialVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    auto payload = PasetoV4LocalDecrypt(VectorKey(), v.token, v.footer, v.implicit_assertion);
    ASSERT_TRUE(payload.ok()) << payload.error().message;
    EXPECT_EQ(*payload, v.payload);
    // Any footer is accepted when none is expected (it is still authenticated).
    EXPECT_TRUE(PasetoV4LocalDecrypt(VectorKey(), v.token, "", v.implicit_assertion).ok());
  }
}

TEST(PasetoV4Local, WrongImplicitAssertionFails) {
  const Vector& v = kVectors[6];  // 4-E-7
  EXPECT_FALSE(PasetoV4LocalDecrypt(VectorKey(), v.token, v.footer, "").ok());
  EXPECT_FALSE(
      PasetoV4LocalDecrypt(VectorKey(), v.token, v.footer, R"({"test-vector":"4-E-8"})").ok());
}

void ExpectRejected(std::string_view token, std::string_view footer, std::string_view implicit) {
  auto result = PasetoV4LocalDecrypt(VectorKey(), token, footer, implicit);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kUnauthenticated);
}

TEST(PasetoV4Local, ExpectedFailureVectors) {
  // 4-F-1: a v4.local token that this key did not make (vector meant for the public key pair).
  ExpectRejected(
      "v4.local.vngXfCISbnKgiP6VWGuOSlYrFYU300fy9ijW33rznDYgxHNPwWluAY2Bgb0z54CUs6aYYkIJ-"
      "bOOOmJHPuX_34Agt_IPlNdGDpRdGNnBz2MpWJvB3cttheEc1uyCEYltj7wBQQYX."
      "YXJiaXRyYXJ5LXN0cmluZy10aGF0LWlzbid0LWpzb24",
      "arbitrary-string-that-isn't-json", R"({"test-vector":"4-F-1"})");
  // 4-F-2: a v4.public token given to local decryption.
  ExpectRejected(
      "v4.public.eyJpbnZhbGlkIjoidGhpcyBzaG91bGQgbmV2ZXIgZGVjb2RlIn22Sp4gjCaUw0c7EH84ZSm_jN_"
      "Qr41MrgLNu5LIBCzUr1pn3Z-Wukg9h3ceplWigpoHaTLcwxj0NsI1vjTh67YB."
      "eyJraWQiOiJ6VmhNaVBCUDlmUmYyc25FY1Q3Z0ZUaW9lQTlDT2NOeTlEZmdMMVc2MGhhTiJ9",
      kKidFooter, R"({"test-vector":"4-F-2"})");
  // 4-F-3: a v3.local token.
  ExpectRejected(
      "v3.local.23e_2PiqpQBPvRFKzB0zHhjmxK3sKo2grFZRRLM-"
      "U7L0a8uHxuF9RlVz3Ic6WmdUUWTxCaYycwWV1yM8gKbZB2JhygDMKvHQ7eBf8GtF0r3K0Q_"
      "gF1PXOxcOgztak1eD1dPe9rLVMSgR0nHJXeIGYVuVrVoLWQ.YXJiaXRyYXJ5LXN0cmluZy10aGF0LWlzbid0LWpzb24",
      "arbitrary-string-that-isn't-json", R"({"test-vector":"4-F-3"})");
  // 4-F-4: 4-E-1 with the last character changed (only the base64 padding bits differ).
  ExpectRejected(
      "v4.local.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAr68PS4AXe7If_"
      "ZgesdkUMvSwscFlAl1pk5HC0e8kApeaqMfGo_7OpBnwJOAbY9V7WU6abu74MmcUE8YWAiaArVI8XJ5hOb_"
      "4v9RmDkneN0S92dx0OW4pgy7omxgf3S8c3LlQh",
      "", "");
}

TEST(PasetoV4Local, FlippingAnyCharacterIsRejected) {
  for (const Vector& v : {kVectors[0], kVectors[4]}) {
    std::string token = v.token;
    for (size_t i = 0; i < token.size(); ++i) {
      std::string bad = token;
      bad[i] = bad[i] == 'A' ? 'B' : 'A';
      SCOPED_TRACE(i);
      ExpectRejected(bad, "", v.implicit_assertion);
    }
  }
}

TEST(PasetoV4Local, StructuralGarbageIsRejected) {
  std::string token = kVectors[4].token;
  ExpectRejected(token, R"({"kid":"other"})", "");               // footer mismatch
  ExpectRejected(token + ".x", "", "");                          // two footer segments
  ExpectRejected(std::string(kVectors[0].token) + ".", "", "");  // empty footer segment
  ExpectRejected("v4.local.", "", "");
  ExpectRejected("v4.local.AAAA", "", "");  // shorter than nonce + tag
  ExpectRejected("V4.LOCAL." + token.substr(9), "", "");
  ExpectRejected(token + "=", "", "");  // padding
  ExpectRejected(std::string(kMaxPasetoTokenBytes + 1, 'A'), "", "");
  SymmetricKey other = VectorKey();
  other.bytes[0] ^= 1;
  EXPECT_FALSE(PasetoV4LocalDecrypt(other, token, "").ok());
}

TEST(PasetoV4Local, RandomNonceRoundTrips) {
  SymmetricKey key = GenerateSymmetricKey();
  std::string a = PasetoV4LocalEncrypt(key, "hello", "f");
  std::string b = PasetoV4LocalEncrypt(key, "hello", "f");
  EXPECT_NE(a, b);
  EXPECT_EQ(*PasetoV4LocalDecrypt(key, a, "f"), "hello");
  EXPECT_EQ(*PasetoV4LocalFooter(a), "f");
  EXPECT_EQ(*PasetoV4LocalDecrypt(key, PasetoV4LocalEncrypt(key, "", ""), ""), "");
}

TEST(SymmetricKeys, GeneratedKeysAreDistinctAndNamed) {
  SymmetricKey a = GenerateSymmetricKey();
  SymmetricKey b = GenerateSymmetricKey();
  EXPECT_NE(a.bytes, b.bytes);
  EXPECT_NE(a.kid, b.kid);
  EXPECT_EQ(a.kid.size(), 17u);
  EXPECT_EQ(a.kid[0], 'k');
}

TEST(SymmetricKeys, EncodeDecodeRoundTrips) {
  SymmetricKey key = VectorKey();
  std::string encoded = EncodeKey(key);
  EXPECT_EQ(encoded, "vec:k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8");
  auto decoded = DecodeKey(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->kid, "vec");
  EXPECT_EQ(decoded->bytes, key.bytes);
}

TEST(SymmetricKeys, DecodeIsStrict) {
  for (std::string_view bad : {"", "vec", ":k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
                               "v c:k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
                               "vec:k3.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8",
                               "vec:k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo",
                               "vec:k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8AA",
                               "vec:k4.local.cHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo8"}) {
    SCOPED_TRACE(bad);
    auto decoded = DecodeKey(bad);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(decoded.error().message.find("cHFy"), std::string::npos);
  }
  std::string long_kid(kMaxKeyIdChars + 1, 'k');
  EXPECT_FALSE(DecodeKey(long_kid + ":k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8").ok());
}

}  // namespace
}  // namespace filament::crypto
