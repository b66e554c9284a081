#include "commands/partition_writers.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "events/testing/in_memory_event_log.hpp"
#include "events/testing/log_records.hpp"

namespace filament::commands {
namespace {

using namespace std::chrono_literals;
using events::testing::OneRecordBatch;

// The in-memory log with ownership: every acquire succeeds with the next epoch.
class OwnedLog final : public events::EventLog {
 public:
  int32_t Partitions() const override { return log.Partitions(); }
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& b) override {
    return log.Append(b);
  }
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& start) override {
    return log.OpenReader(start);
  }
  core::Result<std::vector<int64_t>> EndOffsets() override { return log.EndOffsets(); }
  core::Result<int64_t> AcquirePartition(int32_t partition) override {
    if (partition < 0 || partition >= Partitions()) return core::InvalidArgument("partition");
    return ++epoch;
  }
  events::testing::InMemoryEventLog log{4};
  std::atomic<int64_t> epoch{0};
};

// A follow callback the test can hold: records wait until it is opened.
class Gate {
 public:
  core::Status Follow(const events::StoredRecord& r) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
    folded.push_back(r.position);
    return core::OkStatus();
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::vector<events::Position> folded;  // read after Open() and a wait

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(PartitionWriters, OwningWaitsUntilTheFollowerFoldedThePartitionToItsEnd) {
  OwnedLog log;
  const std::string stream = "guild:01HGATE";
  const int32_t p = events::PartitionFor(stream, 4);
  for (int64_t v = 0; v < 3; ++v) ASSERT_TRUE(log.Append(OneRecordBatch(stream, v)).ok());
  Gate gate;
  PartitionWriters writers(
      log, [&](const events::StoredRecord& r) { return gate.Follow(r); },
      [](const std::string&) {});
  ASSERT_TRUE(writers.Start({0, 0, 0, 0}).ok());
  auto owned = std::async(std::launch::async, [&] { return writers.EnsureOwned(p); });
  // The acquire is done, but the three records before the end are not folded: not owned yet.
  EXPECT_EQ(owned.wait_for(300ms), std::future_status::timeout);
  EXPECT_FALSE(writers.Owns(p));
  gate.Open();
  ASSERT_TRUE(owned.get().ok());
  EXPECT_TRUE(writers.Owns(p));
  EXPECT_EQ(log.epoch.load(), 1);
  EXPECT_EQ(writers.Acquisitions(), 1);
  // Owned partitions are not acquired again; a loss makes the next command acquire.
  ASSERT_TRUE(writers.EnsureOwned(p).ok());
  EXPECT_EQ(log.epoch.load(), 1);
  writers.Lost(p);
  EXPECT_FALSE(writers.Owns(p));
  ASSERT_TRUE(writers.EnsureOwned(p).ok());
  EXPECT_EQ(log.epoch.load(), 2);
  EXPECT_EQ(writers.Losses(), 1);
  EXPECT_EQ(writers.OwnedCount(), 1);
}

TEST(PartitionWriters, AFollowerThatCannotFoldARecordFailsEveryOwnershipWait) {
  OwnedLog log;
  ASSERT_TRUE(log.Append(OneRecordBatch("guild:01HBAD", 0)).ok());
  PartitionWriters writers(
      log, [](const events::StoredRecord&) { return core::Status(core::Internal("corrupt")); },
      [](const std::string&) {}, 2s);
  ASSERT_TRUE(writers.Start({0, 0, 0, 0}).ok());
  auto owned = writers.EnsureOwned(events::PartitionFor("guild:01HBAD", 4));
  ASSERT_FALSE(owned.ok());
  EXPECT_EQ(owned.error().code, core::ErrorCode::kUnavailable);
  EXPECT_NE(owned.error().message.find("corrupt"), std::string::npos);
}

TEST(PartitionWriters, CatchUpTimesOutWhenTheFollowerIsBehind) {
  OwnedLog log;
  ASSERT_TRUE(log.Append(OneRecordBatch("guild:01HSLOW", 0)).ok());
  Gate gate;  // never opened until the end
  PartitionWriters writers(
      log, [&](const events::StoredRecord& r) { return gate.Follow(r); }, [](const std::string&) {},
      300ms);
  ASSERT_TRUE(writers.Start({0, 0, 0, 0}).ok());
  auto caught = writers.CatchUp(events::PartitionFor("guild:01HSLOW", 4));
  ASSERT_FALSE(caught.ok());
  EXPECT_EQ(caught.error().code, core::ErrorCode::kUnavailable);
  EXPECT_EQ(writers.EnsureOwned(9).error().code, core::ErrorCode::kInvalidArgument);
  gate.Open();
}

}  // namespace
}  // namespace filament::commands
