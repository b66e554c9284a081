// Readers in the appending process take acknowledged records from the local tail (ADR 0072):
// they return them without waiting for the mock's fetch timer, and what they return equals
// what a fetching reader in another process decodes.
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/kafka_log_reader.hpp"
#include "adapters/kafka/mock_cluster.hpp"

namespace filament::adapters {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

events::AppendBatch Batch(const std::string& stream, int64_t expected, int count) {
  events::AppendBatch b{stream, expected, {}};
  for (int i = 0; i < count; ++i) {
    events::LogRecord r;
    int64_t version = expected + i + 1;
    r.meta.event_id = "01HZX3F4G5H6J7K8M9N0P1Q2" + std::to_string(10 + version % 90);
    r.meta.type = "message_posted";
    r.meta.stream = stream;
    r.meta.stream_version = version;
    r.meta.time_unix_ms = 1714566896789 + version;
    r.meta.actor_user_id = "01HZX3F4G5H6J7K8M9N0P1Q2AA";
    r.meta.correlation_id = "req-" + std::to_string(version);
    r.meta.causation_id = "cmd-" + std::to_string(version);
    r.payload = R"({"n":)" + std::to_string(version) + "}";
    b.records.push_back(std::move(r));
  }
  return b;
}

std::vector<events::StoredRecord> ReadN(events::LogReader& reader, size_t count) {
  std::vector<events::StoredRecord> out;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (out.size() < count && Clock::now() < deadline) {
    auto got = reader.Poll(count - out.size(), milliseconds(100));
    if (!got.ok()) break;
    for (auto& r : *got) out.push_back(std::move(r));
  }
  return out;
}

class KafkaLocalReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::Start(3, "local.read", 4);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
  }
  std::unique_ptr<MockCluster> cluster_;
};

// The mock holds an empty fetch for fetch.wait.max.ms (3 s here) even when data arrives; a
// reader of the appending process must not wait for it.
TEST_F(KafkaLocalReadTest, AReaderOfTheAppendingProcessIsWokenByTheAppend) {
  KafkaLogOptions options{.brokers = cluster_->Bootstraps(), .topic = "local.read"};
  options.fetch_wait_max_ms = 3000;
  auto log = KafkaEventLog::Open(options);
  ASSERT_TRUE(log.ok()) << log.error().message;
  int32_t p = events::PartitionFor("guild:A", 4);
  auto reader = (*log)->OpenReader({{p, 0}});
  ASSERT_TRUE(reader.ok());
  auto first = (*reader)->Poll(10, milliseconds(300));  // its fetch is now held by the mock
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->empty());
  auto polled =
      std::async(std::launch::async, [&] { return (*reader)->Poll(10, milliseconds(2500)); });
  std::this_thread::sleep_for(milliseconds(100));
  auto appended_at = Clock::now();
  ASSERT_TRUE((*log)->Append(Batch("guild:A", 0, 2)).ok());
  auto got = polled.get();
  auto waited = Clock::now() - appended_at;
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].position, (events::Position{p, 0}));
  EXPECT_LT(waited, milliseconds(1500)) << "the reader waited for the mock's fetch timer";
}

TEST_F(KafkaLocalReadTest, LocalRecordsEqualFetchedRecordsInOrder) {
  auto log = KafkaEventLog::Open({.brokers = cluster_->Bootstraps(), .topic = "local.read"});
  ASSERT_TRUE(log.ok()) << log.error().message;
  int32_t p = events::PartitionFor("guild:A", 4);
  auto local = (*log)->OpenReader({{p, 0}});
  ASSERT_TRUE(local.ok());
  // A reader without the tail: what a reader in another process gets.
  auto fetched = kafka_reader::OpenReader(
      kafka_client::BaseSettings(cluster_->Bootstraps(), milliseconds(5000)), "local.read",
      {{p, 0}});
  ASSERT_TRUE(fetched.ok());
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) EXPECT_TRUE((*log)->Append(Batch("guild:A", i * 3, 3)).ok());
  });
  auto a = ReadN(**local, 60);
  writer.join();
  auto b = ReadN(**fetched, 60);
  ASSERT_EQ(a.size(), 60u);
  ASSERT_EQ(b.size(), 60u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].position, (events::Position{p, static_cast<int64_t>(i)}));
    EXPECT_EQ(a[i].position, b[i].position);
    EXPECT_EQ(a[i].record, b[i].record);
    EXPECT_FALSE(a[i].decode_error.has_value());
  }
  auto more = (*local)->Poll(10, milliseconds(100));  // the fetched copies are not repeated
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
}

// A reader that starts behind the tail's window reads the older records through its fetches
// and continues with the newer ones, with no gap and no repeat.
TEST_F(KafkaLocalReadTest, AReaderBehindTheTailCatchesUpThroughFetches) {
  auto log = KafkaEventLog::Open({.brokers = cluster_->Bootstraps(), .topic = "local.read"});
  ASSERT_TRUE(log.ok()) << log.error().message;
  int32_t p = events::PartitionFor("guild:A", 4);
  ASSERT_TRUE((*log)->Append(Batch("guild:A", 0, 5)).ok());
  auto reopened = KafkaEventLog::Open({.brokers = cluster_->Bootstraps(), .topic = "local.read"});
  ASSERT_TRUE(reopened.ok());  // an empty tail: offsets 0-4 exist only in the topic
  auto reader = (*reopened)->OpenReader({{p, 0}});
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reopened)->Append(Batch("guild:A", 5, 5)).ok());
  auto read = ReadN(**reader, 10);
  ASSERT_EQ(read.size(), 10u);
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].position.offset, static_cast<int64_t>(i));
    EXPECT_EQ(read[i].record.meta.stream_version, static_cast<int64_t>(i) + 1);
  }
}

}  // namespace
}  // namespace filament::adapters
