// Kafka-specific behaviour of KafkaEventLog against librdkafka's mock cluster. The behaviour
// shared with the PostgreSQL log is tested by tests/integration/event_log_contract.cpp through
// kafka_log_harness.cpp.
#include "adapters/kafka/kafka_event_log.hpp"

#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "adapters/kafka/mock_cluster.hpp"

namespace filament::adapters {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

events::LogRecord Record(const std::string& stream, int64_t version, std::string type = "t") {
  events::LogRecord r;
  r.meta.event_id = "01HZX3F4G5H6J7K8M9N0P1Q2" + std::to_string(10 + version % 90);
  r.meta.type = std::move(type);
  r.meta.stream = stream;
  r.meta.stream_version = version;
  r.meta.time_unix_ms = 1714566896789 + version;
  r.meta.actor_user_id = "01HZX3F4G5H6J7K8M9N0P1Q2AA";
  r.meta.correlation_id = "req-" + std::to_string(version);
  r.meta.causation_id = "cmd-" + std::to_string(version);
  r.payload = R"({"n":)" + std::to_string(version) + "}";
  return r;
}

events::AppendBatch Batch(const std::string& stream, int64_t expected, int count) {
  events::AppendBatch b{stream, expected, {}};
  for (int i = 0; i < count; ++i) b.records.push_back(Record(stream, expected + i + 1));
  return b;
}

// Reads until `count` records arrived or 5 s passed.
std::vector<events::StoredRecord> ReadN(events::LogReader& reader, size_t count) {
  std::vector<events::StoredRecord> out;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (out.size() < count && Clock::now() < deadline) {
    auto got = reader.Poll(count - out.size(), milliseconds(100));
    EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
    if (!got.ok()) break;
    for (auto& r : *got) out.push_back(std::move(r));
  }
  return out;
}

// One mock cluster per suite (tearing one down costs librdkafka a second); one topic per test.
class KafkaEventLogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cluster = MockCluster::Start(3, "filament.events", 4);
    FILAMENT_CHECK(cluster.ok());
    shared_cluster_ = std::move(*cluster).release();
  }
  static void TearDownTestSuite() { delete shared_cluster_; }

  void SetUp() override {
    topic_ = std::string("test.") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(shared_cluster_->CreateTopic(topic_, 4).ok());
    log_ = OpenLog(*shared_cluster_);
  }
  std::unique_ptr<KafkaEventLog> OpenLog(MockCluster& cluster, int delivery_timeout_ms = 3000) {
    auto log = KafkaEventLog::Open({cluster.Bootstraps(), topic_, 4, delivery_timeout_ms});
    EXPECT_TRUE(log.ok()) << log.error().message;
    return log.ok() ? std::move(*log) : nullptr;
  }
  std::unique_ptr<KafkaEventLog> OpenLog() { return OpenLog(*shared_cluster_); }
  // A cluster of the test's own, for tests that break it.
  std::unique_ptr<MockCluster> PrivateCluster() {
    auto cluster = MockCluster::Start(3, topic_, 4);
    EXPECT_TRUE(cluster.ok());
    return std::move(*cluster);
  }

  static inline MockCluster* shared_cluster_ = nullptr;
  std::string topic_;
  std::unique_ptr<KafkaEventLog> log_;
};

TEST_F(KafkaEventLogTest, AppendThenReadRoundTripsRecordsAndMetadata) {
  auto batch = Batch("guild:A", 0, 3);
  auto positions = log_->Append(batch);
  ASSERT_TRUE(positions.ok()) << positions.error().message;
  ASSERT_EQ(positions->size(), 3u);
  int32_t p = events::PartitionFor("guild:A", 4);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*positions)[i], (events::Position{p, int64_t(i)}));
  auto reader = log_->OpenReader({{p, 0}});
  ASSERT_TRUE(reader.ok());
  auto read = ReadN(**reader, 3);
  ASSERT_EQ(read.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(read[i].position, (*positions)[i]);
    EXPECT_EQ(read[i].record, batch.records[i]);
    EXPECT_FALSE(read[i].decode_error.has_value());
  }
}

TEST_F(KafkaEventLogTest, PartitionIsPartitionForOfTheStream) {
  for (int i = 0; i < 40; ++i) {
    std::string stream = "user:" + std::to_string(i);
    auto positions = log_->Append(Batch(stream, 0, 1));
    ASSERT_TRUE(positions.ok());
    EXPECT_EQ((*positions)[0].partition, events::PartitionFor(stream, 4)) << stream;
  }
}

TEST_F(KafkaEventLogTest, WrongExpectedVersionIsAbortedAndWritesNothing) {
  ASSERT_TRUE(log_->Append(Batch("guild:A", 0, 2)).ok());
  auto before = log_->EndOffsets();
  auto stale = log_->Append(Batch("guild:A", 1, 1));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, core::ErrorCode::kAborted);
  auto fresh = log_->Append(Batch("guild:A", 0, 1));
  EXPECT_EQ(fresh.error().code, core::ErrorCode::kAborted);
  EXPECT_EQ(*log_->EndOffsets(), *before);
  EXPECT_TRUE(log_->Append(Batch("guild:A", 2, 1)).ok());
}

TEST_F(KafkaEventLogTest, ReopenedLogLearnsStreamVersionsFromTheTopic) {
  ASSERT_TRUE(log_->Append(Batch("guild:A", 0, 2)).ok());
  ASSERT_TRUE(log_->Append(Batch("guild:B", 0, 1)).ok());
  log_.reset();
  auto reopened = OpenLog();
  EXPECT_EQ(reopened->Append(Batch("guild:A", 0, 1)).error().code, core::ErrorCode::kAborted);
  EXPECT_TRUE(reopened->Append(Batch("guild:A", 2, 1)).ok());
  EXPECT_TRUE(reopened->Append(Batch("guild:B", 1, 1)).ok());
}

TEST_F(KafkaEventLogTest, AnyVersionStampsTheNextVersions) {
  ASSERT_TRUE(log_->Append(Batch("guild:A", 0, 2)).ok());
  events::AppendBatch any{"guild:A", events::AppendBatch::kAnyVersion, {Record("guild:A", 99)}};
  auto positions = log_->Append(any);
  ASSERT_TRUE(positions.ok());
  auto reader = log_->OpenReader({(*positions)[0]});
  auto read = ReadN(**reader, 1);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].record.meta.stream_version, 3);
  EXPECT_TRUE(log_->Append(Batch("guild:A", 3, 1)).ok());
}

TEST_F(KafkaEventLogTest, InconsistentBatchesAreInvalid) {
  EXPECT_EQ(log_->Append({"guild:A", 0, {}}).error().code, core::ErrorCode::kInvalidArgument);
  auto wrong_stream = Batch("guild:A", 0, 1);
  wrong_stream.records[0].meta.stream = "guild:B";
  EXPECT_EQ(log_->Append(wrong_stream).error().code, core::ErrorCode::kInvalidArgument);
  auto wrong_version = Batch("guild:A", 0, 1);
  wrong_version.records[0].meta.stream_version = 5;
  EXPECT_EQ(log_->Append(wrong_version).error().code, core::ErrorCode::kInvalidArgument);
  auto huge = Batch("guild:A", 0, 1);
  huge.records[0].payload.assign(2 << 20, 'x');
  EXPECT_EQ(log_->Append(huge).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(log_->Append(Batch("guild:A", 0, 1)).ok());  // nothing above touched the stream
}

TEST_F(KafkaEventLogTest, ReaderStartsAtTheGivenOffset) {
  auto positions = log_->Append(Batch("guild:A", 0, 5));
  ASSERT_TRUE(positions.ok());
  auto reader = log_->OpenReader({(*positions)[2]});
  ASSERT_TRUE(reader.ok());
  auto read = ReadN(**reader, 3);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].position, (*positions)[2]);
  EXPECT_EQ(read[2].record.meta.stream_version, 5);
  auto more = (*reader)->Poll(10, milliseconds(50));  // partition EOF is just "nothing new"
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
}

TEST_F(KafkaEventLogTest, ReaderSeesLaterAppends) {
  int32_t p = events::PartitionFor("guild:A", 4);
  auto reader = log_->OpenReader({{p, 0}});
  ASSERT_TRUE(reader.ok());
  auto none = (*reader)->Poll(10, milliseconds(20));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(log_->Append(Batch("guild:A", 0, 2)).ok());
  EXPECT_EQ(ReadN(**reader, 2).size(), 2u);
}

TEST_F(KafkaEventLogTest, EndOffsetsCountRecordsPerPartition) {
  ASSERT_TRUE(log_->Append(Batch("guild:A", 0, 3)).ok());
  auto ends = log_->EndOffsets();
  ASSERT_TRUE(ends.ok());
  ASSERT_EQ(ends->size(), 4u);
  for (int32_t p = 0; p < 4; ++p) {
    EXPECT_EQ((*ends)[p], p == events::PartitionFor("guild:A", 4) ? 3 : 0);
  }
}

TEST_F(KafkaEventLogTest, OpenReaderRejectsBadPositions) {
  EXPECT_EQ(log_->OpenReader({{4, 0}}).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(log_->OpenReader({{0, -1}}).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(log_->OpenReader({{0, 0}, {0, 1}}).error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(KafkaEventLogTest, ConcurrentAppendsFromManyThreadsAllLand) {
  constexpr int kThreads = 8, kBatches = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        // Two threads share each stream, so same-stream batches also race.
        std::string stream = "guild:" + std::to_string(t / 2);
        auto r = log_->Append(
            {stream, events::AppendBatch::kAnyVersion, {Record(stream, 1), Record(stream, 2)}});
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto ends = log_->EndOffsets();
  int64_t total = 0;
  for (int64_t e : *ends) total += e;
  EXPECT_EQ(total, kThreads * kBatches * 2);
  EXPECT_TRUE(log_->Append(Batch("guild:0", 2 * kBatches * 2, 1)).ok());
}

TEST_F(KafkaEventLogTest, BrokersDownGiveUnavailableWithinTheDeliveryTimeout) {
  auto cluster = PrivateCluster();
  auto log = OpenLog(*cluster, /*delivery_timeout_ms=*/1500);
  ASSERT_TRUE(cluster->SetAllBrokersDown(true).ok());
  auto start = Clock::now();
  auto result = log->Append(Batch("guild:A", 0, 1));
  auto took = Clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kUnavailable);
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST_F(KafkaEventLogTest, DestroyedClusterGivesUnavailableWithinTheDeliveryTimeout) {
  auto cluster = PrivateCluster();
  auto log = OpenLog(*cluster, /*delivery_timeout_ms=*/1500);
  cluster.reset();
  auto start = Clock::now();
  auto result = log->Append(Batch("guild:A", 0, 1));
  EXPECT_EQ(result.error().code, core::ErrorCode::kUnavailable);
  auto ends = log->EndOffsets();
  EXPECT_EQ(ends.error().code, core::ErrorCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(6));
}

TEST(KafkaEventLogOpen, UnreachableClusterIsUnavailableQuickly) {
  auto start = Clock::now();
  auto log = KafkaEventLog::Open({"127.0.0.1:1", "filament.events", 4, 1000});
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, core::ErrorCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

TEST_F(KafkaEventLogTest, WrongPartitionCountIsAFailedPrecondition) {
  auto log = KafkaEventLog::Open({shared_cluster_->Bootstraps(), topic_, 8, 2000});
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, core::ErrorCode::kFailedPrecondition);
}

TEST_F(KafkaEventLogTest, MissingTopicIsAutoCreatedByTheMock) {
  auto log = KafkaEventLog::Open({shared_cluster_->Bootstraps(), "fresh.topic", 4, 2000});
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_TRUE((*log)->Append(Batch("guild:A", 0, 1)).ok());
}

}  // namespace
}  // namespace filament::adapters
