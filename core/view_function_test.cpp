#include "core/view_function.hpp"

#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace filament::core {
namespace {

using Lookup = ViewFunction<std::optional<std::string_view>(std::string_view)>;

auto kReturnsView = [](std::string_view) -> std::optional<std::string_view> { return "v"; };
auto kReturnsOwner = [](std::string_view) { return std::optional<std::string>("v"); };
auto kReturnsString = [](std::string_view) { return std::string("v"); };

// std::function takes all three and lets the last two dangle; ViewFunction takes the first only.
static_assert(
    std::is_constructible_v<std::function<std::optional<std::string_view>(std::string_view)>,
                            decltype(kReturnsOwner)>);
static_assert(std::is_constructible_v<Lookup, decltype(kReturnsView)>);
static_assert(!std::is_constructible_v<Lookup, decltype(kReturnsOwner)>);
static_assert(!std::is_constructible_v<Lookup, decltype(kReturnsString)>);
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
