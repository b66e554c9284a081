#pragma once

// Test-only: a log touching everything the log bridge folds, and the bridge's answers over it
// (bridge_start_test.cpp; apps/bridge_start_pg_test.cpp).

#include <map>
#include <string>
#include <vector>

#include "commands/friendship/friendship_state.hpp"
#include "commands/snapshot/snapshot_test_log.hpp"
#include "gateway/bridge/live_access.hpp"
#include "gateway/bridge/observers.hpp"
#include "gateway/bridge/voice_roster.hpp"

namespace filament::gateway::bridge_testing {

using commands::snapshot::snapshot_testing::Id;
using commands::snapshot::snapshot_testing::kPartitions;

// A log touching everything the bridge folds: memberships (join, kick, ban), friendships
// (accepted, removed), channel overrides and roles, the recorded server owner and voice.
class BridgeLog : public commands::snapshot::snapshot_testing::RecordLog {
 public:
  BridgeLog() : RecordLog('E') {
    const std::string g = Id('G', 0), h = Id('G', 1), c = Id('C', 0), p = Id('C', 1);
    for (int i = 0; i < 5; ++i) Add(events::UserRegistered{U(i), "user" + std::to_string(i), i});
    Add(events::GuildCreated{g, "guild", "public", U(0), Id('R', 0), Id('R', 1), Id('R', 2),
                             Id('R', 3), 10});
    Add(events::GuildCreated{h, "other", "public", U(4), Id('R', 5), Id('R', 6), Id('R', 7),
                             Id('R', 8), 10});
    Add(events::ChannelCreated{g, c, "general", "text", 11});
    Add(events::ChannelCreated{g, p, "private", "text", 11});
    for (int i = 1; i < 4; ++i) Add(events::MemberJoined{g, U(i), "member", "directory", 12, {}});
    Add(events::MemberJoined{h, U(1), "member", "directory", 12, std::nullopt});
    Add(events::ChannelPermissionOverrideSet{g, p, "role", Id('R', 0), {}, {"create_message"}, 13});
    Add(events::ChannelPermissionOverrideSet{g, p, "member", U(1), {"create_message"}, {}, 13});
    Add(events::MessagePosted{g, c, Id('M', 0), U(1), "hi", {}, 14});
    Add(events::MemberBanned{g, U(3), 15});
    Add(events::MemberRemoved{g, U(3), "ban", 15});
    Add(events::MemberRemoved{g, U(2), "kick", 16});
    Befriend(0, 2, 0);
    Befriend(1, 3, 1);
    Add(events::FriendshipRemoved{Pair(1, 3), U(1), U(3), 20});
    Add(events::ServerOwnerChanged{"main", U(4), std::nullopt, 21});
    Add(events::VoiceParticipantJoined{U(0), g, c, "u." + U(0), false, false, 22, 4000});
    Add(events::VoiceParticipantJoined{U(1), g, c, "u." + U(1), true, false, 23, 4000});
    Add(events::VoiceParticipantLeft{U(1), g, c, "u." + U(1), "leave", 24});
    Add(events::MessageDeleted{g, c, Id('M', 0), U(0), 25, U(1), true, std::nullopt});
  }

  static std::string U(int i) { return Id('W', i); }

 private:
  static std::string Pair(int a, int b) { return commands::FriendPairKey(U(a), U(b)); }
  void Befriend(int a, int b, int n) {
    Add(events::FriendRequestSent{Pair(a, b), Id('F', n), U(a), "sender", U(b), "recipient", 17});
    Add(events::FriendRequestAccepted{Pair(a, b), Id('F', n), U(a), "sender", U(b), "recipient",
                                      18});
  }
};

// What the bridge folds, and everything it answers from it.
struct BridgeFold {
  ObserverIndex observers;
  LiveAccess access{""};
  VoiceRoster voice;

  void Apply(const events::StoredRecord& r) {
    observers.ApplyRecord(r);
    access.Apply(r);
    voice.ApplyRecord(r);
  }
  // Every answer over the ids of the log, one line each.
  std::vector<std::string> Answers() {
    std::vector<std::string> out;
    const std::vector<std::string> guilds = {Id('G', 0), Id('G', 1)};
    const std::vector<std::string> channels = {Id('C', 0), Id('C', 1)};
    for (int i = 0; i < 5; ++i) {
      const std::string u = BridgeLog::U(i);
      std::string line = u + " observed by";
      for (const auto& o : observers.Observers(u)) line += " " + o;
      out.push_back(line);
      for (const auto& g : guilds) {
        out.push_back(u + " member of " + g + ": " + std::to_string(access.IsMember(u, g)));
        for (const auto& c : channels) {
          out.push_back(u + " sees " + g + "/" + c + ": " +
                        std::to_string(access.Visible(u, g, c)));
        }
      }
    }
    for (const auto& c : channels) {
      std::string line = "voice " + c;
      for (const auto& p : voice.Participants(Id('G', 0), c, 100)) {
        line +=
            " " + p.user_id + (p.is_muted ? "/muted" : "") + "@" + std::to_string(p.joined_at_unix);
      }
      out.push_back(line);
    }
    return out;
  }
};

}  // namespace filament::gateway::bridge_testing
