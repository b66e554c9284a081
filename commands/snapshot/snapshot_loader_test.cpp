#include "commands/snapshot/snapshot_loader.hpp"

#include <gtest/gtest.h>

#include "commands/snapshot/snapshot_codec.hpp"
#include "commands/snapshot/snapshot_test_log.hpp"
#include "events/testing/in_memory_event_log.hpp"

namespace filament::commands::snapshot {
namespace {

using snapshot_testing::kPartitions;
using snapshot_testing::Log;

class FakeStore : public SnapshotStore {
 public:
  core::Result<std::vector<Entry>> List() override {
    std::vector<Entry> out;
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) out.push_back(it->entry);
    return out;
  }
  core::Result<std::string> Load(int64_t id) override {
    for (const auto& s : saved_) {
      if (s.entry.id == id) return s.bytes;
    }
    return core::NotFound("gone");
  }
  core::Status Save(std::string_view bytes, const std::vector<int64_t>& ends, int) override {
    saved_.push_back({{next_id_++, ends, static_cast<int64_t>(bytes.size())}, std::string(bytes)});
    return core::OkStatus();
  }

 private:
  struct Saved {
    Entry entry;
    std::string bytes;
  };
  std::vector<Saved> saved_;
  int64_t next_id_ = 1;
};

class SnapshotLoader : public ::testing::Test {
 protected:
  // The first `count` records of `log` appended to `memory`.
  static void AppendTo(events::testing::InMemoryEventLog& memory, const Log& log, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      const auto& r = log.records()[i].record;
      auto appended = memory.Append({r.meta.stream, r.meta.stream_version - 1, {r}});
      ASSERT_TRUE(appended.ok()) << appended.error().message;
      ASSERT_EQ(appended->front(), log.records()[i].position);
    }
  }

  // Loads the newest valid snapshot of `store`, folds the tail of `memory`, and returns the
  // encoding (equal encodings = equal folds).
  std::string Resume(events::testing::InMemoryEventLog& memory, FakeStore& store) {
    auto ends = memory.EndOffsets();
    EXPECT_TRUE(ends.ok());
    auto fold = LoadNewestSnapshot(&store, memory, *ends,
                                   [this](const std::string& line) { lines_.push_back(line); });
    loaded_ends_ = fold->ends;
    auto tail = FoldTail(memory, *fold, *ends);
    EXPECT_TRUE(tail.ok()) << tail.error().message;
    return EncodeSnapshot(*fold);
  }

  bool Logged(const std::string& part) const {
    for (const auto& line : lines_) {
      if (line.find(part) != std::string::npos) return true;
    }
    return false;
  }

  Log log_;
  std::vector<std::string> lines_;
  std::vector<int64_t> loaded_ends_;
};

TEST_F(SnapshotLoader, ResumesFromTheNewestValidSnapshotAndSkipsACorruptOne) {
  events::testing::InMemoryEventLog memory(kPartitions);
  AppendTo(memory, log_, log_.records().size());
  const std::string full = EncodeSnapshot(*log_.Fold(0, log_.records().size()));
  FakeStore store;
  EXPECT_EQ(Resume(memory, store), full);  // no snapshot: the whole log
  auto older = log_.Fold(0, 12);
  ASSERT_TRUE(store.Save(EncodeSnapshot(*older), older->ends, 2).ok());
  auto newer = log_.Fold(0, 20);
  std::string corrupt = EncodeSnapshot(*newer);
  corrupt[corrupt.size() / 2] ^= 0x20;
  ASSERT_TRUE(store.Save(corrupt, newer->ends, 2).ok());
  EXPECT_EQ(Resume(memory, store), full);
  EXPECT_EQ(loaded_ends_, older->ends);
  EXPECT_TRUE(Logged("ignoring snapshot 2: snapshot corrupt: CRC-32C does not match"));
  EXPECT_TRUE(Logged("loaded snapshot 1"));
}

TEST_F(SnapshotLoader, IgnoresSnapshotsOfAnotherLogOrFormat) {
  events::testing::InMemoryEventLog memory(kPartitions);
  AppendTo(memory, log_, 15);
  FakeStore store;
  auto beyond = log_.Fold(0, log_.records().size());  // longer than this log
  ASSERT_TRUE(store.Save(EncodeSnapshot(*beyond), beyond->ends, 2).ok());
  auto other = Log('X').Fold(0, 10);  // same length and streams, other event ids
  ASSERT_TRUE(store.Save(EncodeSnapshot(*other), other->ends, 2).ok());
  auto old = log_.Fold(0, 10);
  std::string old_bytes = EncodeSnapshot(*old);
  old_bytes[8] = static_cast<char>(kSnapshotFormatVersion + 1);
  ASSERT_TRUE(store.Save(old_bytes, old->ends, 2).ok());
  EXPECT_EQ(Resume(memory, store), EncodeSnapshot(*log_.Fold(0, 15)));
  EXPECT_EQ(loaded_ends_, std::vector<int64_t>(kPartitions, 0));  // folded from 0
  EXPECT_TRUE(Logged("ignoring snapshot 3: snapshot format version"));
  EXPECT_TRUE(Logged("ignoring snapshot 2: partition"));
  EXPECT_TRUE(Logged("ignoring snapshot 1: snapshot beyond the end of partition"));
}

// A snapshot written by the previous format (version 3: guild bodies not last) must not be
// misread by this one: it is ignored by its version and the log is folded from 0, to the same
// state as a fold without any snapshot.
TEST_F(SnapshotLoader, ASnapshotOfThePreviousFormatIsIgnoredAndTheLogFolded) {
  events::testing::InMemoryEventLog memory(kPartitions);
  AppendTo(memory, log_, log_.records().size());
  const std::string full = EncodeSnapshot(*log_.Fold(0, log_.records().size()));
  FakeStore store;
  auto old = log_.Fold(0, 20);
  std::string old_bytes = EncodeSnapshot(*old);
  ASSERT_EQ(kSnapshotFormatVersion, 4u);
  old_bytes[8] = static_cast<char>(kSnapshotFormatVersion - 1);
  ASSERT_TRUE(store.Save(old_bytes, old->ends, 2).ok());
  EXPECT_EQ(Resume(memory, store), full);
  EXPECT_EQ(loaded_ends_, std::vector<int64_t>(kPartitions, 0));
  EXPECT_TRUE(Logged("ignoring snapshot 1: snapshot format version 3, this build reads 4"));
}

}  // namespace
}  // namespace filament::commands::snapshot
