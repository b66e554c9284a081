#pragma once

// The replay benchmark's log: a deterministic, realistic mix of events (mostly markdown
// messages on guild streams, with edits, deletes, reactions, members, channels, profiles and
// friendships), appended in large batches from several threads.

#include <cstdint>
#include <map>
#include <string>

#include "events/event_log.hpp"

namespace filament::bench {

struct CorpusOptions {
  int64_t events = 1'000'000;  // about this many records in total
  int users = 2'000;
  int guilds = 20;
  int channels_per_guild = 10;
  int friend_pairs = 1'000;
  int profile_updates_per_user = 4;
  size_t batch_records = 5'000;  // records per guild-stream append
  uint64_t seed = 42;
};

struct CorpusStats {
  int64_t records = 0;
  std::map<std::string, int64_t> by_type;  // records per event type
};

// Appends the corpus to an empty `log`. Exits the process on an append failure.
CorpusStats FillReplayCorpus(events::EventLog& log, const CorpusOptions& options);

}  // namespace filament::bench
