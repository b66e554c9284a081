// KafkaEventLog's fenced partition writers (ADR 0082): one transactional producer per
// acquired partition; init_transactions is the acquire.
#include <librdkafka/rdkafka.h>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/kafka_event_log_impl.hpp"
#include "adapters/kafka/kafka_transactions.hpp"

namespace filament::adapters {

using kafka_log::Delivery;
using kafka_log::Fenced;
using kafka_log::IsFenced;
using kafka_log::OnDelivery;
using kafka_log::OwnedPartition;
using std::chrono::milliseconds;

// One transaction: begin, produce, commit (which flushes), then serve the delivery reports
// (only this thread polls the partition's producer). Aborts when producing failed.
core::Status KafkaEventLog::Impl::Transact(rd_kafka_t* rk, const events::AppendBatch& batch,
                                           int32_t partition, int64_t base,
                                           const std::shared_ptr<Delivery>& d) {
  const milliseconds timeout(options.delivery_timeout_ms);
  FILAMENT_RETURN_IF_ERROR(kafka_txn::Begin(rk));
  core::Status status = Produce(rk, batch, partition, base, d);
  if (status.ok()) {
    status = kafka_txn::Commit(rk, timeout);
  } else {
    core::Status aborted = kafka_txn::Abort(rk, timeout);
    if (IsFenced(aborted)) status = aborted;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout + milliseconds(5000);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(d->mu);
      if (d->pending == 0) break;
    }
    rd_kafka_poll(rk, 10);
  }
  std::lock_guard lock(d->mu);
  if (status.ok() && d->pending != 0) return core::Unavailable("kafka delivery reports overdue");
  if (status.ok() && d->error) return *d->error;
  return status;
}

core::Result<std::vector<events::Position>> KafkaEventLog::Impl::AppendOwned(
    const events::AppendBatch& batch, int32_t partition) {
  OwnedPartition& owner = owned[static_cast<size_t>(partition)];
  std::lock_guard own(owner.mu);
  if (!owner.producer) {
    return Fenced("partition " + std::to_string(partition) + " is not owned by this writer");
  }
  auto base = Reserve(batch.stream, batch.expected_version, partition);
  if (!base.ok()) return base.error();
  auto d = std::make_shared<Delivery>();  // no tail: records count once committed, not acked
  d->positions.resize(batch.records.size());
  d->delivered.resize(batch.records.size(), false);
  core::Status status = Transact(owner.producer.get(), batch, partition, *base, d);
  std::optional<int64_t> version;
  if (status.ok()) version = *base + static_cast<int64_t>(batch.records.size());
  Release(batch.stream, partition, version, /*uncertain=*/!status.ok());
  if (IsFenced(status)) owner.producer.reset();  // lost: every later append is refused here
  if (!status.ok()) return status.error();
  return d->positions;
}

core::Result<int64_t> KafkaEventLog::AcquirePartition(int32_t partition) {
  if (partition < 0 || partition >= impl_->options.partitions) {
    return core::InvalidArgument("no partition " + std::to_string(partition));
  }
  if (!impl_->owned) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "acquire needs a log opened as a fenced writer");
  }
  OwnedPartition& owner = impl_->owned[static_cast<size_t>(partition)];
  std::lock_guard own(owner.mu);  // this handle's appends to the partition wait
  owner.producer.reset();
  auto producer = kafka_txn::NewProducer(
      impl_->producer_settings, kafka_txn::TransactionalId(impl_->options.topic, partition),
      milliseconds(impl_->options.delivery_timeout_ms), &OnDelivery);
  if (!producer.ok()) return producer.error();
  FILAMENT_RETURN_IF_ERROR(
      kafka_txn::Init(producer->get(), milliseconds(impl_->options.delivery_timeout_ms)));
  // The previous owner's transactions are now committed or aborted: learn what it wrote.
  auto found = impl_->ScanVersions({partition});
  if (!found.ok()) return found.error();
  {
    std::lock_guard lock(impl_->mu);
    impl_->MergeVersions(*found);
    impl_->dirty.erase(partition);
  }
  owner.producer = std::move(*producer);
  return ++owner.acquisitions;
}

}  // namespace filament::adapters
