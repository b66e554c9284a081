#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "events/generated/event_types.hpp"

namespace filament::commands {

// The cross-aggregate facts about users that deciders need: which usernames are taken, how
// many guilds each user created (the creator cap) and which friendship stream holds a friend
// request. A fold over UserRegistered, ProfileUpdated (renames), GuildCreated and
// FriendRequestSent.
struct UserDirectory {
  std::unordered_map<std::string, std::string> user_id_by_username;  // case-sensitive
  std::unordered_map<std::string, std::string> username_by_user_id;
  std::unordered_map<std::string, int64_t> guilds_created_by_user;
  std::unordered_map<std::string, std::string> friend_pair_by_request;  // request id → pair key
};

// Whether `event` changes anything the directory folds.
bool ConcernsDirectory(const events::Event& event);

// Folds any event; events that do not concern the directory are ignored.
void Apply(UserDirectory& directory, const events::Event& event);

struct RegisterUser {
  std::string user_id;
  std::string username;
  int64_t now_unix = 0;
};

// Registration never reveals whether a name is taken: a taken username decides to no events
// (the caller still answers "accepted"). Errors: kInvalidArgument (username rules).
core::Result<std::vector<events::UserEvent>> Decide(const UserDirectory& directory,
                                                    const RegisterUser& cmd);

}  // namespace filament::commands
