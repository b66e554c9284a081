#include "core/json_text.hpp"

#include <gtest/gtest.h>

namespace filament::core {
namespace {

std::string Quoted(std::string_view text) {
  std::string out = "prefix";
  EXPECT_TRUE(AppendJsonString(out, text));
  return out.substr(6);
}

TEST(JsonText, EscapesQuotesBackslashesAndControlBytesAsNlohmannDumps) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("plain text"), R"("plain text")");
  EXPECT_EQ(Quoted("say \"hi\" C:\\dir"), R"("say \"hi\" C:\\dir")");
  EXPECT_EQ(Quoted("\b\t\n\f\r"), R"("\b\t\n\f\r")");
  EXPECT_EQ(Quoted(std::string("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(Quoted("\x01\x0b\x1f"), R"("\u0001\u000b\u001f")");
  EXPECT_EQ(Quoted("\x7f/<>"), "\"\x7f/<>\"");  // DEL and slashes are not escaped
}

TEST(JsonText, KeepsValidMultiByteUtf8AsItIs) {
  for (std::string_view text :
       {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x91\x8d", "\xef\xbf\xbd", "\xed\x9f\xbf",
        "\xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe2\x9d\xa4\xef\xb8\x8f"}) {
    EXPECT_EQ(Quoted(text), "\"" + std::string(text) + "\"");
  }
}

TEST(JsonText, RefusesInvalidUtf8AndLeavesTheOutputAsItWas) {
  for (std::string_view text : {"\x80", "\xed\xa0\x80", "ok\xe2\x82"}) {
    std::string out = "kept";
    EXPECT_FALSE(AppendJsonString(out, text));
    EXPECT_EQ(out, "kept");
  }
}

}  // namespace
}  // namespace filament::core
