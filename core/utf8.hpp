#pragma once

#include <cstddef>
#include <string_view>

// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF, no truncated sequence. The one definition every boundary uses
// (request paths, WebSocket text, command fields, event payloads, JSON writing).
namespace filament::core {

// Whether `text` is valid UTF-8.
bool IsValidUtf8(std::string_view text);

// Length (1-4) of the valid UTF-8 sequence starting at text[at], or 0 when it is invalid.
// Requires at < text.size().
size_t Utf8SequenceLength(std::string_view text, size_t at);

}  // namespace filament::core
