#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "commands/command_batch.hpp"

namespace filament::commands {

// The folded states of one stream category ("guild:<id>", "user:<id>", ...) with one lock per
// stream, so commands on different streams run in parallel and commands on one stream run one
// at a time. Slots are never removed: a stream, once it exists, exists forever.
// Thread-safe. Slot references stay valid for the life of the StreamStates.
template <typename State>
class StreamStates {
 public:
  struct Slot {
    std::mutex mutex;  // serializes commands on this stream; guards `state` and `stale`
    State state;
    // `state` may be ahead of the log (a batch was folded but its append failed): fold the
    // stream again from the log before deciding on it (ADR 0070).
    bool stale = false;
    // The stream version up to which this stream's events are folded into the directory and
    // the attachment ledger (the log follower folds only later ones there, ADR 0091).
    int64_t side_version = 0;
    CommandQueue queue;  // commands waiting for this stream (group commit, ADR 0070)
  };

  // The slot of an existing stream, or nullptr. Never creates one: ids come from clients.
  Slot* Find(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(id);
    return it == slots_.end() ? nullptr : it->second.get();
  }

  // The slot of `id`, created empty when absent (for a stream a command or the log creates).
  Slot& FindOrCreate(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto& slot = slots_[id];
    if (!slot) slot = std::make_unique<Slot>();
    return *slot;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Slot>> slots_;
};

}  // namespace filament::commands
