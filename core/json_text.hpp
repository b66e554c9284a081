#pragma once

#include <string>
#include <string_view>

// Writing JSON text directly, for the hot paths that would otherwise build a document only to
// serialize it (markdown tokens, message objects). Standard library only.
namespace filament::core {

// Appends `text` to `out` as a quoted JSON string, with the bytes nlohmann::json's dump() gives
// (no indent, ensure_ascii off): `"` and `\` escaped, \b \t \n \f \r, every other byte below
// 0x20 as \u00xx with lower-case hex, everything else, 0x7F and multi-byte UTF-8 included, as
// it is. Returns false and leaves `out` unchanged when `text` is not valid UTF-8
// (core/utf8.hpp): the caller decides what such text becomes, where nlohmann would throw or
// replace.
bool AppendJsonString(std::string& out, std::string_view text);

}  // namespace filament::core
