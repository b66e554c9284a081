#include "projections/runner/audit.hpp"

#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "events/testing/in_memory_event_log.hpp"
#include "projections/runner/log_tail.hpp"
#include "projections/runner/record_format.hpp"

namespace filament::projections {
namespace {

using events::testing::InMemoryEventLog;

using namespace std::chrono_literals;

constexpr int64_t kT0 = 1'763'719'200'000;  // 2025-11-21T10:00:00Z

events::Position Add(InMemoryEventLog& log, const std::string& stream, const std::string& type,
                     const std::string& actor, int64_t time_ms,
                     const std::string& payload = "{\"x\":1}") {
  events::LogRecord record;
  record.meta = {"01EVENT", type, 1, stream, 0, time_ms, actor, "corr-1", ""};
  record.payload = payload;
  auto positions = log.Append({stream, events::AppendBatch::kAnyVersion, {record}});
  EXPECT_TRUE(positions.ok());
  return positions.ok() ? (*positions)[0] : events::Position{};
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add(log_, "guild:g1", "message_posted", "alice", kT0 + 2000);
    Add(log_, "guild:g2", "message_posted", "bob", kT0 + 1000);
    Add(log_, "guild:g1", "member_kicked", "bob", kT0 + 3000);
    Add(log_, "user:alice", "profile_updated", "alice", kT0);
  }
  std::vector<std::string> Lines(const AuditFilter& filter, AuditFormat format) {
    std::ostringstream out;
    auto count = RunAudit(log_, filter, format, out);
    EXPECT_TRUE(count.ok());
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  InMemoryEventLog log_{3};
};

TEST_F(AuditTest, FiltersByWorkspaceActorTypeAndTime) {
  AuditFilter filter;
  filter.workspace = "g1";
  EXPECT_EQ(Lines(filter, AuditFormat::kJsonLines).size(), 2u);
  filter.actor = "bob";
  auto lines = Lines(filter, AuditFormat::kJsonLines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"type\":\"member_kicked\""), std::string::npos);
  AuditFilter by_type;
  by_type.types = {"message_posted", "profile_updated"};
  by_type.since_unix_ms = kT0 + 1000;
  by_type.until_unix_ms = kT0 + 2000;
  lines = Lines(by_type, AuditFormat::kJsonLines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"stream\":\"guild:g2\""), std::string::npos);
}

TEST_F(AuditTest, JsonLinesCarryEveryFieldInTimeOrder) {
  auto lines = Lines({}, AuditFormat::kJsonLines);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[0].find("\"type\":\"profile_updated\""), std::string::npos);
  EXPECT_NE(lines[3].find("\"type\":\"member_kicked\""), std::string::npos);
  for (const char* field :
       {"\"position\":", "\"time\":\"2025-11-21T10:00:0", "\"actor\":", "\"event_id\":\"01EVENT\"",
        "\"correlation_id\":\"corr-1\"", "\"payload\":{\"x\":1}"}) {
    EXPECT_NE(lines[0].find(field), std::string::npos) << field;
  }
}

TEST_F(AuditTest, TableIsAligned) {
  auto lines = Lines({}, AuditFormat::kTable);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].rfind("POSITION", 0), 0u);
  auto column = lines[0].find("TYPE");
  EXPECT_EQ(lines[1].substr(column, 15), "profile_updated");
}

TEST(RecordFormat, ParsesRfc3339AndUnixSeconds) {
  EXPECT_EQ(*ParseTimeArgument("2025-11-21T10:00:00Z"), kT0);
  EXPECT_EQ(*ParseTimeArgument("2025-11-21T11:00:00.250+01:00"), kT0 + 250);
  EXPECT_EQ(*ParseTimeArgument("1763719200"), kT0);
  EXPECT_FALSE(ParseTimeArgument("2025-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimeArgument("yesterday").ok());
  EXPECT_FALSE(ParseTimeArgument("2025-11-21T10:00:00").ok());
  EXPECT_FALSE(ParseTimeArgument("").ok());
  EXPECT_EQ(FormatRfc3339(kT0 + 5), "2025-11-21T10:00:00.005Z");
}

TEST(RecordFormat, BadPayloadAndBadUtf8NeverThrow) {
  events::StoredRecord record;
  record.record.meta.type = "t\n";
  record.record.meta.stream = std::string("s\xff", 2);
  record.record.payload = "not json";
  auto json = RecordToJson(record);
  EXPECT_NE(json.find("\"payload\":\"not json\""), std::string::npos);
  EXPECT_EQ(RecordToLine(record).find('\n'), std::string::npos);
}

TEST(LogTail, PrintsNewRecordsUntilStopped) {
  InMemoryEventLog log(2);
  Add(log, "guild:old", "before_tail", "a", kT0);
  std::ostringstream out;
  std::atomic<bool> stop{false};
  std::thread tail([&] { EXPECT_TRUE(TailLog(log, {false, false, 10ms}, out, stop).ok()); });
  std::this_thread::sleep_for(50ms);
  Add(log, "guild:new", "after_tail", "a", kT0);
  std::this_thread::sleep_for(100ms);
  stop = true;
  tail.join();
  EXPECT_EQ(out.str().find("before_tail"), std::string::npos);
  EXPECT_NE(out.str().find("after_tail"), std::string::npos);
}

// What `log tail --from-beginning --json` prints of `log` within 100 ms.
std::string TailFromBeginningAsJson(InMemoryEventLog& log) {
  std::ostringstream out;
  std::atomic<bool> stop{false};
  std::thread tail([&] { EXPECT_TRUE(TailLog(log, {true, true, 10ms}, out, stop).ok()); });
  std::this_thread::sleep_for(100ms);
  stop = true;
  tail.join();
  return out.str();
}

TEST(LogTail, FromBeginningAsJson) {
  InMemoryEventLog log(2);
  Add(log, "guild:old", "before_tail", "a", kT0);
  const std::string out = TailFromBeginningAsJson(log);
  EXPECT_EQ(out.rfind("{\"position\":", 0), 0u);
  EXPECT_NE(out.find("before_tail"), std::string::npos);
}

TEST(LogTail, JsonNamesTheStreamVersion) {  // what a fork check reads (test_cluster_chaos.py)
  InMemoryEventLog log(2);
  Add(log, "guild:g", "first", "a", kT0);
  Add(log, "guild:g", "second", "a", kT0);
  const std::string out = TailFromBeginningAsJson(log);
  EXPECT_NE(out.find("\"type\":\"first\",\"stream\":\"guild:g\",\"stream_version\":1,"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"type\":\"second\",\"stream\":\"guild:g\",\"stream_version\":2,"),
            std::string::npos);
}

}  // namespace
}  // namespace filament::projections
