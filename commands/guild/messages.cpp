#include "commands/guild/messages.hpp"

#include "commands/validation.hpp"

namespace filament::commands {

core::Result<GuildEvents> Decide(const GuildState& guild, const PostMessage& cmd) {
  FILAMENT_RETURN_IF_ERROR(ValidateMessageContent(cmd.content, cmd.attachment_ids.size()));
  if (cmd.attachment_ids.size() > kMaxAttachmentsPerMessage) {
    return core::InvalidArgument("more than 5 attachments");
  }
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto effective = EvaluateChannel(guild.authz, cmd.author_id, cmd.channel_id);
  if (!effective.ok()) return effective.error();
  if (!effective->permissions.Has(Permission::kCreateMessage)) {
    return core::PermissionDenied("missing create_message");
  }
  if (!cmd.attachment_ids.empty()) {
    // Attachments are uploaded by a later feature (#3 covers none); an id can therefore never
    // name an unbound attachment owned by the author, which the contract answers with 400.
    return core::InvalidArgument("unknown attachment");
  }
  return GuildEvents{events::MessagePosted{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .message_id = cmd.message_id,
      .author_id = cmd.author_id,
      .content = cmd.content,
      .attachment_ids = cmd.attachment_ids,
      .created_at_unix = cmd.now_unix,
  }};
}

}  // namespace filament::commands
