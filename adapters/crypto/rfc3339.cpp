#include "adapters/crypto/rfc3339.hpp"

#include "core/check.hpp"

namespace filament::crypto {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int64_t month;
  int64_t day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

int64_t DaysInMonth(int64_t year, int64_t month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads exactly `width` decimal digits at `pos`.
std::optional<int64_t> Digits(std::string_view text, size_t pos, size_t width) {
  if (text.size() < pos + width) return std::nullopt;
  int64_t value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool At(std::string_view text, size_t pos, char a, char b = '\0') {
  return pos < text.size() && (text[pos] == a || (b != '\0' && text[pos] == b));
}

// Parses the zone at `pos` ("Z" or "+HH:MM"/"-HH:MM") to an offset in seconds east of UTC.
std::optional<int64_t> ParseZone(std::string_view text, size_t pos) {
  if (At(text, pos, 'Z', 'z'))
    return pos + 1 == text.size() ? std::optional<int64_t>(0) : std::nullopt;
  if (!At(text, pos, '+', '-') || text.size() != pos + 6 || !At(text, pos + 3, ':')) {
    return std::nullopt;
  }
  auto hours = Digits(text, pos + 1, 2);
  auto minutes = Digits(text, pos + 4, 2);
  if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
  int64_t offset = *hours * 3600 + *minutes * 60;
  return text[pos] == '-' ? -offset : offset;
}

// Appends `value` (0 <= value < 10^width) zero-padded to `width` digits, then `suffix`.
void AppendPadded(std::string& out, int64_t value, int width, char suffix) {
  std::string digits(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0 && value > 0; --i, value /= 10) {
    digits[static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  }
  out += digits;
  out += suffix;
}

}  // namespace

std::string FormatRfc3339Utc(int64_t unix_secs) {
  int64_t days = unix_secs >= 0 ? unix_secs / 86400 : -((-unix_secs + 86399) / 86400);
  int64_t secs = unix_secs - days * 86400;
  Civil civil = CivilFromDays(days);
  FILAMENT_CHECK(civil.year >= 0 && civil.year <= 9999);
  std::string out;
  AppendPadded(out, civil.year, 4, '-');
  AppendPadded(out, civil.month, 2, '-');
  AppendPadded(out, civil.day, 2, 'T');
  AppendPadded(out, secs / 3600, 2, ':');
  AppendPadded(out, secs / 60 % 60, 2, ':');
  AppendPadded(out, secs % 60, 2, 'Z');
  return out;
}

std::optional<int64_t> ParseRfc3339(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  auto year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  auto hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !At(text, 4, '-') ||
      !At(text, 7, '-') || !At(text, 10, 'T', 't') || !At(text, 13, ':') || !At(text, 16, ':')) {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > DaysInMonth(*year, *month) || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (At(text, pos, '.')) {
    size_t digits_start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == digits_start) return std::nullopt;
  }
  auto offset = ParseZone(text, pos);
  if (!offset) return std::nullopt;
  int64_t days = DaysFromCivil(*year, *month, *day);
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - *offset;
}

}  // namespace filament::crypto
