#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "commands/user/user_state.hpp"
#include "core/result.hpp"

// Profile changes on the user stream (REST_API.md §4.3).
namespace filament::commands {

inline constexpr size_t kMaxAboutMarkdownBytes = 2048;

// PATCH /users/me/profile. `username_taken` is the cross-user fact "another account holds
// `username`", read by the command service under the directory lock (CommandService::
// UpdateProfile), which also claims the name in the credential store.
struct UpdateProfile {
  std::optional<std::string> username;
  std::optional<std::string> about_markdown;
  int64_t now_unix = 0;
  bool username_taken = false;
};

// Errors: kInvalidArgument (neither field, username rules, name taken, about over 2048
// bytes, NUL or invalid UTF-8), kNotFound (no such user). Keys that were requested are in the
// event even when unchanged (the gateway's `updated_fields` reports what was requested).
core::Result<UserEvents> Decide(const UserState& user, const UpdateProfile& cmd);

// A stored avatar or banner (the blob is already durable in the BlobStore).
struct ChangeProfileImage {
  enum class Kind { kAvatar, kBanner };
  Kind kind = Kind::kAvatar;
  std::string blob_id;
  int64_t size_bytes = 0;
  std::string mime_type;
  std::string sha256_hex;
  int64_t now_unix = 0;
};

// The new version is max(old + 1, now) (contract §4.3). Errors: kNotFound (no such user).
core::Result<UserEvents> Decide(const UserState& user, const ChangeProfileImage& cmd);

}  // namespace filament::commands
