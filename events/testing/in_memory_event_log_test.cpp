#include "events/testing/in_memory_event_log.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace filament::events::testing {
namespace {

using namespace std::chrono_literals;

events::AppendBatch Batch(const std::string& stream, int64_t expected, int count) {
  events::AppendBatch batch{stream, expected, {}};
  for (int i = 0; i < count; ++i) {
    events::LogRecord record;
    record.meta.stream = stream;
    record.meta.type = "thing_happened";
    record.meta.stream_version =
        expected == events::AppendBatch::kAnyVersion ? 0 : expected + i + 1;
    record.payload = "{\"i\":" + std::to_string(i) + "}";
    batch.records.push_back(record);
  }
  return batch;
}

std::vector<events::Position> AllFromZero(const events::EventLog& log) {
  std::vector<events::Position> start;
  for (int32_t p = 0; p < log.Partitions(); ++p) start.push_back({p, 0});
  return start;
}

TEST(InMemoryEventLog, AppendGivesDenseOffsetsInTheStreamsPartition) {
  InMemoryEventLog log(4);
  auto first = log.Append(Batch("guild:a", 0, 2));
  auto second = log.Append(Batch("guild:a", 2, 1));
  ASSERT_TRUE(first.ok() && second.ok());
  int32_t partition = events::PartitionFor("guild:a", 4);
  EXPECT_EQ((*first)[0], (events::Position{partition, 0}));
  EXPECT_EQ((*first)[1], (events::Position{partition, 1}));
  EXPECT_EQ((*second)[0], (events::Position{partition, 2}));
  auto ends = log.EndOffsets();
  ASSERT_TRUE(ends.ok());
  EXPECT_EQ((*ends)[static_cast<size_t>(partition)], 3);
}

TEST(InMemoryEventLog, WrongExpectedVersionIsAbortedAndWritesNothing) {
  InMemoryEventLog log(2);
  ASSERT_TRUE(log.Append(Batch("user:u", 0, 1)).ok());
  auto stale = log.Append(Batch("user:u", 0, 1));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, core::ErrorCode::kAborted);
  auto ends = log.EndOffsets();
  EXPECT_EQ((*ends)[0] + (*ends)[1], 1);
  EXPECT_TRUE(log.Append(Batch("user:u", events::AppendBatch::kAnyVersion, 1)).ok());
}

TEST(InMemoryEventLog, InconsistentBatchesAreInvalid) {
  InMemoryEventLog log(2);
  EXPECT_EQ(log.Append(Batch("s", 0, 0)).error().code, core::ErrorCode::kInvalidArgument);
  auto batch = Batch("s", 0, 2);
  batch.records[1].meta.stream = "other";
  EXPECT_EQ(log.Append(batch).error().code, core::ErrorCode::kInvalidArgument);
  batch = Batch("s", 0, 2);
  batch.records[1].meta.stream_version = 7;
  EXPECT_EQ(log.Append(batch).error().code, core::ErrorCode::kInvalidArgument);
}

TEST(InMemoryEventLog, ReaderReturnsRecordsInOrderFromItsStart) {
  InMemoryEventLog log(1);
  ASSERT_TRUE(log.Append(Batch("s", 0, 5)).ok());
  auto reader = log.OpenReader({{0, 2}});
  ASSERT_TRUE(reader.ok());
  auto records = (*reader)->Poll(2, 0ms);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].position.offset, 2);
  EXPECT_EQ((*records)[1].position.offset, 3);
  EXPECT_EQ((*records)[1].record.payload, "{\"i\":3}");
  records = (*reader)->Poll(10, 0ms);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].position.offset, 4);
  EXPECT_TRUE((*reader)->Poll(10, 0ms)->empty());
}

TEST(InMemoryEventLog, PollBlocksUntilAnAppendArrives) {
  InMemoryEventLog log(2);
  auto reader = log.OpenReader(AllFromZero(log));
  std::thread appender([&] {
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(log.Append(Batch("late", 0, 1)).ok());
  });
  auto started = std::chrono::steady_clock::now();
  auto records = (*reader)->Poll(10, 5000ms);
  appender.join();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4000ms);
}

TEST(InMemoryEventLog, PollTimesOutEmpty) {
  InMemoryEventLog log(1);
  auto reader = log.OpenReader(AllFromZero(log));
  auto records = (*reader)->Poll(10, 20ms);
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

TEST(InMemoryEventLog, ConcurrentAppendsKeepEveryPartitionDense) {
  InMemoryEventLog log(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 250; ++i) {
        auto stream = "s" + std::to_string(t);
        ASSERT_TRUE(log.Append(Batch(stream, i, 1)).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto reader = log.OpenReader(AllFromZero(log));
  std::vector<int64_t> next(3, 0);
  size_t total = 0;
  while (true) {
    auto records = (*reader)->Poll(64, 0ms);
    ASSERT_TRUE(records.ok());
    if (records->empty()) break;
    for (const auto& record : *records) {
      EXPECT_EQ(record.position.offset, next[static_cast<size_t>(record.position.partition)]++);
      ++total;
    }
  }
  EXPECT_EQ(total, 1000u);
}

TEST(InMemoryEventLog, BadReaderStartIsInvalid) {
  InMemoryEventLog log(2);
  EXPECT_FALSE(log.OpenReader({{2, 0}}).ok());
  EXPECT_FALSE(log.OpenReader({{0, -1}}).ok());
  EXPECT_FALSE(log.OpenReader({{0, 0}, {0, 1}}).ok());
}

TEST(InMemoryEventLog, InjectedFailuresAreUnavailableThenClear) {
  InMemoryEventLog log(1);
  auto reader = log.OpenReader(AllFromZero(log));
  log.FailNextCalls(1);
  auto failed = (*reader)->Poll(1, 0ms);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, core::ErrorCode::kUnavailable);
  EXPECT_TRUE((*reader)->Poll(1, 0ms).ok());
}

TEST(InMemoryEventLog, UndecodableRecordsCarryTheirError) {
  InMemoryEventLog log(1);
  events::LogRecord record;
  record.meta.stream = "s";
  record.meta.type = "weird";
  auto pos = log.AppendUndecodable(record, core::Internal("bad header"));
  auto reader = log.OpenReader({{0, 0}});
  auto records = (*reader)->Poll(1, 0ms);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].position, pos);
  ASSERT_TRUE((*records)[0].decode_error.has_value());
  EXPECT_EQ((*records)[0].decode_error->message, "bad header");
}

}  // namespace
}  // namespace filament::events::testing
