#include "api/support/captcha.hpp"

#include <gtest/gtest.h>

namespace filament::api {
namespace {

TEST(CaptchaConfig, BothOrNeither) {
  auto off = MakeCaptchaConfig("", " ", "");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->has_value());
  EXPECT_FALSE(MakeCaptchaConfig("site", "", "").ok());
  EXPECT_FALSE(MakeCaptchaConfig("", "secret", "").ok());
  auto on = MakeCaptchaConfig("site", "secret", "");
  ASSERT_TRUE(on.ok());
  EXPECT_EQ((*on)->verify_url, "https://api.hcaptcha.com/siteverify");
}

TEST(CaptchaConfig, UrlRules) {
  for (const char* good : {"https://x.example/verify", "http://localhost:8080/v",
                           "http://127.0.0.1:1/siteverify", "http://localhost"}) {
    EXPECT_TRUE(MakeCaptchaConfig("k", "s", good).ok()) << good;
  }
  for (const char* bad : {"http://example.com/v", "ftp://localhost/", "http://localhost.evil/",
                          "http://127.0.0.10/v", "localhost"}) {
    EXPECT_FALSE(MakeCaptchaConfig("k", "s", bad).ok()) << bad;
  }
  EXPECT_FALSE(MakeCaptchaConfig("k", "s", "https://" + std::string(250, 'a')).ok());
}

TEST(CaptchaToken, LengthAndVisibleAscii) {
  EXPECT_FALSE(IsWellFormedCaptchaToken(std::string(19, 'a')));
  EXPECT_TRUE(IsWellFormedCaptchaToken(std::string(20, 'a')));
  EXPECT_TRUE(IsWellFormedCaptchaToken(std::string(4096, '~')));
  EXPECT_FALSE(IsWellFormedCaptchaToken(std::string(4097, 'a')));
  EXPECT_FALSE(IsWellFormedCaptchaToken(std::string(19, 'a') + " "));
  EXPECT_FALSE(IsWellFormedCaptchaToken(std::string(20, 'a') + "\xc3\xa9"));
}

TEST(CaptchaFailed, MapsToTheContractCode) {
  EXPECT_EQ(CaptchaFailed("x").reason, "captcha_failed");
  EXPECT_EQ(CaptchaFailed("x").code, core::ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace filament::api
