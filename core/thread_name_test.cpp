#include "core/thread_name.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace filament::core {
namespace {

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const std::string before = ThreadName();
  std::string inside;
  std::thread([&] {
    SetThreadName("proj-messages");
    inside = ThreadName();
  }).join();
  EXPECT_EQ(inside, "proj-messages");
  EXPECT_EQ(ThreadName(), before);
}

TEST(ThreadName, LongNamesAreCutToFifteenBytes) {
  std::string inside;
  std::thread([&] {
    SetThreadName("a-name-much-longer-than-fifteen-bytes");
    inside = ThreadName();
  }).join();
  EXPECT_EQ(inside, "a-name-much-lon");
}

}  // namespace
}  // namespace filament::core
