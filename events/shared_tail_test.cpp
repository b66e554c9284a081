#include "events/shared_tail.hpp"

#include <atomic>
#include <map>
#include <numeric>
#include <thread>

#include <gtest/gtest.h>

#include "events/testing/in_memory_event_log.hpp"

namespace filament::events {
namespace {

using namespace std::chrono_literals;
using testing::InMemoryEventLog;

AppendBatch Batch(const std::string& stream, int count, int first = 0) {
  AppendBatch batch{stream, AppendBatch::kAnyVersion, {}};
  for (int i = 0; i < count; ++i) {
    LogRecord record;
    record.meta.stream = stream;
    record.meta.type = "thing_happened";
    record.payload = "{\"i\":" + std::to_string(first + i) + "}";
    batch.records.push_back(record);
  }
  return batch;
}

// Appends `count` records over `streams` streams (so over the partitions).
void AppendMany(EventLog& log, int count, int streams = 7) {
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(log.Append(Batch("s" + std::to_string(i % streams), 1, i)).ok());
  }
}

std::vector<Position> At(const EventLog& log, int64_t offset) {
  std::vector<Position> start;
  for (int32_t p = 0; p < log.Partitions(); ++p) start.push_back({p, offset});
  return start;
}

// What a reader returned: per partition, the offsets in the order they came, and the payloads.
struct Seen {
  std::map<int32_t, std::vector<int64_t>> offsets;
  std::map<Position, std::string> payloads;
  size_t count = 0;

  void Add(const std::vector<StoredRecord>& records) {
    for (const auto& r : records) {
      offsets[r.position.partition].push_back(r.position.offset);
      payloads[r.position] = r.record.payload;
      ++count;
    }
  }
};

// Polls `reader` until it has `want` records (or 5 s pass).
Seen Drain(LogReader& reader, size_t want, size_t max = 16) {
  Seen seen;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (seen.count < want && std::chrono::steady_clock::now() < deadline) {
    auto polled = reader.Poll(max, 20ms);
    if (polled.ok()) seen.Add(*polled);
  }
  return seen;
}

std::vector<int64_t> Ends(EventLog& log) {
  auto ends = log.EndOffsets();
  EXPECT_TRUE(ends.ok());
  return ends.ok() ? *ends : std::vector<int64_t>{};
}

// Every record of the log from `from[p]` on, per partition, dense, in order, each payload
// right.
void ExpectExactly(const Seen& seen, EventLog& log, const std::vector<int64_t>& from) {
  auto ends = log.EndOffsets();
  ASSERT_TRUE(ends.ok());
  auto truth = log.OpenReader(At(log, 0));
  ASSERT_TRUE(truth.ok());
  Seen all = Drain(**truth, static_cast<size_t>(std::accumulate(ends->begin(), ends->end(), 0L)));
  for (int32_t p = 0; p < log.Partitions(); ++p) {
    std::vector<int64_t> want;
    for (int64_t o = from[static_cast<size_t>(p)]; o < (*ends)[static_cast<size_t>(p)]; ++o) {
      want.push_back(o);
    }
    auto it = seen.offsets.find(p);
    EXPECT_EQ(it == seen.offsets.end() ? std::vector<int64_t>{} : it->second, want)
        << "partition " << p;
  }
  for (const auto& [position, payload] : seen.payloads) {
    EXPECT_EQ(payload, all.payloads[position]);
  }
}

std::vector<Position> Positions(const std::vector<int64_t>& offsets) {
  std::vector<Position> at;
  for (size_t p = 0; p < offsets.size(); ++p) at.push_back({static_cast<int32_t>(p), offsets[p]});
  return at;
}

std::vector<int64_t> Zero(const EventLog& log) {
  return std::vector<int64_t>(static_cast<size_t>(log.Partitions()), 0);
}

TEST(SharedTailLog, ReadersAtTheHeadShareOnePollOfTheLog) {
  InMemoryEventLog inner(4);
  SharedTailLog log(inner);
  std::vector<std::unique_ptr<LogReader>> readers;
  for (int i = 0; i < 5; ++i) readers.push_back(std::move(*log.OpenReader(At(log, 0))));
  AppendMany(log, 40);
  for (auto& reader : readers) ExpectExactly(Drain(*reader, 40), inner, Zero(inner));

  // All five now stand at the head, inside the window: one poll of the log serves them all.
  const auto before = log.Stats();
  AppendMany(log, 30);
  for (auto& reader : readers) {
    auto polled = reader->Poll(100, 0ms);
    ASSERT_TRUE(polled.ok());
    EXPECT_EQ(polled->size(), 30u);
  }
  const auto after = log.Stats();
  EXPECT_EQ(after.shared_polls - before.shared_polls, 1u);
  EXPECT_EQ(after.private_polls, before.private_polls);
  EXPECT_EQ(after.own_readers, before.own_readers);
  auto ends = inner.EndOffsets();
  for (auto& reader : readers) {
    for (int32_t p = 0; p < 4; ++p) {
      EXPECT_EQ(reader->NextOffset(p), (*ends)[static_cast<size_t>(p)]);
    }
  }
}

TEST(SharedTailLog, AReaderBehindTheWindowReadsOnItsOwnAndRejoins) {
  InMemoryEventLog inner(2);
  SharedTailLog log(inner, SharedTailOptions{.batch = 8, .window = 10});
  auto fast = std::move(*log.OpenReader(At(log, 0)));
  auto slow = std::move(*log.OpenReader(At(log, 0)));
  AppendMany(log, 5);
  ExpectExactly(Drain(*fast, 5), inner, Zero(inner));
  ExpectExactly(Drain(*slow, 5), inner, Zero(inner));  // both attached now
  const auto after_five = Ends(inner);
  AppendMany(log, 100);
  ExpectExactly(Drain(*fast, 100), inner, after_five);  // the window moves past `slow`
  const auto before = log.Stats();
  Seen rest = Drain(*slow, 100, 7);
  ExpectExactly(rest, inner, after_five);
  EXPECT_EQ(log.Stats().own_readers, before.own_readers + 1);
  EXPECT_GT(log.Stats().private_polls, before.private_polls);

  // Back at the head, `slow` takes its records from the window again.
  const auto rejoined = log.Stats();
  AppendMany(log, 6);
  EXPECT_EQ(Drain(*fast, 6).count, 6u);
  EXPECT_EQ(Drain(*slow, 6).count, 6u);
  EXPECT_EQ(log.Stats().private_polls, rejoined.private_polls);
  EXPECT_EQ(log.Stats().own_readers, rejoined.own_readers);
}

TEST(SharedTailLog, AReaderFarBehindDoesNotBecomeTheSharedReader) {
  InMemoryEventLog inner(2);
  SharedTailLog log(inner, SharedTailOptions{.batch = 8, .window = 10});
  AppendMany(log, 200);
  auto behind = std::move(*log.OpenReader(At(log, 0)));
  auto polled = behind->Poll(4, 0ms);  // reads on its own, 196 records from the end
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->size(), 4u);
  const int64_t behind_at[] = {behind->NextOffset(0), behind->NextOffset(1)};
  auto head = std::move(*log.OpenReader(Positions(Ends(inner))));
  EXPECT_TRUE(head->Poll(10, 0ms)->empty());  // at the end: it becomes the shared reader
  AppendMany(log, 3);
  const auto before = log.Stats();
  EXPECT_EQ(Drain(*head, 3).count, 3u);
  EXPECT_EQ(log.Stats().shared_polls - before.shared_polls, 1u);  // no walk through old records
  ExpectExactly(Drain(*behind, 199, 50), inner, {behind_at[0], behind_at[1]});
}

TEST(SharedTailLog, ReadersStartingAtDifferentPositionsEachGetTheirOwnSuffix) {
  InMemoryEventLog inner(3);
  SharedTailLog log(inner);
  AppendMany(log, 60);
  auto ends = *inner.EndOffsets();
  std::vector<Position> at_end;
  for (int32_t p = 0; p < 3; ++p) at_end.push_back({p, ends[static_cast<size_t>(p)]});
  auto late = std::move(*log.OpenReader(at_end));
  auto early = std::move(*log.OpenReader(At(log, 0)));
  auto middle = std::move(*log.OpenReader(At(log, 5)));
  AppendMany(log, 9);
  Seen from_end = Drain(*late, 9);
  EXPECT_EQ(from_end.count, 9u);
  for (const auto& [p, offsets] : from_end.offsets) {
    EXPECT_GE(offsets.front(), ends[static_cast<size_t>(p)]);
  }
  ExpectExactly(Drain(*early, 69), inner, Zero(inner));
  ExpectExactly(Drain(*middle, 69 - 15), inner, std::vector<int64_t>(3, 5));
}

TEST(SharedTailLog, AFailedPollIsReturnedAndNothingIsLostOrRepeated) {
  InMemoryEventLog inner(2);
  SharedTailLog log(inner);
  auto a = std::move(*log.OpenReader(At(log, 0)));
  auto b = std::move(*log.OpenReader(At(log, 0)));
  AppendMany(log, 10);
  Seen seen_a = Drain(*a, 10);
  Seen seen_b = Drain(*b, 10);
  AppendMany(log, 10);
  inner.FailNextCalls(1);
  auto failed = a->Poll(100, 0ms);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, core::ErrorCode::kUnavailable);
  for (auto [reader, seen] : {std::pair{a.get(), &seen_a}, std::pair{b.get(), &seen_b}}) {
    Seen rest = Drain(*reader, 10);
    for (const auto& [p, offsets] : rest.offsets) {
      for (auto offset : offsets) seen->offsets[p].push_back(offset);
    }
    seen->payloads.insert(rest.payloads.begin(), rest.payloads.end());
    seen->count += rest.count;
    EXPECT_EQ(seen->count, 20u);
    ExpectExactly(*seen, inner, Zero(inner));
  }
}

TEST(SharedTailLog, AReaderOfSomePartitionsGetsAReaderOfItsOwn) {
  InMemoryEventLog inner(3);
  SharedTailLog log(inner);
  AppendMany(log, 30);
  auto reader = log.OpenReader({{1, 0}});
  ASSERT_TRUE(reader.ok());
  auto ends = *inner.EndOffsets();
  Seen seen = Drain(**reader, static_cast<size_t>(ends[1]));
  EXPECT_EQ(seen.offsets.size(), 1u);
  EXPECT_EQ(seen.count, static_cast<size_t>(ends[1]));
  EXPECT_EQ((*reader)->NextOffset(0), -1);
  EXPECT_EQ(log.Stats().shared_polls, 0u);
}

TEST(SharedTailLog, ConcurrentReadersEachSeeEveryRecordOnceInOrder) {
  InMemoryEventLog inner(4);
  // A small window, so that readers fall behind it and rejoin while the writer runs.
  SharedTailLog log(inner, SharedTailOptions{.batch = 16, .window = 48});
  constexpr int kReaders = 6;
  constexpr int kRecords = 3000;
  std::vector<Seen> seen(kReaders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) {
    auto reader = std::move(*log.OpenReader(At(log, 0)));
    threads.emplace_back([&, i, r = std::move(reader)]() mutable {
      auto deadline = std::chrono::steady_clock::now() + 20s;
      while (seen[i].count < kRecords && std::chrono::steady_clock::now() < deadline) {
        auto polled = r->Poll(static_cast<size_t>(1 + i * 5), std::chrono::milliseconds(i));
        if (polled.ok()) seen[i].Add(*polled);
        if (i == kReaders - 1) std::this_thread::sleep_for(100us);  // a slow one
      }
    });
  }
  std::thread writer([&] { AppendMany(log, kRecords, 13); });
  writer.join();
  for (auto& t : threads) t.join();
  for (int i = 0; i < kReaders; ++i) {
    SCOPED_TRACE("reader " + std::to_string(i));
    EXPECT_EQ(seen[i].count, static_cast<size_t>(kRecords));
    ExpectExactly(seen[i], inner, Zero(inner));
  }
  const auto stats = log.Stats();
  EXPECT_GT(stats.shared_polls, 0u);
}

}  // namespace
}  // namespace filament::events
