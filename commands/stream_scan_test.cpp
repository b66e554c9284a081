#include "commands/stream_scan.hpp"

#include <gtest/gtest.h>

#include "events/testing/builders.hpp"
#include "events/testing/in_memory_event_log.hpp"

namespace filament::commands {
namespace {

namespace ex = events::testing;

events::LogRecord Record(const std::string& stream, int64_t version, const events::Event& e) {
  events::LogRecord record;
  record.meta.event_id = stream + "#" + std::to_string(version);
  record.meta.type = std::string(events::TypeOf(e));
  record.meta.schema_version = events::SchemaVersionOf(e);
  record.meta.stream = stream;
  record.meta.stream_version = version;
  record.payload = events::EncodePayload(e);
  return record;
}

core::Status Append(events::EventLog& log, const std::string& stream, int64_t expected,
                    const std::vector<events::Event>& list) {
  events::AppendBatch batch{stream, expected, {}};
  for (const auto& e : list) {
    batch.records.push_back(
        Record(stream, expected + static_cast<int64_t>(batch.records.size()) + 1, e));
  }
  auto appended = log.Append(batch);
  return appended.ok() ? core::OkStatus() : core::Status(appended.error());
}

TEST(ScanStream, ReturnsOnlyTheStreamsEventsInOrderAmongOthers) {
  events::testing::InMemoryEventLog log{1};  // one partition: every stream shares it
  const std::string guild = std::string("guild:") + ex::kGuildId;
  ASSERT_TRUE(Append(log, guild, 0, {ex::GuildCreatedExample()}).ok());
  ASSERT_TRUE(Append(log, "user:x", 0, {ex::UserRegisteredExample()}).ok());
  log.AppendUndecodable(Record("user:y", 1, ex::UserRegisteredExample()), core::Internal("bad"));
  ASSERT_TRUE(
      Append(log, guild, 1, {ex::ChannelCreatedExample(), ex::MessagePostedExample()}).ok());
  std::vector<std::string> types;
  auto status = ScanStream(log, guild, [&](const events::Event& e) {
    types.emplace_back(events::TypeOf(e));
    return core::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(types,
            (std::vector<std::string>{"guild_created", "channel_created", "message_posted"}));
}

TEST(ScanStream, AnUndecodableRecordOfTheStreamIsAnError) {
  events::testing::InMemoryEventLog log{1};
  const std::string guild = std::string("guild:") + ex::kGuildId;
  ASSERT_TRUE(Append(log, guild, 0, {ex::GuildCreatedExample()}).ok());
  log.AppendUndecodable(Record(guild, 2, ex::ChannelCreatedExample()), core::Internal("bad"));
  auto status = ScanStream(log, guild, [](const events::Event&) { return core::OkStatus(); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kInternal);
}

TEST(ScanStream, TheLogsErrorIsReturned) {
  events::testing::InMemoryEventLog log{2};
  log.FailNextCalls(1);  // EndOffsets
  auto status = ScanStream(log, "guild:g", [](const events::Event&) { return core::OkStatus(); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace filament::commands
