#pragma once

// Internal to adapters/kafka: KafkaEventLog's state, shared by kafka_event_log.cpp (open, the
// single-writer append, readers) and kafka_owned_partitions.cpp (fenced partition writers,
// ADR 0082). No librdkafka header here (forward declarations from kafka_client.hpp).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "adapters/kafka/kafka_client.hpp"
#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/local_tail.hpp"

namespace filament::adapters {
namespace kafka_log {

// Collects the delivery reports of one Append. Shared between the appending thread and the
// reports, so a report arriving after the appender gave up still has somewhere to go.
struct Delivery {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
  std::vector<events::Position> positions;
  std::vector<bool> delivered;
  bool possibly_persisted = false;  // a failed record may still be in the log
  std::optional<core::Error> error;
  std::shared_ptr<kafka_reader::LocalTail> tail;  // gets every acknowledged record
};

struct DeliverySlot {
  std::shared_ptr<kafka_log::Delivery> delivery;
  size_t index;
};

// librdkafka's delivery-report callback for every producer of the log.
void OnDelivery(rd_kafka_s* rk, const rd_kafka_message_s* m, void* opaque);

// kFailedPrecondition with reason events::kPartitionFencedReason.
core::Error Fenced(std::string message);
bool IsFenced(const core::Status& s);

// The transactional producer of a partition this handle owns (WriterMode::kFenced).
struct OwnedPartition {
  std::mutex mu;                  // one acquire or transaction at a time
  kafka_client::Handle producer;  // null: not owned (never acquired, or lost)
  int64_t acquisitions = 0;
};

}  // namespace kafka_log

struct KafkaEventLog::Impl {
  static constexpr int64_t kMaxRecordBytes = 900 * 1024;  // below message.max.bytes (1 MB)
  static constexpr size_t kTailPerPartition = 2048;       // ~2 s per partition at 1k posts/s

  KafkaLogOptions options;
  kafka_client::Settings settings;
  kafka_client::Settings producer_settings;
  std::chrono::milliseconds query_timeout{5000};
  kafka_client::Handle producer;
  // Watermark queries go through a consumer handle: on the idempotent producer librdkafka
  // retries ListOffsets without bound, so a dead cluster would hang EndOffsets.
  kafka_client::Handle queries;
  // This process's acknowledged records, for its own readers (ADR 0072).
  std::shared_ptr<kafka_reader::LocalTail> tail =
      std::make_shared<kafka_reader::LocalTail>(kTailPerPartition);
  std::thread poller;  // serves delivery reports
  std::atomic<bool> stop{false};

  std::mutex mu;  // guards the three members below
  std::condition_variable stream_free;
  std::unordered_map<std::string, int64_t> versions;  // stream → last stream_version
  std::unordered_set<std::string> busy;               // streams with a batch in flight
  std::set<int32_t> dirty;  // partitions whose versions are uncertain after a failure
  std::unique_ptr<kafka_log::OwnedPartition[]> owned;  // kFenced: one per partition; else null

  ~Impl() {
    stop = true;
    if (poller.joinable()) poller.join();
  }

  core::Result<std::unordered_map<std::string, int64_t>> ScanVersions(
      const std::vector<int32_t>& partitions);
  core::Status Rescan(const std::vector<int32_t>& partitions);
  void MergeVersions(const std::unordered_map<std::string, int64_t>& found);
  core::Result<int64_t> Reserve(const std::string& stream, int64_t expected, int32_t partition);
  void Release(const std::string& stream, int32_t partition, std::optional<int64_t> version,
               bool uncertain);
  core::Status Produce(rd_kafka_s* rk, const events::AppendBatch& batch, int32_t partition,
                       int64_t base, const std::shared_ptr<kafka_log::Delivery>& delivery);
  core::Status ProduceOne(rd_kafka_s* rk, const events::RecordMeta& meta,
                          const std::string& payload, int32_t partition,
                          kafka_log::DeliverySlot* slot);
  core::Status Transact(rd_kafka_s* rk, const events::AppendBatch& batch, int32_t partition,
                        int64_t base, const std::shared_ptr<kafka_log::Delivery>& d);
  core::Result<std::vector<events::Position>> AppendOwned(const events::AppendBatch& batch,
                                                          int32_t partition);
};

}  // namespace filament::adapters
