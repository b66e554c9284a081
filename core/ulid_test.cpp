#include "core/ulid.hpp"

#include <gtest/gtest.h>

namespace filament::core {
namespace {

TEST(Ulid, RoundTripsThroughText) {
  UlidGenerator gen;
  Ulid id = gen.Next(1'700'000'000'123);
  auto parsed = Ulid::Parse(id.ToString());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
  EXPECT_EQ(id.UnixMs(), 1'700'000'000'123u);
  EXPECT_EQ(id.ToString().size(), 26u);
}

TEST(Ulid, GeneratorIsStrictlyIncreasingWithinOneMillisecond) {
  UlidGenerator gen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    std::string next = gen.Next(1'700'000'000'000).ToString();
    EXPECT_LT(previous, next);
    previous = next;
  }
}

TEST(Ulid, GeneratorStaysMonotonicWhenTheClockGoesBack) {
  UlidGenerator gen;
  Ulid a = gen.Next(2'000);
  Ulid b = gen.Next(1'000);
  EXPECT_LT(a, b);
}

TEST(Ulid, RejectsMalformedText) {
  EXPECT_FALSE(Ulid::IsValid(""));
  EXPECT_FALSE(Ulid::IsValid("01ARZ3NDEKTSV4RRFFQ69G5FA"));    // 25 chars
  EXPECT_FALSE(Ulid::IsValid("01ARZ3NDEKTSV4RRFFQ69G5FAVV"));  // 27 chars
  EXPECT_FALSE(Ulid::IsValid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"));   // overflows 128 bits
  EXPECT_FALSE(Ulid::IsValid("01ARZ3NDEKTSV4RRFFQ69G5FAU"));   // U is not Crockford
  EXPECT_TRUE(Ulid::IsValid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  EXPECT_TRUE(Ulid::IsValid("01arz3ndektsv4rrffq69g5fav"));
}

}  // namespace
}  // namespace filament::core
