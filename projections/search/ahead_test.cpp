#include "projections/search/ahead.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace filament::projections {
namespace {

TEST(Ahead, ResultsComeInOrderFromTheHelperThread) {
  const auto consumer = std::this_thread::get_id();
  Ahead<std::string> ahead(1000, [consumer](size_t i) {
    EXPECT_NE(std::this_thread::get_id(), consumer);
    return "item " + std::to_string(i);
  });
  for (size_t i = 0; i < 1000; i += (i < 10 ? 1 : 7))
    EXPECT_EQ(ahead.Take(i), "item " + std::to_string(i));
}

TEST(Ahead, TheConsumerWaitsForASlowProducer) {
  Ahead<int> ahead(3, [](size_t i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return static_cast<int>(i) * 10;
  });
  EXPECT_EQ(ahead.Take(0), 0);
  EXPECT_EQ(ahead.Take(2), 20);
}

TEST(Ahead, DestroyingItEarlyStopsTheHelper) {
  std::atomic<size_t> produced{0};
  {
    Ahead<int> ahead(1'000'000, [&](size_t i) {
      ++produced;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      return static_cast<int>(i);
    });
    EXPECT_EQ(ahead.Take(0), 0);
  }
  EXPECT_LT(produced.load(), 1'000'000u);
}

}  // namespace
}  // namespace filament::projections
