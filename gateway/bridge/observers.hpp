#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"

namespace filament::gateway {

// Who observes a user's profile (GATEWAY.md §5, §6.4): the user, accepted friends, and every
// co-member of any guild the user belongs to. A fold of the log kept by the gateway itself
// (ADR 0022) — built from the whole log at start and advanced record by record by the bridge —
// so a gateway in its own process needs no read model. Not thread-safe: the bridge's thread
// owns it.
class ObserverIndex {
 public:
  // Folds a record if it changes friendships or memberships (others are skipped undecoded).
  // A record that does not decode is ignored (the bridge counts it when mapping).
  void ApplyRecord(const events::StoredRecord& record);
  void Apply(const events::Event& event);

  // What the fold records, for a start from the command side's fold (BridgeStartFrom).
  void Join(const std::string& guild_id, const std::string& user_id);
  void Befriend(const std::string& a, const std::string& b);

  // `user_id` and its observers, sorted, without duplicates.
  std::vector<std::string> Observers(const std::string& user_id) const;

 private:
  std::unordered_map<std::string, std::set<std::string>> friends_;     // user → friends
  std::unordered_map<std::string, std::set<std::string>> guilds_of_;   // user → guilds
  std::unordered_map<std::string, std::set<std::string>> members_of_;  // guild → users
};

}  // namespace filament::gateway
