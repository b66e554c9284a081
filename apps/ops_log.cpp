#include "apps/ops_log.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>
#include <type_traits>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/thread_name.hpp"

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

// Writes all of `text` to stderr (a short write continues; an error drops the rest).
void WriteAll(const std::string& text) {
  const char* data = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

// Info lines are buffered and written by one thread at most every kFlushEvery (ADR 0103): a
// request line each is one write(2) per request otherwise, a system call and a wake-up of
// whoever reads stderr, per request. Other levels are written at once, after what is buffered,
// so a warning is never behind its cause nor lost to a crash that follows it. Whole lines are
// written, in the order they were logged. A full buffer (stderr not read) blocks the logger,
// as a blocked write(2) did: lines are never dropped.
class LineWriter {
 public:
  static LineWriter& Get() {
    static auto* writer = new LineWriter();  // never destroyed: threads may log during exit
    return *writer;
  }

  void Buffered(std::string line) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return pending_.size() < kMaxPending; });
    const bool was_empty = pending_.empty();
    pending_ += line;
    if (was_empty) work_.notify_one();
  }

  void Now(const std::string& line) {
    std::lock_guard write(write_mu_);
    std::string out = Take();
    out += line;
    WriteAll(out);
  }

  void Flush() {
    std::lock_guard write(write_mu_);
    WriteAll(Take());
  }

 private:
  static constexpr size_t kMaxPending = 4 << 20;
  static constexpr auto kFlushEvery = std::chrono::milliseconds(10);

  LineWriter() {
    std::atexit([] { Get().Flush(); });
    core::NamedThread("log-lines", [this] { Run(); }).detach();
  }

  std::string Take() {
    std::lock_guard lock(mu_);
    std::string out;
    out.swap(pending_);
    room_.notify_all();
    return out;
  }

  [[noreturn]] void Run() {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        work_.wait(lock, [&] { return !pending_.empty(); });
      }
      std::this_thread::sleep_for(kFlushEvery);  // let the lines of the next moments gather
      Flush();
    }
  }

  std::mutex write_mu_;  // held across a write: lines leave in the order they were taken
  std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable room_;
  std::string pending_;
};

void WriteLine(std::string line, std::string_view level) {
  line += '\n';
  if (level == "info") return LineWriter::Get().Buffered(std::move(line));
  LineWriter::Get().Now(line);
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

void FlushLog() { LineWriter::Get().Flush(); }

void LogEvent(std::string_view level, std::string_view event,
              std::initializer_list<LogField> fields) {
  if (g_format.load() == LogFormat::kText) {
    std::string line = "filament: " + std::string(event);
    for (const auto& [name, value] : fields)
      line += " " + std::string(name) + "=" + TextValue(value);
    return WriteLine(std::move(line), level);
  }
  nlohmann::ordered_json out;
  out["ts"] = NowRfc3339();
  out["level"] = std::string(level);
  out["event"] = std::string(event);
  for (const auto& [name, value] : fields) {
    std::visit([&out, name = name](const auto& v) { out[name] = v; }, value);
  }
  WriteLine(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), level);
}

void LogMessage(std::string_view component, const std::string& text) {
  const bool failed = text.find("fail") != std::string::npos ||
                      text.find("error") != std::string::npos ||
                      text.find("stopped") != std::string::npos;
  LogEvent(failed ? "warn" : "info", "message",
           {{"component", std::string(component)}, {"text", text}});
}

}  // namespace filament::app
