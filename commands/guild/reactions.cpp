#include "commands/guild/reactions.hpp"

#include "commands/validation.hpp"

namespace filament::commands {

core::Result<GuildEvents> Decide(const GuildState& guild, const ReactToMessage& cmd) {
  FILAMENT_RETURN_IF_ERROR(ValidateEmoji(cmd.emoji));
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto effective = EvaluateChannel(guild.authz, cmd.user_id, cmd.channel_id);
  if (!effective.ok()) {
    // The contract answers an unknown channel like a missing permission here.
    return core::PermissionDenied(effective.error().message);
  }
  if (!effective->permissions.Has(Permission::kCreateMessage)) {
    return core::PermissionDenied("missing create_message");
  }
  auto message = guild.messages.find(cmd.message_id);
  if (message == guild.messages.end() || message->second.channel_id != cmd.channel_id) {
    return core::NotFound("unknown message");
  }
  const auto& reactions = message->second.reactions;
  auto users = reactions.find(cmd.emoji);
  size_t count = users == reactions.end() ? 0 : users->second.size();
  bool present = users != reactions.end() && users->second.count(cmd.user_id) != 0;
  if (cmd.add && !present) {
    if (users == reactions.end() && reactions.size() >= kMaxReactionsPerMessage) {
      return core::InvalidArgument("message has 64 reactions");
    }
    ++count;
  } else if (!cmd.add && present) {
    --count;
  }
  return GuildEvents{events::MessageReactionChanged{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .message_id = cmd.message_id,
      .user_id = cmd.user_id,
      .emoji = cmd.emoji,
      .operation = cmd.add ? "add" : "remove",
      .count = static_cast<int64_t>(count),
      .changed_at_unix = cmd.now_unix,
  }};
}

}  // namespace filament::commands
