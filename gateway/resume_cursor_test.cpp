#include "gateway/resume_cursor.hpp"

#include <gtest/gtest.h>

namespace filament::gateway {
namespace {

TEST(ResumeCursor, RoundTrips) {
  ResumeCursor cursor{{120, 0, 57}, {0, 0, 2}};
  EXPECT_EQ(FormatCursor(cursor), "1.120.0.57+2");
  EXPECT_EQ(ParseCursor("1.120.0.57+2"), cursor);
  EXPECT_EQ(FormatCursor(CursorAt({0})), "1.0");
  EXPECT_EQ(ParseCursor("1.0"), CursorAt({0}));
}

TEST(ResumeCursor, RejectsEverythingElse) {
  for (const char* bad :
       {"", "1", "1.", "2.0", "1..0", "1.0.", "1.01", "1.-1", "1.+1", "1.1+0", "1.1+65536", "1.1+",
        "1.1+01", "1.1000000000000000000", "1.a", " 1.0", "1.0 ", "1.1++1", "x1.0"}) {
    EXPECT_FALSE(ParseCursor(bad).has_value()) << bad;
  }
}

TEST(ResumeCursor, BoundsThePartitionCount) {
  std::string ok = "1";
  for (size_t i = 0; i < kMaxCursorPartitions; ++i) ok += ".0";
  EXPECT_TRUE(ParseCursor(ok).has_value());
  EXPECT_FALSE(ParseCursor(ok + ".0").has_value());
}

}  // namespace
}  // namespace filament::gateway
