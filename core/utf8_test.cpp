#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace filament::core {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  using namespace std::string_view_literals;
  for (std::string_view text :
       {""sv, "plain"sv, "h\xc3\xa9llo \xf0\x9f\x98\x80"sv, "\xe2\x82\xac"sv, "\xef\xbf\xbd"sv,
        "\xed\x9f\xbf"sv, "\xee\x80\x80"sv, "\xf4\x8f\xbf\xbf"sv, "nul \0 and del \x7f"sv}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
  }
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xc3\xa9", 0), 2u);
  EXPECT_EQ(Utf8SequenceLength("x\xe2\x82\xac", 1), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xf0\x9f\x98\x80", 0), 4u);
}

TEST(Utf8, RejectsMalformedText) {
  for (std::string_view text : {
           "\x80",                  // a continuation byte alone
           "\xc0\xaf",              // overlong '/'
           "\xc1\xbf",              // overlong
           "\xe0\x9f\xbf",          // overlong three-byte form
           "\xed\xa0\x80",          // a surrogate (U+D800)
           "\xed\xbf\xbf",          // a surrogate (U+DFFF)
           "\xf0\x8f\xbf\xbf",      // overlong four-byte form
           "\xf4\x90\x80\x80",      // above U+10FFFF
           "\xf5\x80\x80\x80",      // no such lead byte
           "\xf8\x88\x80\x80\x80",  // a five-byte form (RFC 2279), no longer UTF-8
           "\xff",                  // never in UTF-8
           "\xc3",                  // truncated
           "ok\xe2\x82",            // truncated at the end
           "\xc3(",                 // a lead byte without its continuation
           "\xe2\x28\xa1",          // a bad second byte
           "\xf0\x9f\x98",          // a four-byte form cut short
       }) {
    EXPECT_FALSE(IsValidUtf8(text)) << testing::PrintToString(text);
    EXPECT_EQ(Utf8SequenceLength(text, text.starts_with("ok") ? 2 : 0), 0u);
  }
}

}  // namespace
}  // namespace filament::core
