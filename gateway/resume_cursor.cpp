#include "gateway/resume_cursor.hpp"

namespace filament::gateway {
namespace {

constexpr size_t kMaxOffsetDigits = 18;
constexpr int64_t kMaxSkip = 65535;

std::optional<int64_t> ParseDecimal(std::string_view digits, size_t max_digits) {
  if (digits.empty() || digits.size() > max_digits) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string FormatCursor(const ResumeCursor& cursor) {
  std::string out = "1";
  for (size_t p = 0; p < cursor.next.size(); ++p) {
    out += '.';
    out += std::to_string(cursor.next[p]);
    if (p < cursor.skip.size() && cursor.skip[p] > 0) {
      out += '+';
      out += std::to_string(cursor.skip[p]);
    }
  }
  return out;
}

std::optional<ResumeCursor> ParseCursor(std::string_view text) {
  if (text.size() < 3 || text.substr(0, 2) != "1.") return std::nullopt;
  ResumeCursor cursor;
  std::string_view rest = text.substr(2);
  for (;;) {
    const size_t dot = rest.find('.');
    std::string_view field = rest.substr(0, dot);
    const size_t plus = field.find('+');
    auto offset = ParseDecimal(field.substr(0, plus), kMaxOffsetDigits);
    if (!offset) return std::nullopt;
    int64_t skip = 0;
    if (plus != std::string_view::npos) {
      auto parsed = ParseDecimal(field.substr(plus + 1), 5);
      if (!parsed || *parsed == 0 || *parsed > kMaxSkip) return std::nullopt;
      skip = *parsed;
    }
    if (cursor.next.size() == kMaxCursorPartitions) return std::nullopt;
    cursor.next.push_back(*offset);
    cursor.skip.push_back(static_cast<int32_t>(skip));
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  return cursor;
}

ResumeCursor CursorAt(const std::vector<int64_t>& next) {
  return ResumeCursor{next, std::vector<int32_t>(next.size(), 0)};
}

}  // namespace filament::gateway
