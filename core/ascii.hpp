#pragma once

#include <cctype>
#include <string>
#include <string_view>

// ASCII text helpers for protocol tokens (header names, media types): locale-independent,
// bytes >= 0x80 left as they are.
namespace filament::core {

// `text` with ASCII letters lower-cased.
inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `text` without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110
// §5.6.3).
inline std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace filament::core
