#include "gateway/bridge/governance_payloads.hpp"

#include <nlohmann/json.hpp>

namespace filament::gateway {
namespace {

using Json = nlohmann::ordered_json;

GatewayMessage ToGuild(const std::string& guild_id, std::string_view type, const Json& d) {
  return GatewayMessage{
      GatewayMessage::Scope::kGuild, guild_id, "", "", std::string(type), d.dump()};
}

Json Base(const std::string& guild_id) { return Json{{"guild_id", guild_id}}; }

Json Build(const events::GuildUpdated& e) {
  Json d = Base(e.guild_id);
  Json fields = Json::object();
  if (e.name) fields["name"] = *e.name;
  if (e.visibility) fields["visibility"] = *e.visibility;
  d["updated_fields"] = fields;
  d["updated_at_unix"] = e.updated_at_unix;
  return d;
}

Json Build(const events::MemberRoleChanged& e) {
  Json d = Base(e.guild_id);
  d["user_id"] = e.user_id;
  d["updated_fields"] = Json{{"role", e.role}};
  d["updated_at_unix"] = e.updated_at_unix;
  return d;
}

Json Build(const events::MemberRemoved& e) {
  Json d = Base(e.guild_id);
  d["user_id"] = e.user_id;
  d["reason"] = e.reason;
  d["removed_at_unix"] = e.removed_at_unix;
  return d;
}

Json Build(const events::MemberBanned& e) {
  Json d = Base(e.guild_id);
  d["user_id"] = e.user_id;
  d["banned_at_unix"] = e.banned_at_unix;
  return d;
}

Json Build(const events::RoleCreated& e) {
  Json d = Base(e.guild_id);
  Json role{{"role_id", e.role_id},
            {"name", e.name},
            {"position", e.position},
            {"is_system", false},
            {"permissions", e.permissions}};
  role["color_hex"] = e.color_hex ? Json(*e.color_hex) : Json(nullptr);
  d["role"] = role;
  return d;
}

Json Build(const events::RoleUpdated& e) {
  Json d = Base(e.guild_id);
  d["role_id"] = e.role_id;
  Json fields = Json::object();
  if (e.name) fields["name"] = *e.name;
  if (e.permissions) fields["permissions"] = *e.permissions;
  if (e.color_hex) fields["color_hex"] = *e.color_hex;
  if (e.color_cleared.value_or(false)) fields["color_hex"] = nullptr;
  d["updated_fields"] = fields;
  d["updated_at_unix"] = e.updated_at_unix;
  return d;
}

Json Build(const events::RoleDeleted& e) {
  Json d = Base(e.guild_id);
  d["role_id"] = e.role_id;
  d["deleted_at_unix"] = e.deleted_at_unix;
  return d;
}

Json Build(const events::RolesReordered& e) {
  Json d = Base(e.guild_id);
  d["role_ids"] = e.role_ids;
  d["updated_at_unix"] = e.updated_at_unix;
  return d;
}

Json Build(const events::RoleAssigned& e) {
  Json d = Base(e.guild_id);
  d["user_id"] = e.user_id;
  d["role_id"] = e.role_id;
  d["assigned_at_unix"] = e.assigned_at_unix;
  return d;
}

Json Build(const events::RoleUnassigned& e) {
  Json d = Base(e.guild_id);
  d["user_id"] = e.user_id;
  d["role_id"] = e.role_id;
  d["removed_at_unix"] = e.removed_at_unix;
  return d;
}

Json Build(const events::LegacyChannelOverrideSet& e) {
  Json d = Base(e.guild_id);
  d["channel_id"] = e.channel_id;
  d["role"] = e.role;
  d["updated_fields"] = Json{{"allow", e.allow}, {"deny", e.deny}};
  d["updated_at_unix"] = e.updated_at_unix;
  return d;
}

Json Build(const events::ChannelPermissionOverrideSet& e) {
  Json d = Base(e.guild_id);
  d["channel_id"] = e.channel_id;
  d["target_kind"] = e.target_kind;
  d["target_id"] = e.target_id;
  d["updated_fields"] = Json{{"allow", e.allow}, {"deny", e.deny}};
  d["updated_at_unix"] = e.updated_at_unix;
  return d;
}

Json Build(const events::IpBansUpdated& e) {
  Json d = Base(e.guild_id);
  d["summary"] = Json{{"action", e.action}, {"changed_count", e.ban_ids.size()}};
  d["updated_at_unix"] = e.at_unix;
  return d;
}

struct Entry {
  std::string_view gateway_type;
  std::string_view domain_type;
};

// gateway type ← domain type, one line per governance route (schema/events.yaml).
constexpr Entry kEntries[] = {
    {"workspace_update", events::GuildUpdated::kType},
    {"workspace_member_update", events::MemberRoleChanged::kType},
    {"workspace_member_remove", events::MemberRemoved::kType},
    {"workspace_member_ban", events::MemberBanned::kType},
    {"workspace_role_create", events::RoleCreated::kType},
    {"workspace_role_update", events::RoleUpdated::kType},
    {"workspace_role_delete", events::RoleDeleted::kType},
    {"workspace_role_reorder", events::RolesReordered::kType},
    {"workspace_role_assignment_add", events::RoleAssigned::kType},
    {"workspace_role_assignment_remove", events::RoleUnassigned::kType},
    {"workspace_channel_role_override_update", events::LegacyChannelOverrideSet::kType},
    {"workspace_channel_permission_override_update", events::ChannelPermissionOverrideSet::kType},
    {"workspace_ip_ban_sync", events::IpBansUpdated::kType},
};

template <typename T>
constexpr bool kBuildable = requires(const T& e) {
  Build(e);
};

}  // namespace

std::optional<core::Result<GatewayMessage>> BuildGovernancePayload(std::string_view gateway_type,
                                                                   const events::Event& event,
                                                                   const events::RecordMeta& meta) {
  const Entry* entry = nullptr;
  for (const auto& candidate : kEntries) {
    if (candidate.gateway_type == gateway_type) entry = &candidate;
  }
  if (entry == nullptr) return std::nullopt;
  return std::visit(
      [&](const auto& e) -> core::Result<GatewayMessage> {
        using T = std::decay_t<decltype(e)>;
        if constexpr (kBuildable<T>) {
          if (T::kType == entry->domain_type) {
            Json d = Build(e);
            d["actor_user_id"] = meta.actor_user_id;
            GatewayMessage message = ToGuild(e.guild_id, gateway_type, d);
            if constexpr (std::is_same_v<T, events::MemberRemoved> ||
                          std::is_same_v<T, events::MemberBanned>) {
              message.user_id = e.user_id;  // the removed member still hears of it
            }
            return message;
          }
        }
        return core::Internal("no payload builder for " + std::string(gateway_type));
      },
      event);
}

std::vector<std::string_view> GovernanceGatewayTypes() {
  std::vector<std::string_view> out;
  for (const auto& entry : kEntries) out.push_back(entry.gateway_type);
  return out;
}

}  // namespace filament::gateway
