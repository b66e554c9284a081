#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands/permissions.hpp"
#include "core/result.hpp"
#include "projections/projection.hpp"
#include "projections/sql_script.hpp"

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore

namespace filament::projections {

// Folds guild events into the workspace read models of migration 0005: guilds, roles,
// members, role assignments, bans, channels and channel overrides.
class GuildsProjection final : public Projection {
 public:
  std::string_view Name() const override { return "guilds"; }
  std::vector<std::string> Tables() const override;
  // Streams other than guild:, and the known types it has no rows for (messages, voice).
  bool Ignores(const events::RecordMeta& meta) const override;
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;
  core::Status Flush(pqxx::dbtransaction& tx) override;
  void Discard() override { script_.Clear(); }

 private:
  SqlScript script_;  // owned by the runner thread applying this projection
};

struct GuildRow {
  std::string guild_id;
  std::string name;
  std::string visibility;
};
std::string GuildJson(const GuildRow& guild);  // {guild_id, name, visibility}

struct ChannelRow {
  std::string channel_id;
  std::string name;
  std::string kind;
};
std::string ChannelJson(const ChannelRow& channel);  // {channel_id, name, kind}

struct RoleRow {
  std::string role_id;
  std::string name;
  int32_t position = 0;
  bool is_system = false;
  commands::PermissionSet permissions;
  std::optional<std::string> color_hex;
};
std::string RoleJson(const RoleRow& role);  // {role_id, name, position, is_system, ...}

struct MemberRow {
  std::string user_id;
  std::vector<std::string> role_ids;  // explicit assignments, sorted, never @everyone
};

struct IpBanRow {
  std::string ban_id;
  std::optional<std::string> source_user_id;
  std::optional<std::string> reason;
  int64_t created_at_unix = 0;
  std::optional<int64_t> expires_at_unix;
};

struct RolesPage {
  std::vector<RoleRow> roles;  // position desc, created asc, id asc
  std::optional<std::string> default_join_role_id;
};

// One guild as permission evaluation sees it, loaded for one user (commands::GuildAuthz holds
// only that user's membership, all roles, all channels and the overrides that can apply).
struct GuildView {
  GuildRow guild;
  commands::GuildAuthz authz;
  std::vector<ChannelRow> channels;  // creation order
};

// Reads of the guild read models. Thread-safe. Errors: kUnavailable, kInternal.
class GuildQueries {
 public:
  explicit GuildQueries(pgstore::ConnectionPool& pool) : pool_(pool) {}

  // Guilds where `user_id` is a non-banned member, newest first, at most `limit`.
  core::Result<std::vector<GuildRow>> ListForMember(const std::string& user_id, int limit);
  // Public guilds whose lower-cased name contains `query_lower`, newest first.
  core::Result<std::vector<GuildRow>> ListPublic(const std::string& query_lower, int limit);
  // nullopt when the guild does not exist.
  core::Result<std::optional<GuildView>> LoadForUser(const std::string& guild_id,
                                                     const std::string& user_id);
  // `user_id`'s effective permissions in a channel it may see (create_message is Filament's
  // visibility bit, contract §3.6). Errors: kPermissionDenied (unknown guild — no existence
  // oracle, contract §9 —, not a member, banned, or channel hidden), kNotFound (unknown
  // channel), kUnavailable/kInternal (database).
  core::Result<commands::Effective> VisibleChannelAccess(const std::string& guild_id,
                                                         const std::string& channel_id,
                                                         const std::string& user_id);

  // Governance reads (governance_queries.cpp).
  // Members with user id > `after` (ascending), at most `limit`.
  core::Result<std::vector<MemberRow>> ListMembers(const std::string& guild_id,
                                                   const std::optional<std::string>& after,
                                                   int limit);
  core::Result<RolesPage> ListRoles(const std::string& guild_id);
  // Active IP bans (not expired at `now_unix`), created desc then id desc, strictly after the
  // (created_at_unix, ban_id) cursor when given.
  core::Result<std::vector<IpBanRow>> ListIpBans(
      const std::string& guild_id, const std::optional<std::pair<int64_t, std::string>>& after,
      int limit, int64_t now_unix);

 private:
  pgstore::ConnectionPool& pool_;
};

}  // namespace filament::projections
