#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/result.hpp"
#include "projections/projection.hpp"
#include "projections/sql_script.hpp"

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore

namespace filament::projections {

// Folds user events into `users` (migration 0004): the profile read model; and the server
// stream's ServerOwnerChanged into `server_owner` (migration 0050) and UserLocked /
// UserUnlocked into `locked_users` and UserPasswordReset into `password_resets` (migration
// 0051, ADR 0066).
class UsersProjection final : public Projection {
 public:
  std::string_view Name() const override { return "users"; }
  std::vector<std::string> Tables() const override {
    return {"users", "server_owner", "locked_users", "password_resets"};
  }
  // Streams other than user: and server:, and the session events.
  bool Ignores(const events::RecordMeta& meta) const override;
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;
  core::Status Flush(pqxx::dbtransaction& tx) override;
  void Discard() override { script_.Clear(); }

 private:
  SqlScript script_;  // owned by the runner thread applying this projection
};

struct Profile {
  std::string user_id;
  std::string username;
  std::string about_markdown;
  std::string about_markdown_tokens_json;  // JSON array
  int64_t avatar_version = 0;
  int64_t banner_version = 0;
  int64_t registered_at_unix = 0;  // filled by ListByUsername only
};

enum class ProfileImageKind { kAvatar, kBanner };

// Where the current avatar or banner lives in the BlobStore, and what it is.
struct ProfileImage {
  std::string blob_id;
  std::string mime_type;
  std::string sha256_hex;
  int64_t size_bytes = 0;
};

// The contract's Profile object (REST_API.md §5), keys in contract order.
std::string ProfileJson(const Profile& profile);

// Reads of the users read model. Thread-safe. Errors: kUnavailable, kInternal.
class UsersQueries {
 public:
  explicit UsersQueries(pgstore::ConnectionPool& pool) : pool_(pool) {}
  core::Result<std::optional<Profile>> FindById(const std::string& user_id);
  // The profiles of `user_ids` that exist, in the order asked (unknown ids are left out).
  core::Result<std::vector<Profile>> FindMany(const std::vector<std::string>& user_ids);
  // The current image of `user_id`; nullopt for an unknown user or none uploaded yet.
  core::Result<std::optional<ProfileImage>> FindImage(const std::string& user_id,
                                                      ProfileImageKind kind);
  // `filament admin` (users_admin_queries.cpp): the user id of `username` (nullopt: none);
  // one page of users by name after `after_username` (at most `limit`); the owner recorded
  // on the log ("" when none).
  core::Result<std::optional<std::string>> FindIdByUsername(const std::string& username);
  core::Result<std::vector<Profile>> ListByUsername(const std::string& after_username,
                                                    int64_t limit);
  core::Result<std::string> RecordedServerOwner();
  // The accounts an operator locked (ADR 0066); a small set, read whole.
  core::Result<std::set<std::string>> LockedUserIds();
  // The latest password reset recorded for each user: user id → reset time (small, read whole).
  core::Result<std::map<std::string, int64_t>> PasswordResetTimes();
  // The reset id of the latest password reset of `user_id` ("" when none).
  core::Result<std::string> LastPasswordResetId(const std::string& user_id);

 private:
  pgstore::ConnectionPool& pool_;
};

}  // namespace filament::projections
