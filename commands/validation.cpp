#include "commands/validation.hpp"

#include "core/utf8.hpp"

namespace filament::commands {

core::Status ValidateUsername(std::string_view username) {
  if (username.size() < 3 || username.size() > 32) {
    return core::InvalidArgument("username must be 3..32 bytes");
  }
  for (char c : username) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.';
    if (!ok) return core::InvalidArgument("username has a character outside [A-Za-z0-9_.]");
  }
  return core::OkStatus();
}

core::Status ValidatePassword(std::string_view password) {
  if (password.size() < 12 || password.size() > 128) {
    return core::InvalidArgument("password must be 12..128 bytes");
  }
  return core::OkStatus();
}

core::Status ValidateName(std::string_view name) {
  if (name.empty() || name.size() > 64) return core::InvalidArgument("name must be 1..64 bytes");
  for (char c : name) {
    if (c != ' ' && (c < 0x21 || c > 0x7E)) {
      return core::InvalidArgument("name must be printable ASCII");
    }
  }
  return core::OkStatus();
}

core::Status ValidateMessageContent(std::string_view content, size_t attachment_count) {
  if (content.size() > kMaxMessageContentBytes) {
    return core::InvalidArgument("content over 2000 bytes");
  }
  if (content.empty() && attachment_count == 0) {
    return core::InvalidArgument("content is empty and there is no attachment");
  }
  if (!core::IsValidUtf8(content)) return core::InvalidArgument("content is not UTF-8");
  // Text columns cannot hold NUL: a stored message would differ from the one acknowledged.
  if (content.find('\0') != std::string_view::npos) {
    return core::InvalidArgument("content contains NUL");
  }
  return core::OkStatus();
}

namespace {

bool IsUnicodeWhiteSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// The scalar value starting at text[i] (text is well-formed UTF-8); advances i past it.
uint32_t NextScalar(std::string_view text, size_t& i) {
  auto byte = static_cast<unsigned char>(text[i]);
  size_t extra = byte < 0x80 ? 0 : (byte & 0xE0) == 0xC0 ? 1 : (byte & 0xF0) == 0xE0 ? 2 : 3;
  uint32_t code = extra == 0 ? byte : byte & (0x3F >> extra);
  for (size_t k = 1; k <= extra; ++k) {
    code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  }
  i += extra + 1;
  return code;
}

}  // namespace

core::Status ValidateEmoji(std::string_view emoji) {
  if (emoji.empty()) return core::InvalidArgument("emoji is empty");
  if (!core::IsValidUtf8(emoji)) return core::InvalidArgument("emoji is not UTF-8");
  size_t chars = 0;
  for (size_t i = 0; i < emoji.size();) {
    const uint32_t scalar = NextScalar(emoji, i);
    if (IsUnicodeWhiteSpace(scalar)) return core::InvalidArgument("emoji contains white space");
    if (scalar < 0x20 || (scalar >= 0x7F && scalar <= 0x9F)) {
      return core::InvalidArgument("emoji contains a control character");
    }
    if (++chars > kMaxEmojiChars) return core::InvalidArgument("emoji over 32 characters");
  }
  return core::OkStatus();
}

}  // namespace filament::commands
