#include "gateway/replay_frames.hpp"

#include "gateway/envelope.hpp"

namespace filament::gateway {

bool Entitled(const std::string& user_id, const std::set<std::string>& channel_keys,
              const LogEvent& event, const AccessView* access) {
  switch (event.scope) {
    case LogEvent::Scope::kChannel:
      return channel_keys.count(event.guild_id + ":" + event.channel_id) != 0 &&
             (access == nullptr || access->Visible(user_id, event.channel_id));
    case LogEvent::Scope::kGuild: {
      const std::string prefix = event.guild_id + ":";
      auto key = channel_keys.lower_bound(prefix);
      if (key == channel_keys.end() || key->compare(0, prefix.size(), prefix) != 0) {
        return false;
      }
      return access == nullptr || user_id == event.user_id || access->IsMember(user_id);
    }
    case LogEvent::Scope::kUser:
      return user_id == event.user_id;
  }
  return false;
}

void AdvanceTo(ResumeCursor& cursor, const std::vector<int64_t>& head) {
  for (size_t p = 0; p < head.size() && p < cursor.next.size(); ++p) {
    if (head[p] > cursor.next[p]) {
      cursor.next[p] = head[p];
      cursor.skip[p] = 0;
    }
  }
}

EntryFrames BuildEntryFrames(const std::string& user_id, const std::set<std::string>& channel_keys,
                             const ReplayEntry& entry, const ResumeCursor& cursor,
                             int64_t max_event_bytes, const std::vector<int64_t>* head) {
  EntryFrames out;
  const auto p = static_cast<size_t>(entry.partition);
  if (p >= cursor.next.size() || entry.offset < cursor.next[p]) {
    out.below = true;
    return out;
  }
  std::vector<const LogEvent*> entitled;
  for (const LogEvent& event : entry.events) {
    if (Entitled(user_id, channel_keys, event, entry.access.get())) entitled.push_back(&event);
  }
  const int32_t skip = entry.offset == cursor.next[p] ? cursor.skip[p] : 0;
  const std::string pos = std::to_string(entry.partition) + ":" + std::to_string(entry.offset);
  ResumeCursor current = cursor;
  for (size_t k = static_cast<size_t>(skip); k < entitled.size(); ++k) {
    ResumeCursor after = current;
    if (head != nullptr) AdvanceTo(after, *head);
    const bool last = k + 1 == entitled.size();
    after.next[p] = last ? entry.offset + 1 : entry.offset;
    after.skip[p] = last ? 0 : static_cast<int32_t>(k + 1);
    const LogEvent& event = *entitled[k];
    std::string envelope = BuildLogEnvelopeV2(event.type, event.payload, pos, FormatCursor(after));
    if (static_cast<int64_t>(envelope.size()) > max_event_bytes) envelope.clear();
    current = after;
    out.frames.push_back({&event, std::move(envelope), std::move(after)});
  }
  current.next[p] = entry.offset + 1;
  current.skip[p] = 0;
  out.end = std::move(current);
  return out;
}

}  // namespace filament::gateway
