#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.hpp"

// Input rules of the contract, shared by the REST DTO layer, the gateway ingress and the
// deciders (which re-check them, so a decider never trusts its caller). All lengths are UTF-8
// bytes. Every failure is kInvalidArgument.
namespace filament::commands {

inline constexpr size_t kMaxMessageContentBytes = 2000;
inline constexpr size_t kMaxAttachmentsPerMessage = 5;

// 3..32 bytes of ASCII letters, digits, '_' and '.'.
core::Status ValidateUsername(std::string_view username);
// 12..128 bytes, any characters.
core::Status ValidatePassword(std::string_view password);
// Guild and channel names: 1..64 bytes of printable ASCII (0x21–0x7E) or space.
core::Status ValidateName(std::string_view name);
// 1..2000 bytes, or empty when at least one attachment is attached.
core::Status ValidateMessageContent(std::string_view content, size_t attachment_count);
// A reaction emoji (already percent-decoded): well-formed UTF-8 of 1..32 Unicode scalar values,
// none of them white space (Unicode White_Space).
core::Status ValidateEmoji(std::string_view emoji);
inline constexpr size_t kMaxEmojiChars = 32;

}  // namespace filament::commands
