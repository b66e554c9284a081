#include "events/log_record.hpp"

#include <gtest/gtest.h>

namespace filament::events {
namespace {

TEST(Position, FormatsAndParses) {
  Position p{3, 1041};
  EXPECT_EQ(FormatPosition(p), "3:1041");
  auto parsed = ParsePosition("3:1041");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, p);
}

TEST(Position, RejectsMalformedText) {
  for (const char* bad : {"", ":", "1:", ":1", "a:1", "1:b", "1:2:3", "-1:0", "1:-2", "1 :2"}) {
    EXPECT_FALSE(ParsePosition(bad).has_value()) << bad;
  }
}

// The placement is part of the log's format (a stream's records never move), and
// tools/dev/front_proxy.py computes it too (ADR 0093): these values must never change.
TEST(PartitionFor, IsFnv1a32ModuloThePartitionCount) {
  EXPECT_EQ(PartitionFor("guild:01ARZ3NDEKTSV4RRFFQ69G5FAV", 4), 2632991971u % 4);
  EXPECT_EQ(PartitionFor("guild:01ARZ3NDEKTSV4RRFFQ69G5FAV", 7), 2632991971u % 7);
  EXPECT_EQ(PartitionFor("user:01ARZ3NDEKTSV4RRFFQ69G5FAV", 4), 169350321u % 4);
}

TEST(PartitionFor, IsStableAndInRange) {
  EXPECT_EQ(PartitionFor("guild:01ARZ3NDEKTSV4RRFFQ69G5FAV", 1), 0);
  for (int n : {2, 4, 7}) {
    int32_t p = PartitionFor("guild:01ARZ3NDEKTSV4RRFFQ69G5FAV", n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
    EXPECT_EQ(p, PartitionFor("guild:01ARZ3NDEKTSV4RRFFQ69G5FAV", n));
  }
}

}  // namespace
}  // namespace filament::events
