#pragma once

#include <cstdint>
#include <string>

#include "commands/guild/guild_state.hpp"
#include "core/result.hpp"

// Attachments uploaded to a workspace's channels (pure deciders on the guild aggregate, see
// messages.hpp). The owner's byte quota is not a guild fact: AttachmentQuota holds it, and
// the upload route reserves bytes there before it accepts them (docs/adr/0040).
namespace filament::commands {

struct UploadAttachment {
  std::string guild_id;
  std::string channel_id;
  std::string attachment_id;
  std::string owner_id;
  std::string filename;
  std::string mime_type;
  uint64_t size_bytes = 0;
  std::string sha256_hex;
  int64_t now_unix = 0;
};
// Errors: kPermissionDenied (not a member, no create_message in the channel, unknown
// channel), kInvalidArgument (filename, empty file, malformed MIME type or digest).
core::Result<GuildEvents> Decide(const GuildState& guild, const UploadAttachment& cmd);

struct DeleteAttachment {
  std::string guild_id;
  std::string channel_id;
  std::string attachment_id;
  std::string actor_id;
  int64_t now_unix = 0;
};
// By the owner, or by a member whose legacy role (owner, moderator) has delete_message.
// Errors: kPermissionDenied (not a member; neither), kNotFound (no such attachment in that
// channel).
core::Result<GuildEvents> Decide(const GuildState& guild, const DeleteAttachment& cmd);

// Filename rule of the upload route: 1..128 bytes, no '/', '\\' or NUL.
core::Status ValidateAttachmentFilename(std::string_view filename);

}  // namespace filament::commands
