#include "commands/user/profile.hpp"

#include <algorithm>

#include "commands/validation.hpp"
#include "core/utf8.hpp"

namespace filament::commands {
namespace {

core::Status ValidateAbout(std::string_view about) {
  if (about.size() > kMaxAboutMarkdownBytes) return core::InvalidArgument("about over 2048 bytes");
  if (about.find('\0') != std::string_view::npos) return core::InvalidArgument("NUL in about");
  if (!core::IsValidUtf8(about)) return core::InvalidArgument("about is not UTF-8");
  return core::OkStatus();
}

}  // namespace

core::Result<UserEvents> Decide(const UserState& user, const UpdateProfile& cmd) {
  if (!user.exists) return core::NotFound("unknown user");
  if (!cmd.username && !cmd.about_markdown) return core::InvalidArgument("empty profile update");
  if (cmd.username) {
    FILAMENT_RETURN_IF_ERROR(ValidateUsername(*cmd.username));
    if (cmd.username_taken && *cmd.username != user.username) {
      return core::InvalidArgument("username already taken");
    }
  }
  if (cmd.about_markdown) FILAMENT_RETURN_IF_ERROR(ValidateAbout(*cmd.about_markdown));
  return UserEvents{events::ProfileUpdated{.user_id = user.user_id,
                                           .username = cmd.username,
                                           .about_markdown = cmd.about_markdown,
                                           .updated_at_unix = cmd.now_unix}};
}

core::Result<UserEvents> Decide(const UserState& user, const ChangeProfileImage& cmd) {
  if (!user.exists) return core::NotFound("unknown user");
  if (cmd.size_bytes <= 0 || cmd.sha256_hex.size() != 64 || cmd.blob_id.empty()) {
    return core::InvalidArgument("incomplete blob metadata");
  }
  const bool avatar = cmd.kind == ChangeProfileImage::Kind::kAvatar;
  const int64_t old = avatar ? user.avatar_version : user.banner_version;
  const int64_t version = std::max(old + 1, cmd.now_unix);
  if (avatar) {
    return UserEvents{events::ProfileAvatarChanged{.user_id = user.user_id,
                                                   .avatar_version = version,
                                                   .blob_id = cmd.blob_id,
                                                   .size_bytes = cmd.size_bytes,
                                                   .mime_type = cmd.mime_type,
                                                   .sha256_hex = cmd.sha256_hex,
                                                   .updated_at_unix = cmd.now_unix}};
  }
  return UserEvents{events::ProfileBannerChanged{.user_id = user.user_id,
                                                 .banner_version = version,
                                                 .blob_id = cmd.blob_id,
                                                 .size_bytes = cmd.size_bytes,
                                                 .mime_type = cmd.mime_type,
                                                 .sha256_hex = cmd.sha256_hex,
                                                 .updated_at_unix = cmd.now_unix}};
}

}  // namespace filament::commands
