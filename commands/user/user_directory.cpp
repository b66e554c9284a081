#include "commands/user/user_directory.hpp"

#include "commands/validation.hpp"

namespace filament::commands {

namespace {

void Rename(UserDirectory& directory, const std::string& user_id, const std::string& username) {
  auto& current = directory.username_by_user_id[user_id];
  auto old = directory.user_id_by_username.find(current);
  if (old != directory.user_id_by_username.end() && old->second == user_id) {
    directory.user_id_by_username.erase(old);
  }
  current = username;
  directory.user_id_by_username[username] = user_id;
}

}  // namespace

bool ConcernsDirectory(const events::Event& event) {
  if (const auto* updated = std::get_if<events::ProfileUpdated>(&event)) {
    return updated->username.has_value();
  }
  return std::holds_alternative<events::GuildCreated>(event) ||
         std::holds_alternative<events::UserRegistered>(event) ||
         std::holds_alternative<events::FriendRequestSent>(event);
}

void Apply(UserDirectory& directory, const events::Event& event) {
  if (const auto* registered = std::get_if<events::UserRegistered>(&event)) {
    directory.user_id_by_username[registered->username] = registered->user_id;
    directory.username_by_user_id[registered->user_id] = registered->username;
  } else if (const auto* created = std::get_if<events::GuildCreated>(&event)) {
    ++directory.guilds_created_by_user[created->creator_user_id];
  } else if (const auto* updated = std::get_if<events::ProfileUpdated>(&event)) {
    if (updated->username) Rename(directory, updated->user_id, *updated->username);
  } else if (const auto* sent = std::get_if<events::FriendRequestSent>(&event)) {
    directory.friend_pair_by_request[sent->request_id] = sent->pair_key;
  }
}

core::Result<std::vector<events::UserEvent>> Decide(const UserDirectory& directory,
                                                    const RegisterUser& cmd) {
  FILAMENT_RETURN_IF_ERROR(ValidateUsername(cmd.username));
  if (directory.user_id_by_username.count(cmd.username) != 0) {
    return std::vector<events::UserEvent>{};
  }
  return std::vector<events::UserEvent>{events::UserRegistered{
      .user_id = cmd.user_id,
      .username = cmd.username,
      .registered_at_unix = cmd.now_unix,
  }};
}

}  // namespace filament::commands
