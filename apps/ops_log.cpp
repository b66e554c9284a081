#include "apps/ops_log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <type_traits>

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace filament::app {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kJson};

std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buffer, static_cast<int>(ms.count() % 1000));
  return out;
}

// One write(2) per line, so concurrent lines never interleave.
void WriteLine(std::string line) {
  line += '\n';
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

std::string TextValue(const LogValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v.find(' ') == std::string::npos ? v : nlohmann::json(v).dump();
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else {
          return nlohmann::json(v).dump();
        }
      },
      value);
}

}  // namespace

bool ParseLogFormat(std::string_view text, LogFormat& out) {
  if (text == "json") {
    out = LogFormat::kJson;
  } else if (text == "text") {
    out = LogFormat::kText;
  } else {
    return false;
  }
  return true;
}

void SetLogFormat(LogFormat format) { g_format = format; }

void LogEvent(std::string_view level, std::string_view event,
              std::initializer_list<LogField> fields) {
  if (g_format.load() == LogFormat::kText) {
    std::string line = "filament: " + std::string(event);
    for (const auto& [name, value] : fields)
      line += " " + std::string(name) + "=" + TextValue(value);
    return WriteLine(std::move(line));
  }
  nlohmann::ordered_json out;
  out["ts"] = NowRfc3339();
  out["level"] = std::string(level);
  out["event"] = std::string(event);
  for (const auto& [name, value] : fields) {
    std::visit([&out, name = name](const auto& v) { out[name] = v; }, value);
  }
  WriteLine(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void LogMessage(std::string_view component, const std::string& text) {
  const bool failed = text.find("fail") != std::string::npos ||
                      text.find("error") != std::string::npos ||
                      text.find("stopped") != std::string::npos;
  LogEvent(failed ? "warn" : "info", "message",
           {{"component", std::string(component)}, {"text", text}});
}

}  // namespace filament::app
