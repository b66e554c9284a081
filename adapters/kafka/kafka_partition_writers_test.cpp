// Partition writers of KafkaEventLog on the mock (ADR 0082). The mock does not fence a second
// transactional producer (kafka_fencing_probe_test.cpp), so the zombie test makes the mock
// answer the zombie's next request with the error a real broker gives a fenced producer.
#include <chrono>
#include <set>

#include <gtest/gtest.h>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/mock_cluster.hpp"
#include "events/testing/log_records.hpp"

namespace filament::adapters {
namespace {

using events::AppendBatch;
using events::WriterMode;
using events::testing::IsFenced;
using events::testing::OneRecordBatch;
using std::chrono::milliseconds;

constexpr int16_t kProduceApi = 0;
constexpr int kInvalidProducerEpoch = 47;  // what a broker answers a fenced producer's Produce

class KafkaPartitionWritersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = MockCluster::Start(1, "filament.events", 4);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster).release();
  }
  static void TearDownTestSuite() { delete cluster_; }

  void SetUp() override {
    static int n = 0;
    topic_ = "writers." + std::to_string(n++);
    ASSERT_TRUE(cluster_->CreateTopic(topic_, 4).ok());
  }

  std::unique_ptr<KafkaEventLog> Open(WriterMode mode) {
    KafkaLogOptions options{cluster_->Bootstraps(), topic_, 4, 5000};
    options.writer_mode = mode;
    auto log = KafkaEventLog::Open(options);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return log.ok() ? std::move(*log) : nullptr;
  }

  // Every record of `stream` in its partition, in offset order.
  std::vector<events::StoredRecord> Read(events::EventLog& log, const std::string& stream,
                                         size_t expected) {
    int32_t p = events::PartitionFor(stream, 4);
    auto reader = log.OpenReader({{p, 0}});
    EXPECT_TRUE(reader.ok());
    std::vector<events::StoredRecord> out;
    for (int i = 0; i < 30 && reader.ok(); ++i) {
      auto got = (*reader)->Poll(100, milliseconds(100));
      if (!got.ok()) continue;
      out.insert(out.end(), got->begin(), got->end());
      if (out.size() >= expected && got->empty()) break;
    }
    return out;
  }

  static MockCluster* cluster_;
  std::string topic_;
};

MockCluster* KafkaPartitionWritersTest::cluster_ = nullptr;

TEST_F(KafkaPartitionWritersTest, SingleWriterHandlesCannotAcquire) {
  auto log = Open(WriterMode::kSingle);
  ASSERT_NE(log, nullptr);
  auto acquired = log->AcquirePartition(0);
  ASSERT_FALSE(acquired.ok());
  EXPECT_EQ(acquired.error().code, core::ErrorCode::kFailedPrecondition);
}

TEST_F(KafkaPartitionWritersTest, FencedHandleAppendsOnlyToAcquiredPartitions) {
  auto log = Open(WriterMode::kFenced);
  ASSERT_NE(log, nullptr);
  const std::string stream = "guild:01HOWNED";
  EXPECT_TRUE(IsFenced(log->Append(OneRecordBatch(stream, 0))));
  EXPECT_EQ(log->AcquirePartition(4).error().code, core::ErrorCode::kInvalidArgument);
  auto epoch = log->AcquirePartition(events::PartitionFor(stream, 4));
  ASSERT_TRUE(epoch.ok()) << epoch.error().message;
  EXPECT_EQ(*epoch, 1);
  auto first = log->Append(OneRecordBatch(stream, 0));
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = log->Append(OneRecordBatch(stream, AppendBatch::kAnyVersion));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(log->Append(OneRecordBatch(stream, 0)).error().code, core::ErrorCode::kAborted);
  std::vector<events::StoredRecord> read = Read(*log, stream, 2);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].record.meta.stream_version, 1);
  EXPECT_EQ(read[1].record.meta.stream_version, 2);
  EXPECT_EQ(read[1].position, (*second)[0]);
}

// The new owner was opened before the old one wrote: acquiring re-reads the partition, so it
// continues at the right version instead of forking the stream.
TEST_F(KafkaPartitionWritersTest, AcquireLearnsWhatThePreviousOwnerWrote) {
  auto next_owner = Open(WriterMode::kFenced);
  auto old_owner = Open(WriterMode::kFenced);
  ASSERT_TRUE(next_owner && old_owner);
  const std::string stream = "guild:01HRELEARN";
  const int32_t p = events::PartitionFor(stream, 4);
  ASSERT_TRUE(old_owner->AcquirePartition(p).ok());
  ASSERT_TRUE(old_owner->Append(OneRecordBatch(stream, 0)).ok());
  ASSERT_TRUE(old_owner->Append(OneRecordBatch(stream, 1)).ok());
  ASSERT_TRUE(next_owner->AcquirePartition(p).ok());
  EXPECT_EQ(next_owner->Append(OneRecordBatch(stream, 0)).error().code, core::ErrorCode::kAborted);
  EXPECT_TRUE(next_owner->Append(OneRecordBatch(stream, 2)).ok());
}

// The zombie's next produce is answered as a real broker answers a fenced producer (the mock
// does not fence by itself): its append fails as fenced, nothing of it is in the log, every
// later append of it is refused without reaching the broker, and the new owner's versions
// continue without a fork.
TEST_F(KafkaPartitionWritersTest, ZombieFencedByTheBrokerNeverAppendsAgain) {
  auto zombie = Open(WriterMode::kFenced);
  auto owner = Open(WriterMode::kFenced);
  ASSERT_TRUE(zombie && owner);
  const std::string stream = "guild:01HZOMBIE";
  const int32_t p = events::PartitionFor(stream, 4);
  ASSERT_TRUE(zombie->AcquirePartition(p).ok());
  ASSERT_TRUE(zombie->Append(OneRecordBatch(stream, 0)).ok());
  ASSERT_TRUE(owner->AcquirePartition(p).ok());
  cluster_->PushRequestErrors(kProduceApi, {kInvalidProducerEpoch});
  std::set<std::string> zombie_ids;
  for (int64_t expected : {int64_t{1}, int64_t{1}, AppendBatch::kAnyVersion}) {
    AppendBatch b = OneRecordBatch(stream, expected);
    zombie_ids.insert(b.records[0].meta.event_id);
    auto r = zombie->Append(b);
    EXPECT_TRUE(IsFenced(r)) << (r.ok() ? "appended" : r.error().message);
  }
  ASSERT_TRUE(owner->Append(OneRecordBatch(stream, 1)).ok());
  ASSERT_TRUE(owner->Append(OneRecordBatch(stream, 2)).ok());
  std::vector<events::StoredRecord> read = Read(*owner, stream, 3);
  ASSERT_EQ(read.size(), 3u);
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].record.meta.stream_version, static_cast<int64_t>(i) + 1);
    EXPECT_FALSE(zombie_ids.contains(read[i].record.meta.event_id));
  }
}

}  // namespace
}  // namespace filament::adapters
