#pragma once

// Internal to adapters/kafka: the records this process appended and saw acknowledged, kept
// briefly so readers in the same process return them at once instead of waiting for their
// next fetch (ADR 0072). No librdkafka types here.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "events/log_record.hpp"

namespace filament::adapters::kafka_reader {

class LocalTail {
 public:
  // Keeps at most `per_partition` records of each partition (the newest).
  explicit LocalTail(size_t per_partition) : per_partition_(per_partition) {}

  // Adds an acknowledged record (acks=all: what any consumer may now read at this position)
  // and wakes every registered reader.
  void Publish(events::StoredRecord record);

  // The record at `position`, if still held. Never a record that was not acknowledged.
  std::shared_ptr<const events::StoredRecord> Find(const events::Position& position) const;

  // `wake` is called (from the publishing thread) after every Publish until RemoveWaker.
  uint64_t AddWaker(std::function<void()> wake);
  void RemoveWaker(uint64_t id);

 private:
  const size_t per_partition_;
  mutable std::mutex mu_;  // guards records_
  std::map<int32_t, std::map<int64_t, std::shared_ptr<const events::StoredRecord>>> records_;
  std::mutex wakers_mu_;  // guards the two below
  uint64_t next_waker_ = 0;
  std::map<uint64_t, std::function<void()>> wakers_;
};

}  // namespace filament::adapters::kafka_reader
