// LocalTail on its own (label unit): bounded per partition, exact-position lookup, wakers.
#include "adapters/kafka/local_tail.hpp"

#include <gtest/gtest.h>

namespace filament::adapters::kafka_reader {
namespace {

events::StoredRecord At(int32_t partition, int64_t offset) {
  events::StoredRecord r;
  r.position = {partition, offset};
  r.record.meta.stream = "guild:" + std::to_string(partition);
  r.record.payload = std::to_string(offset);
  return r;
}

TEST(LocalTail, FindsOnlyTheExactPositionThatWasPublished) {
  LocalTail tail(8);
  tail.Publish(At(1, 5));
  auto found = tail.Find({1, 5});
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->record.payload, "5");
  EXPECT_EQ(tail.Find({1, 4}), nullptr);
  EXPECT_EQ(tail.Find({1, 6}), nullptr);
  EXPECT_EQ(tail.Find({0, 5}), nullptr);
}

TEST(LocalTail, KeepsOnlyTheNewestRecordsOfEachPartition) {
  LocalTail tail(3);
  for (int64_t offset = 0; offset < 5; ++offset) tail.Publish(At(0, offset));
  tail.Publish(At(2, 0));
  EXPECT_EQ(tail.Find({0, 1}), nullptr);
  EXPECT_NE(tail.Find({0, 2}), nullptr);
  EXPECT_NE(tail.Find({0, 4}), nullptr);
  EXPECT_NE(tail.Find({2, 0}), nullptr);  // another partition has its own bound
}

TEST(LocalTail, EveryPublishWakesEveryRegisteredWakerUntilRemoved) {
  LocalTail tail(4);
  int a = 0, b = 0;
  uint64_t id_a = tail.AddWaker([&a] { ++a; });
  tail.AddWaker([&b] { ++b; });
  tail.Publish(At(0, 0));
  tail.RemoveWaker(id_a);
  tail.Publish(At(0, 1));
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
}

}  // namespace
}  // namespace filament::adapters::kafka_reader
