#include "commands/user/user_directory.hpp"

#include "commands/validation.hpp"

namespace filament::commands {

void Apply(UserDirectory& directory, const events::Event& event) {
  if (const auto* registered = std::get_if<events::UserRegistered>(&event)) {
    directory.user_id_by_username[registered->username] = registered->user_id;
    directory.username_by_user_id[registered->user_id] = registered->username;
  } else if (const auto* created = std::get_if<events::GuildCreated>(&event)) {
    ++directory.guilds_created_by_user[created->creator_user_id];
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
