#include "core/view_function.hpp"

#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace filament::core {
namespace {

using Lookup = ViewFunction<std::optional<std::string_view>(std::string_view)>;

using ReturnsView = decltype([](std::string_view) -> std::optional<std::string_view> {
  return std::nullopt;
});
using ReturnsOwner = decltype([](std::string_view) { return std::optional<std::string>(); });
using ReturnsString = decltype([](std::string_view) { return std::string(); });

// std::function takes all three and lets the last two dangle; ViewFunction takes the first only.
static_assert(std::is_constructible_v<
              std::function<std::optional<std::string_view>(std::string_view)>, ReturnsOwner>);
static_assert(std::is_constructible_v<Lookup, ReturnsView>);
static_assert(!std::is_constructible_v<Lookup, ReturnsOwner>);
static_assert(!std::is_constructible_v<Lookup, ReturnsString>);
static_assert(!std::is_constructible_v<ViewFunction<std::string_view()>,
                                       decltype([] { return std::string("owner"); })>);

TEST(ViewFunction, CallsTheCallable) {
  const std::string stored = "a value longer than the small-string buffer";
  Lookup lookup = [&stored](std::string_view name) -> std::optional<std::string_view> {
    if (name != "key") return std::nullopt;
    return std::string_view(stored);
  };
  ASSERT_TRUE(lookup);
  EXPECT_EQ(lookup("key"), std::optional<std::string_view>(stored));
  EXPECT_EQ(lookup("other"), std::nullopt);
  EXPECT_FALSE(Lookup());
}

}  // namespace
}  // namespace filament::core
