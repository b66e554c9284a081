// The behavioural EventLog suite, run against every registered adapter harness.
// An adapter's test binary links this library and calls RegisterEventLogHarness from a static
// initialiser; the suite is instantiated once per registered name when gtest starts.

#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/ulid.hpp"
#include "events/log_transfer.hpp"
#include "tests/integration/event_log_harness.hpp"

namespace filament::testing {
namespace {

using events::AppendBatch;
using events::EventLog;
using events::FormatPosition;
using events::LogReader;
using events::LogRecord;
using events::Position;
using events::StoredRecord;
using std::chrono::milliseconds;

constexpr int32_t kPartitions = 4;

std::map<std::string, HarnessFactory>& Registry() {
  static std::map<std::string, HarnessFactory> registry;
  return registry;
}

std::vector<std::string> RegisteredNames() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : Registry()) names.push_back(name);
  return names;
}

LogRecord MakeRecord(const std::string& stream, int64_t version, std::string payload = "") {
  static core::UlidGenerator ids;
  LogRecord r;
  r.meta.event_id = ids.Next(1'700'000'000'000).ToString();
  r.meta.type = "message_posted";
  r.meta.schema_version = 1;
  r.meta.stream = stream;
  r.meta.stream_version = version;
  r.meta.time_unix_ms = 1'700'000'000'000 + version;
  r.meta.actor_user_id = "01HACTOR0000000000000000AA";
  r.meta.correlation_id = "req-" + std::to_string(version);
  r.meta.causation_id = "cmd-" + std::to_string(version);
  r.payload = payload.empty() ? "{\"n\":" + std::to_string(version) + "}" : std::move(payload);
  return r;
}

// A batch of `count` records continuing `stream` from `expected`.
AppendBatch MakeBatch(const std::string& stream, int64_t expected, int count) {
  AppendBatch batch{stream, expected, {}};
  for (int i = 0; i < count; ++i) batch.records.push_back(MakeRecord(stream, expected + i + 1));
  return batch;
}

std::vector<Position> AllFrom(int32_t partitions, int64_t offset = 0) {
  std::vector<Position> start;
  for (int32_t p = 0; p < partitions; ++p) start.push_back({p, offset});
  return start;
}

// Polls until `count` records arrived or `timeout` passed.
std::vector<StoredRecord> ReadN(LogReader& reader, size_t count,
                                milliseconds timeout = milliseconds(10'000)) {
  std::vector<StoredRecord> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto batch = reader.Poll(count - out.size(), milliseconds(200));
    EXPECT_TRUE(batch.ok()) << (batch.ok() ? "" : batch.error().message);
    if (!batch.ok()) break;
    for (auto& r : *batch) out.push_back(std::move(r));
  }
  return out;
}

class EventLogContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { harness_ = Registry().at(GetParam())(); }

  std::unique_ptr<EventLog> Open(int32_t partitions = kPartitions) {
    auto log = harness_->Open(partitions);
    EXPECT_NE(log, nullptr) << "harness could not open the log";
    return log;
  }
  std::unique_ptr<LogReader> Reader(EventLog& log, std::vector<Position> start) {
    auto reader = log.OpenReader(start);
    EXPECT_TRUE(reader.ok()) << (reader.ok() ? "" : reader.error().message);
    return reader.ok() ? std::move(*reader) : nullptr;
  }
  std::vector<Position> AppendOk(EventLog& log, const AppendBatch& batch) {
    auto positions = log.Append(batch);
    EXPECT_TRUE(positions.ok()) << (positions.ok() ? "" : positions.error().message);
    return positions.ok() ? *positions : std::vector<Position>{};
  }

  std::unique_ptr<EventLogHarness> harness_;
};

TEST_P(EventLogContract, RoundTripKeepsPayloadAndMetaByteForByte) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  AppendBatch batch = MakeBatch("guild:01HRT", 0, 3);
  batch.records[0].payload = R"({"content":"h\u00e9llo \"q\" \\ {} ;'","z":1,"a":[1.50,2e3]})";
  batch.records[1].payload = "{ \"spaced\" :  true }";
  batch.records[2].payload = "{\"emoji\":\"\xF0\x9F\x98\x80 \xC3\xA9\"}";
  batch.records[2].meta.actor_user_id.clear();
  auto positions = AppendOk(*log, batch);
  ASSERT_EQ(positions.size(), 3u);
  const int32_t partition = events::PartitionFor(batch.stream, kPartitions);
  auto reader = Reader(*log, {{partition, positions[0].offset}});
  auto got = ReadN(*reader, 3);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(got[i].decode_error.has_value());
    EXPECT_EQ(got[i].position, positions[i]);
    EXPECT_EQ(got[i].record.meta, batch.records[i].meta);
    EXPECT_EQ(got[i].record.payload, batch.records[i].payload);
  }
}

TEST_P(EventLogContract, StreamRecordsAreReadInStreamOrder) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  for (int64_t v = 0; v < 20; v += 2) {
    AppendOk(*log, MakeBatch("guild:01HORDER", v, 2));
    AppendOk(*log, MakeBatch("guild:01HOTHER" + std::to_string(v), 0, 1));
  }
  auto reader = Reader(*log, AllFrom(kPartitions));
  auto got = ReadN(*reader, 30);
  ASSERT_EQ(got.size(), 30u);
  int64_t expected_version = 1;
  for (const auto& r : got) {
    if (r.record.meta.stream != "guild:01HORDER") continue;
    EXPECT_EQ(r.record.meta.stream_version, expected_version++);
  }
  EXPECT_EQ(expected_version, 21);
}

TEST_P(EventLogContract, AppendedPositionsAreWhereReadersFindTheRecords) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  std::map<std::string, Position> appended;  // event_id -> position
  for (int s = 0; s < 12; ++s) {
    AppendBatch batch = MakeBatch("user:01HPOS" + std::to_string(s), 0, 1 + s % 3);
    auto positions = AppendOk(*log, batch);
    ASSERT_EQ(positions.size(), batch.records.size());
    for (size_t i = 0; i < positions.size(); ++i) {
      EXPECT_EQ(positions[i].partition, events::PartitionFor(batch.stream, kPartitions));
      appended[batch.records[i].meta.event_id] = positions[i];
    }
  }
  auto reader = Reader(*log, AllFrom(kPartitions));
  auto got = ReadN(*reader, appended.size());
  ASSERT_EQ(got.size(), appended.size());
  for (const auto& r : got) EXPECT_EQ(r.position, appended.at(r.record.meta.event_id));
}

TEST_P(EventLogContract, ReaderResumesFromAPosition) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  std::vector<Position> positions;
  for (int64_t v = 0; v < 10; ++v) {
    auto p = AppendOk(*log, MakeBatch("guild:01HRESUME", v, 1));
    ASSERT_EQ(p.size(), 1u);
    positions.push_back(p[0]);
  }
  auto reader = Reader(*log, {positions[4]});
  auto got = ReadN(*reader, 6);
  ASSERT_EQ(got.size(), 6u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].position, positions[4 + i]);
    EXPECT_EQ(got[i].record.meta.stream_version, static_cast<int64_t>(5 + i));
  }
  auto more = (*reader).Poll(10, milliseconds(50));
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
}

TEST_P(EventLogContract, ExpectedVersionConflictIsAbortedAndWritesNothing) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  AppendOk(*log, MakeBatch("guild:01HCONFLICT", 0, 2));
  auto before = log->EndOffsets();
  ASSERT_TRUE(before.ok());
  for (int64_t stale : {int64_t{0}, int64_t{1}, int64_t{3}}) {
    auto result = log->Append(MakeBatch("guild:01HCONFLICT", stale, 3));
    ASSERT_FALSE(result.ok()) << "expected version " << stale;
    EXPECT_EQ(result.error().code, core::ErrorCode::kAborted);
  }
  auto after = log->EndOffsets();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  AppendOk(*log, MakeBatch("guild:01HCONFLICT", 2, 1));
  auto reader = Reader(*log, AllFrom(kPartitions));
  auto got = ReadN(*reader, 3);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(got[i].record.meta.stream_version, int64_t(i) + 1);
}

TEST_P(EventLogContract, RacingWritersOfOneStreamExactlyOneWinsEachRound) {
  auto first = Open();
  auto second = Open();
  ASSERT_TRUE(first && second);
  constexpr int kThreads = 4, kRounds = 15;
  std::barrier sync(kThreads);
  std::atomic<int> wins{0}, aborts{0}, others{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EventLog& log = t % 2 == 0 ? *first : *second;
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();
        auto result = log.Append(MakeBatch("guild:01HRACE", round, 1));
        if (result.ok())
          ++wins;
        else if (result.error().code == core::ErrorCode::kAborted)
          ++aborts;
        else
          ++others;
        sync.arrive_and_wait();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), kRounds);
  EXPECT_EQ(aborts.load(), kRounds * (kThreads - 1));
  EXPECT_EQ(others.load(), 0);
}

TEST_P(EventLogContract, InvalidBatchesAreRejected) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  auto empty = log->Append(AppendBatch{"guild:01HEMPTY", 0, {}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, core::ErrorCode::kInvalidArgument);
  AppendBatch mixed = MakeBatch("guild:01HA", 0, 2);
  mixed.records[1].meta.stream = "guild:01HB";
  auto result = log->Append(mixed);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
  auto ends = log->EndOffsets();
  ASSERT_TRUE(ends.ok());
  EXPECT_EQ(*ends, std::vector<int64_t>(kPartitions, 0));
}

TEST_P(EventLogContract, EndOffsetsAreTheNextOffsetPerPartition) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  auto empty = log->EndOffsets();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, std::vector<int64_t>(kPartitions, 0));
  std::vector<int64_t> expected(kPartitions, 0);
  for (int s = 0; s < 10; ++s) {
    auto batch = MakeBatch("guild:01HEND" + std::to_string(s), 0, 1 + s % 2);
    AppendOk(*log, batch);
    expected[static_cast<size_t>(events::PartitionFor(batch.stream, kPartitions))] +=
        static_cast<int64_t>(batch.records.size());
  }
  auto ends = log->EndOffsets();
  ASSERT_TRUE(ends.ok());
  EXPECT_EQ(*ends, expected);
}

TEST_P(EventLogContract, EmptyPollTimesOutWithinTheWait) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  auto reader = Reader(*log, AllFrom(kPartitions));
  auto start = std::chrono::steady_clock::now();
  auto got = reader->Poll(10, milliseconds(300));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_LT(elapsed, milliseconds(300 + 1500));
}

TEST_P(EventLogContract, AppendWakesAWaitingReader) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  auto reader = Reader(*log, AllFrom(kPartitions));
  ASSERT_TRUE(reader->Poll(1, milliseconds(0)).ok());  // connected and listening
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    AppendOk(*log, MakeBatch("guild:01HWAKE", 0, 1));
  });
  auto start = std::chrono::steady_clock::now();
  auto got = reader->Poll(10, milliseconds(10'000));
  auto elapsed = std::chrono::steady_clock::now() - start;
  writer.join();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1u);
  EXPECT_LT(elapsed, milliseconds(5'000));
}

// What a concurrent reader saw: it checks density and order as it goes.
struct ReaderView {
  std::map<int32_t, int64_t> next;             // partition -> next expected offset
  std::map<std::string, Position> seen;        // event_id -> position
  std::map<std::string, int64_t> stream_head;  // stream -> last version seen
  std::vector<std::string> violations;

  void Observe(const StoredRecord& r) {
    int64_t& next_offset = next[r.position.partition];
    if (r.position.offset != next_offset) {
      violations.push_back("partition " + std::to_string(r.position.partition) + ": got " +
                           std::to_string(r.position.offset) + ", expected " +
                           std::to_string(next_offset));
    }
    next_offset = r.position.offset + 1;
    if (!seen.emplace(r.record.meta.event_id, r.position).second) {
      violations.push_back("duplicate " + r.record.meta.event_id);
    }
    int64_t& head = stream_head[r.record.meta.stream];
    if (r.record.meta.stream_version != head + 1) violations.push_back("stream order broken");
    head = r.record.meta.stream_version;
  }
};

TEST_P(EventLogContract, ConcurrentAppendersNeverShowReadersAGapOrDuplicate) {
  constexpr int kHandles = 3, kThreadsPerHandle = 2, kBatchesPerThread = 250, kStreams = 8;
  std::vector<std::unique_ptr<EventLog>> logs;
  for (int h = 0; h < kHandles + 1; ++h) logs.push_back(Open());
  for (const auto& log : logs) ASSERT_NE(log, nullptr);
  std::mutex mu;
  std::map<std::string, Position> appended;
  std::atomic<bool> appending{true};
  std::atomic<int> failures{0};
  std::vector<ReaderView> views(2);
  std::vector<std::thread> readers;
  for (auto& view : views) {
    readers.emplace_back([&, v = &view] {
      auto reader = logs.back()->OpenReader(AllFrom(kPartitions));
      if (!reader.ok()) return void(++failures);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
      while (std::chrono::steady_clock::now() < deadline) {
        bool done = !appending.load();
        auto batch = (*reader)->Poll(500, milliseconds(100));
        if (!batch.ok()) return void(++failures);
        for (const auto& r : *batch) v->Observe(r);
        std::lock_guard lock(mu);
        if (done && v->seen.size() >= appended.size()) return;
      }
    });
  }
  std::vector<std::thread> writers;
  for (int t = 0; t < kHandles * kThreadsPerHandle; ++t) {
    writers.emplace_back([&, t] {
      EventLog& log = *logs[static_cast<size_t>(t % kHandles)];
      std::vector<int64_t> versions(kStreams, 0);
      for (int i = 0; i < kBatchesPerThread; ++i) {
        int k = i % kStreams;
        std::string stream = "guild:01HCONC" + std::to_string(t) + "x" + std::to_string(k);
        AppendBatch batch = MakeBatch(stream, versions[size_t(k)], 1 + i % 3);
        auto positions = log.Append(batch);
        if (!positions.ok()) return void(++failures);
        versions[size_t(k)] += static_cast<int64_t>(batch.records.size());
        std::lock_guard lock(mu);
        for (size_t j = 0; j < positions->size(); ++j) {
          appended[batch.records[j].meta.event_id] = (*positions)[j];
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  appending = false;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(appended.size(), 2000u);
  for (const auto& view : views) {
    EXPECT_TRUE(view.violations.empty()) << view.violations.front();
    EXPECT_EQ(view.seen, appended);  // nothing lost, nothing extra, same positions
  }
  auto ends = logs.front()->EndOffsets();
  ASSERT_TRUE(ends.ok());
  int64_t total = 0;
  for (int64_t end : *ends) total += end;
  EXPECT_EQ(total, static_cast<int64_t>(appended.size()));
}

TEST_P(EventLogContract, RestartKeepsDataAndContinuesOffsets) {
  std::vector<StoredRecord> before;
  std::vector<int64_t> ends_before;
  {
    auto log = Open();
    ASSERT_NE(log, nullptr);
    for (int s = 0; s < 6; ++s)
      AppendOk(*log, MakeBatch("guild:01HRESTART" + std::to_string(s), 0, 2));
    auto reader = Reader(*log, AllFrom(kPartitions));
    before = ReadN(*reader, 12);
    ASSERT_EQ(before.size(), 12u);
    auto ends = log->EndOffsets();
    ASSERT_TRUE(ends.ok());
    ends_before = *ends;
  }  // every handle closed
  auto log = Open();
  ASSERT_NE(log, nullptr);
  auto ends = log->EndOffsets();
  ASSERT_TRUE(ends.ok());
  EXPECT_EQ(*ends, ends_before);
  auto reader = Reader(*log, AllFrom(kPartitions));
  auto after = ReadN(*reader, 12);
  ASSERT_EQ(after.size(), 12u);
  std::map<std::string, std::pair<Position, LogRecord>> by_id;
  for (const auto& r : before) by_id[r.record.meta.event_id] = {r.position, r.record};
  for (const auto& r : after) {
    ASSERT_EQ(by_id.count(r.record.meta.event_id), 1u);
    EXPECT_EQ(by_id[r.record.meta.event_id].first, r.position);
    EXPECT_EQ(by_id[r.record.meta.event_id].second, r.record);
  }
  AppendBatch next = MakeBatch("guild:01HRESTART0", 2, 1);
  auto positions = AppendOk(*log, next);
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].offset, ends_before[size_t(positions[0].partition)]);
}

TEST_P(EventLogContract, ConsumerCrashBeforeCheckpointSeesTheSameRecordsAgain) {
  auto log = Open(1);
  ASSERT_NE(log, nullptr);
  for (int64_t v = 0; v < 10; ++v) AppendOk(*log, MakeBatch("guild:01HCRASH", v, 1));
  Position checkpoint{0, 0};
  std::vector<StoredRecord> first_run;
  {
    auto reader = Reader(*log, {checkpoint});
    first_run = ReadN(*reader, 10);
    ASSERT_EQ(first_run.size(), 10u);
    checkpoint = {0, first_run[3].position.offset + 1};  // records 0..3 were checkpointed
  }  // the consumer "crashes" after reading 10 but before checkpointing 4..9
  auto reader = Reader(*log, {checkpoint});
  auto second_run = ReadN(*reader, 6);
  ASSERT_EQ(second_run.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(second_run[i].position, first_run[4 + i].position);
    EXPECT_EQ(second_run[i].record, first_run[4 + i].record);
  }
}

}  // namespace

// ADR 0053: export → import into a fresh log of the same adapter reproduces every record at
// its position with its stream version (streams interleaved, so most batches are 1 record).
TEST_P(EventLogContract, ArchiveImportIntoAFreshLogReproducesIt) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  std::map<std::string, int64_t> versions;
  for (int i = 0; i < 300; ++i) {
    std::string stream = "guild:01HARCHIVE" + std::to_string(i % 23);
    int count = 1 + (i % 5 == 0 ? 2 : 0);
    AppendOk(*log, MakeBatch(stream, versions[stream], count));
    versions[stream] += count;
  }
  std::stringstream archive;
  auto exported = events::ExportLog(*log, {GetParam(), "contract", {}, 0}, archive);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  auto fresh_harness = Registry().at(GetParam())();
  auto fresh = fresh_harness->Open(kPartitions);
  ASSERT_NE(fresh, nullptr);
  events::ImportProgress progress;
  auto started = std::chrono::steady_clock::now();
  auto imported = events::ImportLog(*fresh, archive, progress);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  RecordProperty("import_ms", static_cast<int>(ms.count()));
  ASSERT_EQ(*fresh->EndOffsets(), *log->EndOffsets());
  auto want = ReadN(*Reader(*log, AllFrom(kPartitions)), exported->records);
  auto got = ReadN(*Reader(*fresh, AllFrom(kPartitions)), exported->records);
  ASSERT_EQ(got.size(), want.size());
  std::map<Position, LogRecord> by_position;
  for (const auto& r : want) by_position[r.position] = r.record;
  for (const auto& r : got)
    EXPECT_EQ(r.record, by_position[r.position]) << FormatPosition(r.position);
  // The copy's streams continue where the source's did: version checks still hold.
  auto next = fresh->Append(MakeBatch("guild:01HARCHIVE0", versions["guild:01HARCHIVE0"], 1));
  EXPECT_TRUE(next.ok()) << (next.ok() ? "" : next.error().message);
  auto stale = fresh->Append(MakeBatch("guild:01HARCHIVE1", versions["guild:01HARCHIVE1"] - 1, 1));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, core::ErrorCode::kAborted);
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EventLogContract);
// The generator runs when gtest starts (after every static initialiser has registered).
INSTANTIATE_TEST_SUITE_P(Adapters, EventLogContract, ::testing::ValuesIn(RegisteredNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

bool RegisterEventLogHarness(const char* name, HarnessFactory factory) {
  return Registry().emplace(name, factory).second;
}

}  // namespace filament::testing
