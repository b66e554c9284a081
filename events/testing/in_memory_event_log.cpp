#include "events/testing/in_memory_event_log.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

namespace filament::events::testing {

struct InMemoryEventLog::State {
  std::mutex mu;
  std::condition_variable appended;
  std::vector<std::vector<events::StoredRecord>> partitions;
  std::map<std::string, int64_t, std::less<>> stream_versions;
  int failures_to_inject = 0;

  // Consumes one injected failure, if any. Caller holds `mu`.
  bool TakeInjectedFailure() {
    if (failures_to_inject <= 0) return false;
    --failures_to_inject;
    return true;
  }
};

namespace {

class InMemoryReader final : public events::LogReader {
 public:
  InMemoryReader(std::shared_ptr<InMemoryEventLog::State> state, std::vector<events::Position> next)
      : state_(std::move(state)), next_(std::move(next)) {}

  core::Result<std::vector<events::StoredRecord>> Poll(size_t max_records,
                                                       std::chrono::milliseconds wait) override {
    std::unique_lock lock(state_->mu);
    if (state_->TakeInjectedFailure()) return core::Unavailable("injected log failure");
    state_->appended.wait_for(lock, wait, [&] { return Available() > 0; });
    return Take(max_records);
  }

  int64_t NextOffset(int32_t partition) const override {
    for (const auto& pos : next_) {
      if (pos.partition == partition) return pos.offset;
    }
    return -1;
  }

 private:
  size_t Available() const {
    size_t total = 0;
    for (const auto& pos : next_) {
      const auto& records = state_->partitions[static_cast<size_t>(pos.partition)];
      if (static_cast<size_t>(pos.offset) < records.size()) {
        total += records.size() - static_cast<size_t>(pos.offset);
      }
    }
    return total;
  }

  // Takes records round-robin over the partitions so no partition starves another.
  std::vector<events::StoredRecord> Take(size_t max_records) {
    std::vector<events::StoredRecord> out;
    bool progressed = true;
    while (out.size() < max_records && progressed) {
      progressed = false;
      for (auto& pos : next_) {
        const auto& records = state_->partitions[static_cast<size_t>(pos.partition)];
        if (out.size() >= max_records) break;
        if (static_cast<size_t>(pos.offset) >= records.size()) continue;
        out.push_back(records[static_cast<size_t>(pos.offset)]);
        ++pos.offset;
        progressed = true;
      }
    }
    return out;
  }

  std::shared_ptr<InMemoryEventLog::State> state_;
  std::vector<events::Position> next_;
};

core::Status ValidateBatch(const events::AppendBatch& batch) {
  if (batch.records.empty()) return core::InvalidArgument("empty append batch");
  if (batch.stream.empty()) return core::InvalidArgument("append batch without a stream");
  if (batch.expected_version < events::AppendBatch::kAnyVersion) {
    return core::InvalidArgument("negative expected_version");
  }
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const auto& meta = batch.records[i].meta;
    if (meta.stream != batch.stream) {
      return core::InvalidArgument("record stream '" + meta.stream + "' != batch stream");
    }
    if (meta.type.empty()) return core::InvalidArgument("record without a type");
    if (batch.expected_version != events::AppendBatch::kAnyVersion &&
        meta.stream_version != batch.expected_version + static_cast<int64_t>(i) + 1) {
      return core::InvalidArgument("record stream_version does not follow expected_version");
    }
  }
  return core::OkStatus();
}

}  // namespace

InMemoryEventLog::InMemoryEventLog(int32_t partitions) : state_(std::make_shared<State>()) {
  state_->partitions.resize(static_cast<size_t>(partitions < 1 ? 1 : partitions));
}

InMemoryEventLog::~InMemoryEventLog() = default;

int32_t InMemoryEventLog::Partitions() const {
  return static_cast<int32_t>(state_->partitions.size());
}

core::Result<std::vector<events::Position>> InMemoryEventLog::Append(
    const events::AppendBatch& batch) {
  FILAMENT_RETURN_IF_ERROR(ValidateBatch(batch));
  std::vector<events::Position> positions;
  {
    std::lock_guard lock(state_->mu);
    int64_t& version = state_->stream_versions[batch.stream];
    if (batch.expected_version != events::AppendBatch::kAnyVersion &&
        batch.expected_version != version) {
      return core::Aborted("stream " + batch.stream + " is at version " + std::to_string(version) +
                           ", expected " + std::to_string(batch.expected_version));
    }
    int32_t partition = events::PartitionFor(batch.stream, Partitions());
    auto& records = state_->partitions[static_cast<size_t>(partition)];
    for (const auto& record : batch.records) {
      events::Position pos{partition, static_cast<int64_t>(records.size())};
      records.push_back(events::StoredRecord{pos, record, std::nullopt});
      // With kAnyVersion the log numbers the records itself, as both adapters do.
      records.back().record.meta.stream_version = ++version;
      positions.push_back(pos);
    }
  }
  state_->appended.notify_all();
  return positions;
}

events::Position InMemoryEventLog::AppendUndecodable(const events::LogRecord& record,
                                                     core::Error decode_error) {
  events::Position pos;
  {
    std::lock_guard lock(state_->mu);
    pos.partition = events::PartitionFor(record.meta.stream, Partitions());
    auto& records = state_->partitions[static_cast<size_t>(pos.partition)];
    pos.offset = static_cast<int64_t>(records.size());
    records.push_back(events::StoredRecord{pos, record, std::move(decode_error)});
  }
  state_->appended.notify_all();
  return pos;
}

void InMemoryEventLog::FailNextCalls(int count) {
  std::lock_guard lock(state_->mu);
  state_->failures_to_inject = count;
}

core::Result<std::unique_ptr<events::LogReader>> InMemoryEventLog::OpenReader(
    const std::vector<events::Position>& start) {
  std::vector<bool> seen(static_cast<size_t>(Partitions()), false);
  for (const auto& pos : start) {
    if (pos.partition < 0 || pos.partition >= Partitions() || pos.offset < 0) {
      return core::InvalidArgument("bad reader start " + events::FormatPosition(pos));
    }
    if (seen[static_cast<size_t>(pos.partition)]) {
      return core::InvalidArgument("partition listed twice in reader start");
    }
    seen[static_cast<size_t>(pos.partition)] = true;
  }
  return std::unique_ptr<events::LogReader>(std::make_unique<InMemoryReader>(state_, start));
}

core::Result<std::vector<int64_t>> InMemoryEventLog::EndOffsets() {
  std::lock_guard lock(state_->mu);
  if (state_->TakeInjectedFailure()) return core::Unavailable("injected log failure");
  std::vector<int64_t> ends;
  for (const auto& records : state_->partitions)
    ends.push_back(static_cast<int64_t>(records.size()));
  return ends;
}

}  // namespace filament::events::testing
