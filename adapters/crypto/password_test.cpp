#include "adapters/crypto/password.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include <gtest/gtest.h>

namespace filament::crypto {
namespace {

// Cheap params keep most tests fast; the defaults are exercised once (and timed).
constexpr PasswordHashParams kFast{1, size_t{8} << 20};

double SecondsOf(const std::function<void()>& work) {
  auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(Password, HashesVerifyAndAreSalted) {
  auto hash = HashPassword("correct horse battery", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=8192,t=1,p=1$")) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse batterY"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_NE(*HashPassword("correct horse battery", kFast), *hash);
}

TEST(Password, MalformedHashesNeverVerify) {
  auto hash = *HashPassword("pw", kFast);
  std::string tampered = hash;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string(), std::string("plain"), tampered, hash + std::string(200, 'x'),
        hash.substr(0, 20), std::string("$argon2id$\0$", 12)}) {
    EXPECT_FALSE(VerifyPassword(bad, "pw"));
  }
}

TEST(Password, RejectsOverlongPasswordsAndBadParams) {
  std::string long_password(kMaxPasswordBytes + 1, 'p');
  auto too_long = HashPassword(long_password, kFast);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(VerifyPassword(*HashPassword("pw", kFast), long_password));
  auto bad_params = HashPassword("pw", PasswordHashParams{0, size_t{8} << 20});
  ASSERT_FALSE(bad_params.ok());
  EXPECT_EQ(bad_params.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(HashPassword("pw", PasswordHashParams{1, 1024}).ok());
}

TEST(Password, NeedsRehashWhenParamsChange) {
  auto hash = *HashPassword("pw", kFast);
  EXPECT_FALSE(PasswordNeedsRehash(hash, kFast));
  EXPECT_TRUE(PasswordNeedsRehash(hash, PasswordHashParams{}));
  EXPECT_TRUE(PasswordNeedsRehash("garbage", kFast));
}

TEST(Password, DefaultsCostAboutTheSameForHashVerifyAndBurn) {
  std::string hash;
  double hash_s = SecondsOf([&] { hash = *HashPassword("correct horse battery staple"); });
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$"));
  BurnEquivalentVerifyCost("warm-up");  // computes the dummy hash once
  double verify_s = 1e9, burn_s = 1e9;  // best of three: the machine is shared
  for (int i = 0; i < 3; ++i) {
    verify_s = std::min(verify_s, SecondsOf([&] { (void)VerifyPassword(hash, "a wrong guess"); }));
    burn_s = std::min(burn_s, SecondsOf([&] { BurnEquivalentVerifyCost("a wrong guess"); }));
  }
  std::printf("argon2id defaults (ops=2, 64 MiB): hash %.3f s, verify %.3f s, burn %.3f s\n",
              hash_s, verify_s, burn_s);
  // Loose bounds: only catch "burn does no real work" or "burn does far more".
  EXPECT_GT(burn_s, verify_s / 4);
  EXPECT_LT(burn_s, verify_s * 4);
}

}  // namespace
}  // namespace filament::crypto
