// The operational log (ADR 0076, 0103): whole lines in order, info lines buffered, other levels
// at once after what was buffered.
#include "apps/ops_log.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace filament::app {
namespace {

// Sends stderr to a file for the test's lifetime and reads it back.
class CapturedStderr {
 public:
  CapturedStderr() {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    FILE* file = std::tmpfile();
    fd_ = ::dup(::fileno(file));
    std::fclose(file);
    ::dup2(fd_, STDERR_FILENO);
  }
  ~CapturedStderr() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    ::close(fd_);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;

  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    std::string text;
    char buffer[65536];
    for (off_t at = 0;;) {
      ssize_t n = ::pread(fd_, buffer, sizeof(buffer), at);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
      at += n;
    }
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  int saved_ = -1;
  int fd_ = -1;
};

TEST(OpsLog, LinesFromManyThreadsAreWholeAndInOrderAfterAFlush) {
  CapturedStderr captured;
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kLines; ++i) {
        LogEvent("info", "request",
                 {{"thread", static_cast<int64_t>(t)}, {"i", static_cast<int64_t>(i)}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  FlushLog();
  std::vector<int> next(kThreads, 0);
  int seen = 0;
  for (const auto& line : captured.Lines()) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << line;
    if (json["event"] != "request") continue;
    const int t = json["thread"].get<int>();
    EXPECT_EQ(json["i"].get<int>(), next[static_cast<size_t>(t)]++);
    ++seen;
  }
  EXPECT_EQ(seen, kThreads * kLines);
}

TEST(OpsLog, AWarningIsWrittenAtOnceAfterTheInfoLinesBeforeIt) {
  CapturedStderr captured;
  LogEvent("info", "before", {});
  LogMessage("search", "index failed");  // level warn: not buffered
  auto lines = captured.Lines();         // no flush: what reached stderr already
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["event"], "before");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "warn");
}

TEST(OpsLog, InfoLinesReachStderrWithoutAFlush) {
  CapturedStderr captured;
  LogEvent("info", "later", {});
  for (int i = 0; i < 200 && captured.Lines().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(captured.Lines().size(), 1u);  // the writer thread wrote it (within ~10 ms)
}

}  // namespace
}  // namespace filament::app
