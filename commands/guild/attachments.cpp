#include "commands/guild/attachments.hpp"

#include "commands/validation.hpp"
#include "core/utf8.hpp"

namespace filament::commands {
namespace {

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

core::Status ValidateAttachmentFilename(std::string_view filename) {
  if (filename.empty() || filename.size() > 128) {
    return core::InvalidArgument("filename must be 1..128 bytes");
  }
  if (filename.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos) {
    return core::InvalidArgument("filename contains '/', '\\\\' or NUL");
  }
  if (!core::IsValidUtf8(filename)) return core::InvalidArgument("filename is not UTF-8");
  return core::OkStatus();
}

core::Result<GuildEvents> Decide(const GuildState& guild, const UploadAttachment& cmd) {
  FILAMENT_RETURN_IF_ERROR(ValidateAttachmentFilename(cmd.filename));
  if (cmd.size_bytes == 0) return core::InvalidArgument("empty body");
  if (cmd.mime_type.empty() || cmd.mime_type.size() > 255) {
    return core::InvalidArgument("bad MIME type");
  }
  if (cmd.sha256_hex.size() != 64 || !IsLowerHex(cmd.sha256_hex)) {
    return core::InvalidArgument("bad digest");
  }
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto effective = EvaluateChannel(guild.authz, cmd.owner_id, cmd.channel_id);
  if (!effective.ok()) return core::PermissionDenied(effective.error().message);
  if (!effective->permissions.Has(Permission::kCreateMessage)) {
    return core::PermissionDenied("missing create_message");
  }
  return GuildEvents{events::AttachmentUploaded{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .attachment_id = cmd.attachment_id,
      .owner_id = cmd.owner_id,
      .filename = cmd.filename,
      .mime_type = cmd.mime_type,
      .size_bytes = static_cast<int64_t>(cmd.size_bytes),
      .sha256_hex = cmd.sha256_hex,
      .uploaded_at_unix = cmd.now_unix,
  }};
}

core::Result<GuildEvents> Decide(const GuildState& guild, const DeleteAttachment& cmd) {
  if (!guild.exists) return core::PermissionDenied("unknown guild");
  auto effective = EvaluateGuild(guild.authz, cmd.actor_id);
  if (!effective.ok()) return effective.error();
  auto it = guild.attachments.find(cmd.attachment_id);
  if (it == guild.attachments.end() || it->second.channel_id != cmd.channel_id) {
    return core::NotFound("unknown attachment");
  }
  if (it->second.owner_id != cmd.actor_id && effective->role == LegacyRole::kMember) {
    return core::PermissionDenied("not the owner and the legacy role lacks delete_message");
  }
  return GuildEvents{events::AttachmentDeleted{
      .guild_id = cmd.guild_id,
      .channel_id = cmd.channel_id,
      .attachment_id = cmd.attachment_id,
      .owner_id = it->second.owner_id,
      .deleted_by = cmd.actor_id,
      .deleted_at_unix = cmd.now_unix,
  }};
}

}  // namespace filament::commands
