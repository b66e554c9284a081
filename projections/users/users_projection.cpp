#include "projections/users/users_projection.hpp"

#include <nlohmann/json.hpp>

#include "adapters/markdown/markdown_tokens.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "projections/decode_record.hpp"
#include "projections/sql_script.hpp"

namespace filament::projections {

namespace {

using std::to_string;

void ApplyProfile(SqlScript& out, pqxx::dbtransaction& tx, const events::ProfileUpdated& e) {
  if (e.username) {
    out.Add(tx, "UPDATE users SET username = $2 WHERE user_id = $1", {e.user_id, *e.username});
  }
  if (e.about_markdown) {
    out.Add(tx,
            "UPDATE users SET about_markdown = $2, about_markdown_tokens = $3 WHERE user_id = $1",
            {e.user_id, *e.about_markdown, markdown::MarkdownTokensJson(*e.about_markdown)});
  }
}

void ApplyAvatar(SqlScript& out, pqxx::dbtransaction& tx, const events::ProfileAvatarChanged& e) {
  out.Add(tx,
          "UPDATE users SET avatar_version = $2, avatar_blob_id = $3, avatar_mime = $4, "
          "avatar_sha256 = $5, avatar_size = $6 WHERE user_id = $1",
          {e.user_id, to_string(e.avatar_version), e.blob_id, e.mime_type, e.sha256_hex,
           to_string(e.size_bytes)});
}

void ApplyBanner(SqlScript& out, pqxx::dbtransaction& tx, const events::ProfileBannerChanged& e) {
  out.Add(tx,
          "UPDATE users SET banner_version = $2, banner_blob_id = $3, banner_mime = $4, "
          "banner_sha256 = $5, banner_size = $6 WHERE user_id = $1",
          {e.user_id, to_string(e.banner_version), e.blob_id, e.mime_type, e.sha256_hex,
           to_string(e.size_bytes)});
}

// Operator events are rare: they run directly, after what is buffered (log order).
core::Status ApplyServer(SqlScript& out, pqxx::dbtransaction& tx,
                         const events::StoredRecord& record) {
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  out.Run(tx);
  if (const auto* owner = std::get_if<events::ServerOwnerChanged>(&*event)) {
    tx.exec_params(
        "INSERT INTO server_owner (owner_user_id, changed_at_unix) VALUES ($1, $2) "
        "ON CONFLICT (singleton) DO UPDATE SET owner_user_id = EXCLUDED.owner_user_id, "
        "changed_at_unix = EXCLUDED.changed_at_unix",
        owner->owner_user_id, owner->changed_at_unix);
  } else if (const auto* locked = std::get_if<events::UserLocked>(&*event)) {
    tx.exec_params(
        "INSERT INTO locked_users (user_id, reason, locked_at_unix) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason, "
        "locked_at_unix = EXCLUDED.locked_at_unix",
        locked->user_id, locked->reason, locked->locked_at_unix);
  } else if (const auto* unlocked = std::get_if<events::UserUnlocked>(&*event)) {
    tx.exec_params("DELETE FROM locked_users WHERE user_id = $1", unlocked->user_id);
  } else if (const auto* reset = std::get_if<events::UserPasswordReset>(&*event)) {
    tx.exec_params(
        "INSERT INTO password_resets (user_id, reset_id, reset_at_unix) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET reset_id = EXCLUDED.reset_id, "
        "reset_at_unix = EXCLUDED.reset_at_unix",
        reset->user_id, reset->reset_id, reset->reset_at_unix);
  }
  return core::OkStatus();
}

}  // namespace

bool UsersProjection::Ignores(const events::RecordMeta& meta) const {
  if (meta.stream.rfind("server:", 0) == 0) return false;
  return meta.stream.rfind("user:", 0) != 0 || meta.type.rfind("session_", 0) == 0;
}

// Buffers each change as a statement; Flush sends the batch's statements in one round trip.
core::Status UsersProjection::Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) {
  if (Ignores(record.record.meta)) return core::OkStatus();
  if (record.record.meta.stream.rfind("server:", 0) == 0) return ApplyServer(script_, tx, record);
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  if (const auto* e = std::get_if<events::UserRegistered>(&*event)) {
    script_.Add(tx, "INSERT INTO users (user_id, username, registered_at_unix) VALUES ($1, $2, $3)",
                {e->user_id, e->username, to_string(e->registered_at_unix)});
  } else if (const auto* updated = std::get_if<events::ProfileUpdated>(&*event)) {
    ApplyProfile(script_, tx, *updated);
  } else if (const auto* avatar = std::get_if<events::ProfileAvatarChanged>(&*event)) {
    ApplyAvatar(script_, tx, *avatar);
  } else if (const auto* banner = std::get_if<events::ProfileBannerChanged>(&*event)) {
    ApplyBanner(script_, tx, *banner);
  }
  return core::OkStatus();
}

core::Status UsersProjection::Flush(pqxx::dbtransaction& tx) {
  script_.Run(tx);
  return core::OkStatus();
}

std::string ProfileJson(const Profile& p) {
  nlohmann::ordered_json out;
  out["user_id"] = p.user_id;
  out["username"] = p.username;
  out["about_markdown"] = p.about_markdown;
  out["about_markdown_tokens"] =
      nlohmann::json::parse(p.about_markdown_tokens_json, nullptr, false);
  out["avatar_version"] = p.avatar_version;
  out["banner_version"] = p.banner_version;
  return out.dump();
}

core::Result<std::optional<Profile>> UsersQueries::FindById(const std::string& user_id) {
  using Out = core::Result<std::optional<Profile>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto rows = pgstore::ExecPrepared(
        c, "filament_users_find_by_id",
        "SELECT user_id, username, about_markdown, about_markdown_tokens, avatar_version, "
        "banner_version FROM users WHERE user_id = $1",
        user_id);
    if (rows.empty()) return std::optional<Profile>{};
    const auto& r = rows[0];
    return std::optional<Profile>{Profile{r[0].as<std::string>(), r[1].as<std::string>(),
                                          r[2].as<std::string>(), r[3].as<std::string>(),
                                          r[4].as<int64_t>(), r[5].as<int64_t>()}};
  });
}

core::Result<std::optional<ProfileImage>> UsersQueries::FindImage(const std::string& user_id,
                                                                  ProfileImageKind kind) {
  using Out = core::Result<std::optional<ProfileImage>>;
  const bool avatar = kind == ProfileImageKind::kAvatar;
  const char* sql = avatar ? "SELECT avatar_blob_id, avatar_mime, avatar_sha256, avatar_size "
                             "FROM users WHERE user_id = $1 AND avatar_blob_id IS NOT NULL"
                           : "SELECT banner_blob_id, banner_mime, banner_sha256, banner_size "
                             "FROM users WHERE user_id = $1 AND banner_blob_id IS NOT NULL";
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto rows = pgstore::ExecPrepared(c, avatar ? "filament_users_avatar" : "filament_users_banner",
                                      sql, user_id);
    if (rows.empty()) return std::optional<ProfileImage>{};
    const auto& r = rows[0];
    return std::optional<ProfileImage>{ProfileImage{r[0].as<std::string>(), r[1].as<std::string>(),
                                                    r[2].as<std::string>(), r[3].as<int64_t>()}};
  });
}

core::Result<std::vector<Profile>> UsersQueries::FindMany(
    const std::vector<std::string>& user_ids) {
  using Out = core::Result<std::vector<Profile>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    std::string array = "{";
    for (size_t i = 0; i < user_ids.size(); ++i) {
      array += (i == 0 ? "" : ",") + user_ids[i];  // canonical ULIDs: no quoting needed
    }
    array += "}";
    auto rows = pgstore::ExecPrepared(
        c, "filament_users_many",
        "SELECT u.user_id, u.username, u.about_markdown, u.about_markdown_tokens, "
        "u.avatar_version, u.banner_version FROM unnest($1::text[]) WITH ORDINALITY AS q(id, n) "
        "JOIN users u ON u.user_id = q.id ORDER BY q.n",
        array);
    std::vector<Profile> out;
    for (const auto& r : rows) {
      out.push_back(Profile{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                            r[3].as<std::string>(), r[4].as<int64_t>(), r[5].as<int64_t>()});
    }
    return out;
  });
}

}  // namespace filament::projections
