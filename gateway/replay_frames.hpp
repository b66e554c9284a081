#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gateway/replay.hpp"
#include "gateway/resume_cursor.hpp"

// Gateway v2 (ADR 0060, ADR 0069): the frames one log record yields for one connection, built
// from immutable inputs so the catch-up pump can encode them without the hub lock. Pure.
namespace filament::gateway {

// Whether a connection (its user and "guild:channel" subscriptions) is entitled to `event` as
// of the record's position (`access` nullptr = everyone may see it).
bool Entitled(const std::string& user_id, const std::set<std::string>& channel_keys,
              const LogEvent& event, const AccessView* access);

// Moves every partition of `cursor` below `head` up to it (whole records, no skip).
void AdvanceTo(ResumeCursor& cursor, const std::vector<int64_t>& head);

struct EntryFrame {
  const LogEvent* event = nullptr;
  std::string envelope;  // empty: larger than max_event_bytes (dropped, counted by the caller)
  ResumeCursor after;    // the connection's cursor once this frame is accounted for
};

struct EntryFrames {
  bool below = false;  // the record is below the cursor: nothing to send, the cursor stays
  std::vector<EntryFrame> frames;
  ResumeCursor end;  // the cursor after the whole record
};

// The record's frames the connection is entitled to from `cursor` on (its skip honoured), in
// order, each with its `cursor` key. `head` (live delivery, nullable): each frame's cursor is
// first advanced to it.
EntryFrames BuildEntryFrames(const std::string& user_id, const std::set<std::string>& channel_keys,
                             const ReplayEntry& entry, const ResumeCursor& cursor,
                             int64_t max_event_bytes, const std::vector<int64_t>* head);

}  // namespace filament::gateway
