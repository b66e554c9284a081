#include "commands/validation.hpp"

#include <string>

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

TEST(Validation, Username) {
  EXPECT_TRUE(ValidateUsername("alice_1.x").ok());
  EXPECT_FALSE(ValidateUsername("al").ok());
  EXPECT_FALSE(ValidateUsername(std::string(33, 'a')).ok());
  EXPECT_FALSE(ValidateUsername("al ice").ok());
  EXPECT_FALSE(ValidateUsername("alïce").ok());
}

TEST(Validation, Password) {
  EXPECT_TRUE(ValidatePassword("correct horse").ok());
  EXPECT_FALSE(ValidatePassword("short").ok());
  EXPECT_FALSE(ValidatePassword(std::string(129, 'p')).ok());
}

TEST(Validation, Name) {
  EXPECT_TRUE(ValidateName("General chat #1").ok());
  EXPECT_FALSE(ValidateName("").ok());
  EXPECT_FALSE(ValidateName(std::string(65, 'n')).ok());
  EXPECT_FALSE(ValidateName("tab\there").ok());
  EXPECT_FALSE(ValidateName("caf\xc3\xa9").ok());
}

TEST(Validation, MessageContentIsCountedInBytes) {
  EXPECT_TRUE(ValidateMessageContent(std::string(2000, 'x'), 0).ok());
  EXPECT_FALSE(ValidateMessageContent(std::string(2001, 'x'), 0).ok());
  std::string euros;
  for (int i = 0; i < 667; ++i) euros += "\xe2\x82\xac";  // 2001 bytes, 667 characters
  EXPECT_FALSE(ValidateMessageContent(euros, 0).ok());
  EXPECT_FALSE(ValidateMessageContent("", 0).ok());
  EXPECT_TRUE(ValidateMessageContent("", 1).ok());
}

TEST(Validation, MessageContentHasNoNul) {  // a text column would store it cut short
  EXPECT_FALSE(ValidateMessageContent(std::string("a\0b", 3), 0).ok());
  EXPECT_TRUE(ValidateMessageContent("a\tb\r\nc", 0).ok());
}

TEST(Validation, Emoji) {
  EXPECT_TRUE(ValidateEmoji("\xf0\x9f\x91\x8d").ok());
  EXPECT_TRUE(ValidateEmoji("a/b").ok());  // 1..32 characters, no white space: the contract
  EXPECT_FALSE(ValidateEmoji("").ok());
  EXPECT_FALSE(ValidateEmoji("a b").ok());
  EXPECT_FALSE(ValidateEmoji(std::string(33, 'x')).ok());
  EXPECT_FALSE(ValidateEmoji(std::string("\0", 1)).ok());
  EXPECT_FALSE(ValidateEmoji("x\x01").ok());
  EXPECT_FALSE(ValidateEmoji("\x7f").ok());
  EXPECT_FALSE(ValidateEmoji("\xc2\x85").ok());  // U+0085 NEL
  EXPECT_FALSE(ValidateEmoji("\xc2\x9f").ok());  // U+009F, a C1 control
}

}  // namespace
}  // namespace filament::commands
