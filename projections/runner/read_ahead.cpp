#include "projections/runner/read_ahead.hpp"

#include <algorithm>

#include "core/thread_name.hpp"

namespace filament::projections {

ReadAhead::ReadAhead(std::unique_ptr<events::LogReader> reader, const Projection& projection,
                     std::vector<events::Position> start, std::vector<int64_t> until,
                     size_t chunk_records, size_t max_chunks, int decoders)
    : reader_(std::move(reader)),
      projection_(projection),
      next_(until.size(), 0),
      until_(std::move(until)),
      chunk_records_(std::max<size_t>(1, chunk_records)),
      max_chunks_(std::max<size_t>(1, max_chunks)) {
  for (const auto& pos : start) {
    auto p = static_cast<size_t>(pos.partition);
    if (p < next_.size()) next_[p] = pos.offset;
  }
  threads_.push_back(core::NamedThread("replay-read", [this] { ReadLoop(); }));
  if (!projection_.Prepares()) return;
  for (int i = 0; i < std::max(1, decoders); ++i)
    threads_.push_back(core::NamedThread("replay-decode", [this] { DecodeLoop(); }));
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ReadAhead::Reached() const {
  for (size_t p = 0; p < next_.size(); ++p) {
    if (next_[p] < until_[p]) return false;
  }
  return true;
}

void ReadAhead::ReadLoop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return stop_ || slots_.size() < max_chunks_; });
      if (stop_) return;
    }
    if (Reached()) break;
    auto polled = reader_->Poll(chunk_records_, std::chrono::milliseconds(200));
    if (!polled.ok()) {
      std::lock_guard lock(mu_);
      failed_ = polled.error();
      changed_.notify_all();
      return;
    }
    std::erase_if(*polled, [&](const events::StoredRecord& r) {
      auto p = static_cast<size_t>(r.position.partition);
      return p >= until_.size() || r.position.offset >= until_[p];
    });
    if (polled->empty()) continue;
    for (const auto& r : *polled) {
      auto& next = next_[static_cast<size_t>(r.position.partition)];
      next = std::max(next, r.position.offset + 1);
    }
    auto slot = std::make_shared<Slot>();
    slot->chunk.records = std::move(*polled);
    slot->ready = !projection_.Prepares();
    std::lock_guard lock(mu_);
    slots_.push_back(std::move(slot));
    changed_.notify_all();
  }
  std::lock_guard lock(mu_);
  end_ = true;
  changed_.notify_all();
}

void ReadAhead::DecodeLoop() {
  while (true) {
    std::shared_ptr<Slot> slot;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] {
        if (stop_) return true;
        auto it =
            std::find_if(slots_.begin(), slots_.end(), [](const auto& s) { return !s->claimed; });
        if (it == slots_.end()) return false;
        slot = *it;
        slot->claimed = true;
        return true;
      });
      if (stop_) return;
    }
    std::vector<std::unique_ptr<Prepared>> prepared;
    prepared.reserve(slot->chunk.records.size());
    for (const auto& record : slot->chunk.records) prepared.push_back(projection_.Prepare(record));
    std::lock_guard lock(mu_);
    slot->chunk.prepared = std::move(prepared);
    slot->ready = true;
    changed_.notify_all();
  }
}

core::Result<std::optional<ReadChunk>> ReadAhead::Next() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] {
    return (!slots_.empty() && slots_.front()->ready) || (slots_.empty() && (end_ || failed_));
  });
  if (!slots_.empty()) {
    ReadChunk chunk = std::move(slots_.front()->chunk);
    slots_.pop_front();
    changed_.notify_all();
    return std::optional<ReadChunk>(std::move(chunk));
  }
  if (failed_) return *failed_;
  return std::optional<ReadChunk>();
}

}  // namespace filament::projections
