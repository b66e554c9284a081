#include "adapters/crypto/sha256.hpp"

#include <gtest/gtest.h>

#include "adapters/crypto/primitives.hpp"

namespace filament::crypto {
namespace {

TEST(Sha256, KnownVectors) {
  Sha256 empty;
  EXPECT_EQ(empty.FinishHex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.Update("a");
  abc.Update("");
  abc.Update("bc");
  EXPECT_EQ(abc.FinishHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, PiecewiseEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  Sha256 hasher;
  for (size_t at = 0; at < data.size(); at += 777) hasher.Update(data.substr(at, 777));
  EXPECT_EQ(hasher.FinishHex(), Sha256Hex(data));
}

}  // namespace
}  // namespace filament::crypto
