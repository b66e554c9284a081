#include "core/json_text.hpp"

#include <cstdint>

#include "core/utf8.hpp"

namespace filament::core {

bool AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t start = out.size();
  out.reserve(start + text.size() + 2);
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t at = 0; at < text.size();) {
    const auto c = static_cast<uint8_t>(text[at]);
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(text, at);
      if (length == 0) {
        out.resize(start);
        return false;
      }
      at += length;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++at;
      continue;
    }
    out.append(text.data() + run, at - run);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    run = ++at;
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
  return true;
}

}  // namespace filament::core
