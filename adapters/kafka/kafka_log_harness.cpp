// Registers the Kafka harness for the behavioural log suite
// (tests/integration/event_log_contract.cpp), so every contract case also runs on Kafka.
//
// Deployment model encoded here: on Kafka each partition has ONE writer process (see
// kafka_event_log.hpp). Handles the suite opens at the same time therefore share one
// KafkaEventLog writer, as threads of that writer process would; readers are independent
// consumers. When every handle is closed the writer goes away, and the next Open() starts a
// fresh KafkaEventLog that rebuilds its state from the topic (the "restart" case). The mock
// cluster is shared by the whole binary and outlives every handle; each harness gets its own
// topics, so each test sees an empty log.
#include <atomic>
#include <map>
#include <memory>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/mock_cluster.hpp"
#include "core/check.hpp"
#include "tests/integration/event_log_harness.hpp"

namespace filament::adapters {
namespace {

MockCluster& SharedCluster() {
  static MockCluster* cluster = [] {
    auto started = MockCluster::Start(3, "filament.events", 4);
    FILAMENT_CHECK(started.ok());
    return std::move(*started).release();  // lives until the process exits
  }();
  return *cluster;
}

// One client handle: appends go through the shared writer, readers are its own consumers.
class SharedWriterHandle final : public events::EventLog {
 public:
  explicit SharedWriterHandle(std::shared_ptr<KafkaEventLog> writer) : writer_(std::move(writer)) {}
  int32_t Partitions() const override { return writer_->Partitions(); }
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& b) override {
    return writer_->Append(b);
  }
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& start) override {
    return writer_->OpenReader(start);
  }
  core::Result<std::vector<int64_t>> EndOffsets() override { return writer_->EndOffsets(); }

 private:
  std::shared_ptr<KafkaEventLog> writer_;
};

class KafkaHarness final : public testing::EventLogHarness {
 public:
  KafkaHarness() : topic_prefix_("contract." + std::to_string(next_id_++)) {}
  std::string Name() const override { return "kafka"; }

  std::unique_ptr<events::EventLog> Open(int32_t partitions) override {
    std::string topic = topic_prefix_ + ".p" + std::to_string(partitions);
    std::shared_ptr<KafkaEventLog> writer = writers_[partitions].lock();
    if (!writer) {
      if (!created_.contains(partitions)) {
        if (!SharedCluster().CreateTopic(topic, partitions).ok()) return nullptr;
        created_[partitions] = true;
      }
      auto log = KafkaEventLog::Open({SharedCluster().Bootstraps(), topic, partitions, 5000});
      if (!log.ok()) return nullptr;
      writer = std::move(*log);
      writers_[partitions] = writer;
    }
    return std::make_unique<SharedWriterHandle>(std::move(writer));
  }

 private:
  static inline std::atomic<int> next_id_{0};
  std::string topic_prefix_;
  std::map<int32_t, std::weak_ptr<KafkaEventLog>> writers_;
  std::map<int32_t, bool> created_;
};

[[maybe_unused]] const bool kRegistered = testing::RegisterEventLogHarness(
    "kafka",
    []() -> std::unique_ptr<testing::EventLogHarness> { return std::make_unique<KafkaHarness>(); });

}  // namespace
}  // namespace filament::adapters
