#include "core/thread_name.hpp"

#include <memory>

#include <gtest/gtest.h>

namespace filament::core {
namespace {

// The name a NamedThread(name) sees for itself.
std::string NameInside(std::string name) {
  std::string seen;
  NamedThread(std::move(name), [&seen] { seen = ThreadName(); }).join();
  return seen;
}

TEST(ThreadName, NamesTheNewThreadOnly) {
  const std::string before = ThreadName();
  EXPECT_EQ(NameInside("proj-messages"), "proj-messages");
  EXPECT_EQ(ThreadName(), before);
}

TEST(ThreadName, LongNamesAreCutToFifteenBytes) {
  EXPECT_EQ(NameInside("a-name-much-longer-than-fifteen-bytes"), "a-name-much-lon");
}

TEST(ThreadName, ABodyMayBeMoveOnly) {
  auto value = std::make_unique<int>(7);
  int seen = 0;
  NamedThread("move-only", [&seen, v = std::move(value)] { seen = *v; }).join();
  EXPECT_EQ(seen, 7);
}

}  // namespace
}  // namespace filament::core
