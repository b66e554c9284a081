#include "adapters/kafka/local_tail.hpp"

namespace filament::adapters::kafka_reader {

void LocalTail::Publish(events::StoredRecord record) {
  {
    std::lock_guard lock(mu_);
    auto& partition = records_[record.position.partition];
    const int64_t offset = record.position.offset;
    partition[offset] = std::make_shared<const events::StoredRecord>(std::move(record));
    while (partition.size() > per_partition_) partition.erase(partition.begin());
  }
  std::lock_guard lock(wakers_mu_);
  for (const auto& [id, wake] : wakers_) wake();
}

std::shared_ptr<const events::StoredRecord> LocalTail::Find(
    const events::Position& position) const {
  std::lock_guard lock(mu_);
  auto partition = records_.find(position.partition);
  if (partition == records_.end()) return nullptr;
  auto it = partition->second.find(position.offset);
  return it == partition->second.end() ? nullptr : it->second;
}

uint64_t LocalTail::AddWaker(std::function<void()> wake) {
  std::lock_guard lock(wakers_mu_);
  wakers_[next_waker_] = std::move(wake);
  return next_waker_++;
}

void LocalTail::RemoveWaker(uint64_t id) {
  std::lock_guard lock(wakers_mu_);
  wakers_.erase(id);
}

}  // namespace filament::adapters::kafka_reader
