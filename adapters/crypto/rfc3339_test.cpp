#include "adapters/crypto/rfc3339.hpp"

#include <gtest/gtest.h>

namespace filament::crypto {
namespace {

TEST(Rfc3339, FormatsUtcWithZ) {
  EXPECT_EQ(FormatRfc3339Utc(1795304700), "2026-11-21T23:45:00Z");
  EXPECT_EQ(FormatRfc3339Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Utc(1709208000), "2024-02-29T12:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(253402300799), "9999-12-31T23:59:59Z");
}

TEST(Rfc3339, ParsesWhatItFormats) {
  for (int64_t t : {int64_t{-86401}, int64_t{0}, int64_t{1709208000}, int64_t{1795304700},
                    int64_t{253402300799}}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339Utc(t)), t);
  }
}

TEST(Rfc3339, ParsesOffsetsFractionsAndLowercase) {
  EXPECT_EQ(ParseRfc3339("2022-01-01T00:00:00+00:00"), 1640995200);
  EXPECT_EQ(ParseRfc3339("2022-01-01T01:30:00+01:30"), 1640995200);
  EXPECT_EQ(ParseRfc3339("2021-12-31T23:00:00-01:00"), 1640995200);
  EXPECT_EQ(ParseRfc3339("2022-01-01t00:00:00.999z"), 1640995200);
}

TEST(Rfc3339, RejectsMalformedInput) {
  for (std::string_view bad :
       {"", "2022-01-01", "2022-01-01T00:00:00", "2022-01-01 00:00:00Z", "2022-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "2022-01-32T00:00:00Z", "2022-01-01T24:00:00Z",
        "2022-01-01T00:60:00Z", "2022-01-01T00:00:61Z", "2022-01-01T00:00:00.Z",
        "2022-01-01T00:00:00+0100", "2022-01-01T00:00:00+24:00", "2022-01-01T00:00:00Zjunk",
        "+2022-01-01T00:00:00Z", "2022-1-01T00:00:00Z", "２０２２-01-01T00:00:00Z"}) {
    EXPECT_EQ(ParseRfc3339(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace filament::crypto
