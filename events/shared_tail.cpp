#include "events/shared_tail.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <utility>

namespace filament::events {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace

class SharedReader;

// The shared state behind one SharedTailLog and its readers. Every field is guarded by `mu`,
// except that the leader uses `reader` without it (`leading` makes it the only user).
struct SharedTailLog::Hub {
  Hub(EventLog& log, SharedTailOptions opts)
      : inner(log),
        options(opts),
        partitions(log.Partitions()),
        base(static_cast<size_t>(partitions), 0),
        head(static_cast<size_t>(partitions), 0) {}

  EventLog& inner;
  const SharedTailOptions options;
  const int32_t partitions;

  std::mutex mu;
  std::condition_variable changed;  // the window grew or was discarded, or a poll ended
  std::unique_ptr<LogReader> reader;
  bool leading = false;             // a reader is polling `reader` (without the lock)
  uint64_t generation = 0;          // bumped whenever the window starts over
  std::deque<StoredRecord> window;  // in the order the shared reader returned them
  uint64_t front_seq = 0;           // sequence number of window.front()
  // Per partition: every record at or after base[p] that the shared reader has returned is in
  // the window, and the shared reader stands at head[p] (its NextOffset).
  std::vector<int64_t> base;
  std::vector<int64_t> head;
  std::set<SharedReader*> attached;  // readers taking their records from the window
  SharedTailStats stats;

  uint64_t EndSeq() const { return front_seq + window.size(); }

  // Makes `fresh`, standing at `at`, the shared reader, with an empty window. Called only
  // when there is no shared reader.
  void Start(std::unique_ptr<LogReader> fresh, const std::vector<int64_t>& at) {
    Discard();
    reader = std::move(fresh);
    base = at;
    head = at;
  }

  // Forgets the shared reader and the window (after the shared reader failed), and detaches
  // every reader; returns the reader to destroy outside the lock.
  std::unique_ptr<LogReader> Discard() {
    front_seq += window.size();
    window.clear();
    ++generation;
    attached.clear();
    return std::move(reader);
  }

  void Extend(std::vector<StoredRecord> records) {
    for (auto& record : records) window.push_back(std::move(record));
    for (int32_t p = 0; p < partitions; ++p) {
      head[static_cast<size_t>(p)] = reader->NextOffset(p);
    }
  }

  void DropFront() {
    const auto& position = window.front().position;
    if (position.partition >= 0 && position.partition < partitions) {
      auto& b = base[static_cast<size_t>(position.partition)];
      b = std::max(b, position.offset + 1);
    }
    window.pop_front();
    ++front_seq;
  }

  // Drops what every attached reader has passed, then whatever exceeds the window.
  void Trim();
};

// One reader of a SharedTailLog over every partition.
class SharedReader final : public LogReader {
 public:
  SharedReader(std::shared_ptr<SharedTailLog::Hub> hub, std::vector<int64_t> start)
      : hub_(std::move(hub)), next_(std::move(start)) {}

  ~SharedReader() override {
    std::unique_ptr<LogReader> own;
    std::lock_guard lock(hub_->mu);
    hub_->attached.erase(this);
    own = std::move(own_);  // destroyed after the lock is released
  }

  core::Result<std::vector<StoredRecord>> Poll(size_t max_records,
                                               std::chrono::milliseconds wait) override;

  int64_t NextOffset(int32_t partition) const override {
    if (partition < 0 || static_cast<size_t>(partition) >= next_.size()) return -1;
    return next_[static_cast<size_t>(partition)];
  }

  uint64_t cursor = 0;  // the next sequence number of the window to look at (under hub mu)

 private:
  std::vector<Position> Positions() const {
    std::vector<Position> at;
    for (size_t p = 0; p < next_.size(); ++p) at.push_back({static_cast<int32_t>(p), next_[p]});
    return at;
  }

  // Whether every record this reader still needs is in the window or yet to come.
  bool Covered() const {
    if (!hub_->reader) return false;
    for (size_t p = 0; p < next_.size(); ++p) {
      if (next_[p] < hub_->base[p]) return false;
    }
    return true;
  }

  // Whether this reader takes its records from the window. Trim may have dropped records it
  // had not taken (the window is bounded): then it leaves.
  bool Attached() {
    if (generation_ != hub_->generation || hub_->attached.count(this) == 0) return false;
    if (Covered()) return true;
    hub_->attached.erase(this);
    return false;
  }

  bool TryAttach() {
    if (!Covered()) return false;
    generation_ = hub_->generation;
    cursor = hub_->front_seq;
    hub_->attached.insert(this);
    return true;
  }

  std::vector<StoredRecord> Collect(size_t max_records);
  core::Result<std::vector<StoredRecord>> PollOwn(size_t max_records,
                                                  std::chrono::milliseconds wait);

  std::shared_ptr<SharedTailLog::Hub> hub_;
  std::vector<int64_t> next_;
  uint64_t generation_ = 0;
  std::unique_ptr<LogReader> own_;  // while behind the window
};

void SharedTailLog::Hub::Trim() {
  uint64_t passed = EndSeq();
  for (const SharedReader* reader : attached) passed = std::min(passed, reader->cursor);
  while (!window.empty() && (front_seq < passed || window.size() > options.window)) DropFront();
}

std::vector<StoredRecord> SharedReader::Collect(size_t max_records) {
  std::vector<StoredRecord> out;
  auto& hub = *hub_;
  cursor = std::max(cursor, hub.front_seq);
  const uint64_t end = hub.EndSeq();
  while (cursor < end && out.size() < max_records) {
    const StoredRecord& record = hub.window[cursor - hub.front_seq];
    ++cursor;
    const auto p = static_cast<size_t>(record.position.partition);
    if (record.position.partition < 0 || p >= next_.size()) continue;
    if (record.position.offset < next_[p]) continue;  // before this reader's position
    out.push_back(record);
    next_[p] = record.position.offset + 1;
  }
  if (cursor == end) {
    // Everything the shared reader returned has been looked at: stand where it stands.
    for (size_t p = 0; p < next_.size(); ++p) next_[p] = std::max(next_[p], hub.head[p]);
  }
  return out;
}

core::Result<std::vector<StoredRecord>> SharedReader::PollOwn(size_t max_records,
                                                              std::chrono::milliseconds wait) {
  auto polled = own_->Poll(max_records, wait);
  std::unique_ptr<LogReader> done;  // destroyed after the lock is released
  std::unique_lock lock(hub_->mu);
  ++hub_->stats.private_polls;
  if (!polled.ok()) {
    done = std::move(own_);
    return polled.error();
  }
  for (size_t p = 0; p < next_.size(); ++p) next_[p] = own_->NextOffset(static_cast<int32_t>(p));
  if (TryAttach()) {
    done = std::move(own_);
    return polled;
  }
  if (hub_->reader || hub_->leading) return polled;
  // Nobody reads for the others. This reader becomes the shared one if it is near the end of
  // the log: one far behind (a rebuild, a bridge's catch-up) would hold back the readers at the
  // head, which would skip everything it reads until it got there.
  lock.unlock();
  auto ends = hub_->inner.EndOffsets();
  if (!ends.ok() || ends->size() != next_.size()) return polled;
  uint64_t behind = 0;
  for (size_t p = 0; p < next_.size(); ++p) {
    behind += static_cast<uint64_t>(std::max<int64_t>(0, (*ends)[p] - next_[p]));
  }
  if (behind > hub_->options.window) return polled;
  lock.lock();
  if (hub_->reader || hub_->leading) {
    if (TryAttach()) done = std::move(own_);
    return polled;
  }
  hub_->Start(std::move(own_), next_);
  TryAttach();
  return polled;
}

core::Result<std::vector<StoredRecord>> SharedReader::Poll(size_t max_records,
                                                           std::chrono::milliseconds wait) {
  if (max_records == 0) return std::vector<StoredRecord>{};
  const auto deadline = Clock::now() + wait;
  auto& hub = *hub_;
  std::unique_lock lock(hub.mu);
  bool last = false;  // the wait is over: return what there is
  while (true) {
    if (own_) {
      lock.unlock();
      return PollOwn(max_records, Remaining(deadline));
    }
    if (!Attached() && !TryAttach()) {
      // No shared reader yet, or this reader is behind its window: read on our own. With no
      // shared reader, PollOwn makes this one the shared reader.
      ++hub.stats.own_readers;
      lock.unlock();
      auto opened = hub.inner.OpenReader(Positions());
      if (!opened.ok()) return opened.error();
      own_ = std::move(*opened);
      return PollOwn(max_records, Remaining(deadline));
    }
    auto out = Collect(max_records);
    if (!out.empty() || last) {
      hub.Trim();
      return out;
    }
    if (!hub.leading) {
      hub.leading = true;
      LogReader* reader = hub.reader.get();
      lock.unlock();
      auto polled = reader->Poll(hub.options.batch, Remaining(deadline));
      lock.lock();
      hub.leading = false;
      ++hub.stats.shared_polls;
      if (!polled.ok()) {
        auto failed = hub.Discard();
        hub.changed.notify_all();
        lock.unlock();
        failed.reset();
        return polled.error();
      }
      hub.Extend(std::move(*polled));
      hub.changed.notify_all();
      last = Clock::now() >= deadline;
      continue;
    }
    last = hub.changed.wait_until(lock, deadline) == std::cv_status::timeout;
  }
}

SharedTailLog::SharedTailLog(EventLog& inner, SharedTailOptions options)
    : inner_(inner), hub_(std::make_shared<Hub>(inner, options)) {}

SharedTailLog::~SharedTailLog() = default;

core::Result<std::unique_ptr<LogReader>> SharedTailLog::OpenReader(
    const std::vector<Position>& start) {
  const auto partitions = static_cast<size_t>(inner_.Partitions());
  std::vector<int64_t> next(partitions, -1);
  for (const auto& position : start) {
    const auto p = static_cast<size_t>(position.partition);
    if (position.partition < 0 || p >= partitions || next[p] != -1 || position.offset < 0) {
      return inner_.OpenReader(start);  // not a reader of the whole log: its own reader
    }
    next[p] = position.offset;
  }
  if (std::count(next.begin(), next.end(), -1) != 0) return inner_.OpenReader(start);
  return std::unique_ptr<LogReader>(std::make_unique<SharedReader>(hub_, std::move(next)));
}

SharedTailStats SharedTailLog::Stats() const {
  std::lock_guard lock(hub_->mu);
  return hub_->stats;
}

}  // namespace filament::events
