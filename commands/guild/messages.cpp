#include "commands/guild/messages.hpp"

#include <algorithm>

#include "commands/validation.hpp"

namespace filament::commands {
namespace {

// Each id must name an attachment the author uploaded to this channel and not yet bound.
core::Status CheckBindable(const GuildState& guild, const PostMessage& cmd) {
  for (const auto& id : cmd.attachment_ids) {
    auto it = guild.attachments.find(id);
    if (it == guild.attachments.end() || it->second.owner_id != cmd.author_id ||
        it->second.channel_id != cmd.channel_id || !it->second.message_id.empty()) {
      return core::InvalidArgument("attachment is unknown, not yours, elsewhere or bound");
    }
  }
  return core::OkStatus();
}

// The message `message_id` in `channel_id` when `actor_id` may change it: its author, or a
// member holding delete_message in the channel.
core::Result<const MessageFacts*> ChangeableMessage(const GuildState& guild,
                                                    const std::string& channel_id,
                                                    const std::string& message_id,
                                                    const std::string& actor_id) {
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto effective = EvaluateChannel(guild.authz, actor_id, channel_id);
  if (!effective.ok()) return effective.error();
  auto it = guild.messages.find(message_id);
  if (it == guild.messages.end() || it->second.channel_id != channel_id) {
    return core::NotFound("unknown message");
  }
  if (it->second.author_id != actor_id && !effective->permissions.Has(Permission::kDeleteMessage)) {
    return core::PermissionDenied("not the author and no delete_message");
  }
  return &it->second;
}

// Copies the bound attachments' upload facts into the event (schema: parallel lists).
void DescribeAttachments(const GuildState& guild, events::MessagePosted& posted) {
  if (posted.attachment_ids.empty()) return;
  std::vector<std::string> names, types, sizes, digests;
  for (const auto& id : posted.attachment_ids) {
    const AttachmentFacts& facts = guild.attachments.at(id);
    names.push_back(facts.filename);
    types.push_back(facts.mime_type);
    sizes.push_back(std::to_string(facts.size_bytes));
    digests.push_back(facts.sha256_hex);
  }
  posted.attachment_filenames = std::move(names);
  posted.attachment_mime_types = std::move(types);
  posted.attachment_size_bytes = std::move(sizes);
  posted.attachment_sha256_hex = std::move(digests);
}

}  // namespace

core::Result<GuildEvents> Decide(const GuildState& guild, const PostMessage& cmd) {
  if (!cmd.address_cleared &&
      std::any_of(guild.ip_bans.begin(), guild.ip_bans.end(),
                  [&](const auto& ban) { return ban.second.ActiveAt(cmd.now_unix); })) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition, "the guild has active IP bans",
                           std::string(kAddressCheckRequired));
  }
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
  FILAMENT_RETURN_IF_ERROR(CheckBindable(guild, cmd));
  events::MessagePosted posted{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .message_id = cmd.message_id,
      .author_id = cmd.author_id,
      .content = cmd.content,
      .attachment_ids = cmd.attachment_ids,
      .created_at_unix = cmd.now_unix,
  };
  DescribeAttachments(guild, posted);
  return GuildEvents{std::move(posted)};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const EditMessage& cmd) {
  if (cmd.content.empty()) return core::InvalidArgument("content must not be empty");
  FILAMENT_RETURN_IF_ERROR(ValidateMessageContent(cmd.content, 0));
  auto message = ChangeableMessage(guild, cmd.channel_id, cmd.message_id, cmd.editor_id);
  if (!message.ok()) return message.error();
  const std::string& author = (*message)->author_id;
  return GuildEvents{events::MessageEdited{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .message_id = cmd.message_id,
      .editor_id = cmd.editor_id,
      .content = cmd.content,
      .edited_at_unix = cmd.now_unix,
      .author_id = author,
      .moderation = author != cmd.editor_id,
  }};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const DeleteMessage& cmd) {
  auto message = ChangeableMessage(guild, cmd.channel_id, cmd.message_id, cmd.actor_id);
  if (!message.ok()) return message.error();
  const MessageFacts& facts = **message;
  events::MessageDeleted deleted{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .message_id = cmd.message_id,
      .deleted_by = cmd.actor_id,
      .deleted_at_unix = cmd.now_unix,
      .author_id = facts.author_id,
      .moderation = facts.author_id != cmd.actor_id,
  };
  if (!facts.attachment_ids.empty()) deleted.attachment_ids = facts.attachment_ids;
  return GuildEvents{std::move(deleted)};
}

}  // namespace filament::commands
