#include "commands/partition_writers.hpp"

#include <algorithm>

#include "core/thread_name.hpp"

namespace filament::commands {

namespace {

constexpr size_t kPollRecords = 2048;
constexpr std::chrono::milliseconds kPollWait{100};

}  // namespace

PartitionWriters::PartitionWriters(events::EventLog& log, Follow follow, LogLine log_line,
                                   std::chrono::milliseconds wait_limit)
    : log_(log),
      follow_(std::move(follow)),
      log_line_(std::move(log_line)),
      wait_limit_(wait_limit),
      partitions_(log.Partitions()),
      owned_(new std::atomic<bool>[static_cast<size_t>(partitions_)]),
      acquiring_(new std::mutex[static_cast<size_t>(partitions_)]),
      followed_(static_cast<size_t>(partitions_), 0) {
  for (int32_t p = 0; p < partitions_; ++p) owned_[static_cast<size_t>(p)] = false;
}

PartitionWriters::~PartitionWriters() { Stop(); }

core::Status PartitionWriters::Start(const std::vector<int64_t>& from) {
  if (from.size() != static_cast<size_t>(partitions_)) {
    return core::InvalidArgument("follower start has " + std::to_string(from.size()) +
                                 " partitions, the log " + std::to_string(partitions_));
  }
  std::vector<events::Position> start;
  for (int32_t p = 0; p < partitions_; ++p) start.push_back({p, from[static_cast<size_t>(p)]});
  auto reader = log_.OpenReader(start);
  if (!reader.ok()) return reader.error();
  {
    std::lock_guard lock(mutex_);
    followed_ = from;
  }
  thread_ = core::NamedThread("partition-watch",
                              [this, r = std::move(*reader)]() mutable { Run(std::move(r)); });
  return core::OkStatus();
}

void PartitionWriters::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  moved_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PartitionWriters::Run(std::unique_ptr<events::LogReader> reader) {
  int failures = 0;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    auto records = reader->Poll(kPollRecords, kPollWait);
    if (!records.ok()) {
      if (records.error().code == core::ErrorCode::kUnavailable) {
        if (failures++ % 50 == 0) log_line_("command follower: " + records.error().message);
        std::this_thread::sleep_for(kPollWait);
        continue;
      }
      std::lock_guard lock(mutex_);
      failure_ = records.error();
      moved_.notify_all();
      log_line_("command follower stopped: " + records.error().message);
      return;
    }
    failures = 0;
    FoldBatch(*reader, *records);
    std::lock_guard lock(mutex_);
    if (failure_) return;
  }
}

// Folds one poll's records, then publishes how far each partition is folded.
void PartitionWriters::FoldBatch(events::LogReader& reader,
                                 const std::vector<events::StoredRecord>& records) {
  std::vector<int64_t> reached(static_cast<size_t>(partitions_), -1);
  for (const auto& stored : records) {
    if (auto folded = follow_(stored); !folded.ok()) {
      std::lock_guard lock(mutex_);
      failure_ = folded.error();
      moved_.notify_all();
      log_line_("command follower stopped: " + folded.error().message);
      return;
    }
    const auto p = static_cast<size_t>(stored.position.partition);
    if (p < reached.size()) reached[p] = std::max(reached[p], stored.position.offset + 1);
  }
  std::lock_guard lock(mutex_);
  for (int32_t p = 0; p < partitions_; ++p) {
    auto& followed = followed_[static_cast<size_t>(p)];
    followed = std::max({followed, reached[static_cast<size_t>(p)], reader.NextOffset(p)});
  }
  moved_.notify_all();
}

core::Status PartitionWriters::WaitFollowed(int32_t partition, int64_t end) {
  std::unique_lock lock(mutex_);
  const bool reached = moved_.wait_for(lock, wait_limit_, [&] {
    return failure_ || stop_ || followed_[static_cast<size_t>(partition)] >= end;
  });
  if (failure_) {
    return core::Unavailable("the command state stopped following the log: " + failure_->message);
  }
  if (stop_) return core::Unavailable("the command service is stopping");
  if (!reached) {
    return core::Unavailable("the command state is behind the log in partition " +
                             std::to_string(partition));
  }
  return core::OkStatus();
}

core::Status PartitionWriters::CatchUp(int32_t partition) {
  if (partition < 0 || partition >= partitions_) return core::InvalidArgument("no such partition");
  auto ends = log_.EndOffsets();
  if (!ends.ok()) return ends.error();
  return WaitFollowed(partition, ends->at(static_cast<size_t>(partition)));
}

core::Status PartitionWriters::CatchUpAll() {
  auto ends = log_.EndOffsets();
  if (!ends.ok()) return ends.error();
  for (int32_t p = 0; p < partitions_ && p < static_cast<int32_t>(ends->size()); ++p) {
    FILAMENT_RETURN_IF_ERROR(WaitFollowed(p, (*ends)[static_cast<size_t>(p)]));
  }
  return core::OkStatus();
}

core::Status PartitionWriters::EnsureOwned(int32_t partition) {
  if (partition < 0 || partition >= partitions_) return core::InvalidArgument("no such partition");
  const auto p = static_cast<size_t>(partition);
  if (owned_[p].load()) return core::OkStatus();
  std::lock_guard acquiring(acquiring_[p]);
  if (owned_[p].load()) return core::OkStatus();
  auto epoch = log_.AcquirePartition(partition);
  if (!epoch.ok()) return epoch.error();
  // Everything below the end read now is final: the previous owner can no longer append.
  FILAMENT_RETURN_IF_ERROR(CatchUp(partition));
  owned_[p] = true;
  ++acquisitions_;
  log_line_("acquired partition " + std::to_string(partition) + " (writer epoch " +
            std::to_string(*epoch) + ")");
  return core::OkStatus();
}

void PartitionWriters::Lost(int32_t partition) {
  if (partition < 0 || partition >= partitions_) return;
  if (owned_[static_cast<size_t>(partition)].exchange(false)) {
    ++losses_;
    log_line_("lost partition " + std::to_string(partition) + " to another writer");
  }
}

bool PartitionWriters::Owns(int32_t partition) const {
  return partition >= 0 && partition < partitions_ && owned_[static_cast<size_t>(partition)].load();
}

int32_t PartitionWriters::OwnedCount() const {
  int32_t n = 0;
  for (int32_t p = 0; p < partitions_; ++p) n += owned_[static_cast<size_t>(p)].load() ? 1 : 0;
  return n;
}

}  // namespace filament::commands
