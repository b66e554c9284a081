#include "commands/permissions.hpp"

#include <array>

namespace filament::commands {
namespace {

constexpr std::array<std::string_view, kPermissionCount> kNames = {
    "manage_roles",   "manage_member_roles", "manage_workspace_roles", "manage_channel_overrides",
    "delete_message", "ban_member",          "view_audit_log",         "manage_ip_bans",
    "create_message", "publish_video",       "publish_screen_share",   "subscribe_streams",
};

PermissionSet ApplyLayer(PermissionSet current, const OverrideFacts& layer) {
  // Deny wins inside a layer: an allow bit that is also denied is dropped.
  PermissionSet allow = layer.allow.Without(layer.deny);
  return current.Without(layer.deny) | allow;
}

}  // namespace

std::set<std::string> AssignedRoles(const GuildAuthz& guild, const MemberFacts& member) {
  std::set<std::string> assigned;
  for (const auto& role_id : member.assigned_role_ids) {
    if (guild.roles.count(role_id) != 0) assigned.insert(role_id);
  }
  const std::string* seeded = nullptr;
  switch (member.legacy_role) {
    case LegacyRole::kOwner:
      seeded = &guild.owner_role_id;
      break;
    case LegacyRole::kModerator:
      seeded = &guild.moderator_role_id;
      break;
    case LegacyRole::kMember:
      seeded = &guild.member_role_id;
      break;
  }
  if (seeded != nullptr && guild.roles.count(*seeded) != 0) assigned.insert(*seeded);
  return assigned;
}

PermissionSet PermissionSet::Of(std::initializer_list<Permission> permissions) {
  uint64_t bits = 0;
  for (Permission p : permissions) bits |= uint64_t{1} << static_cast<int>(p);
  return PermissionSet(bits);
}

std::vector<std::string_view> PermissionSet::Names() const {
  std::vector<std::string_view> names;
  for (int bit = 0; bit < kPermissionCount; ++bit) {
    if ((bits_ >> bit) & 1) names.push_back(kNames[bit]);
  }
  return names;
}

std::string_view PermissionName(Permission p) { return kNames[static_cast<int>(p)]; }

std::optional<Permission> ParsePermission(std::string_view name) {
  for (int bit = 0; bit < kPermissionCount; ++bit) {
    if (kNames[bit] == name) return static_cast<Permission>(bit);
  }
  return std::nullopt;
}

PermissionSet PermissionsFromNames(const std::vector<std::string>& names) {
  uint64_t bits = 0;
  for (const auto& name : names) {
    if (auto p = ParsePermission(name)) bits |= uint64_t{1} << static_cast<int>(*p);
  }
  return PermissionSet::FromBits(bits);
}

std::vector<std::string> PermissionNameList(PermissionSet set) {
  std::vector<std::string> out;
  for (auto name : set.Names()) out.emplace_back(name);
  return out;
}

PermissionSet LegacyPermissions(LegacyRole role) {
  switch (role) {
    case LegacyRole::kOwner:
      return PermissionSet::All();
    case LegacyRole::kModerator:
      return ModeratorRolePermissions().Without(
          PermissionSet::Of({Permission::kManageChannelOverrides}));
    case LegacyRole::kMember:
      return MemberRolePermissions();
  }
  return MemberRolePermissions();
}

std::string_view LegacyRoleName(LegacyRole role) {
  switch (role) {
    case LegacyRole::kOwner:
      return "owner";
    case LegacyRole::kModerator:
      return "moderator";
    case LegacyRole::kMember:
      return "member";
  }
  return "member";
}

std::optional<LegacyRole> ParseLegacyRole(std::string_view name) {
  if (name == "owner") return LegacyRole::kOwner;
  if (name == "moderator") return LegacyRole::kModerator;
  if (name == "member") return LegacyRole::kMember;
  return std::nullopt;
}

PermissionSet EveryoneDefaultPermissions() {
  return PermissionSet::Of({Permission::kCreateMessage, Permission::kSubscribeStreams});
}

PermissionSet MemberRolePermissions() { return EveryoneDefaultPermissions(); }

PermissionSet ModeratorRolePermissions() {
  return PermissionSet::Of({Permission::kManageMemberRoles, Permission::kManageChannelOverrides,
                            Permission::kDeleteMessage, Permission::kBanMember,
                            Permission::kViewAuditLog, Permission::kManageIpBans,
                            Permission::kCreateMessage, Permission::kPublishVideo,
                            Permission::kPublishScreenShare, Permission::kSubscribeStreams});
}

core::Result<Effective> EvaluateGuild(const GuildAuthz& guild, const std::string& user_id) {
  auto member = guild.members.find(user_id);
  if (member == guild.members.end() || guild.banned_user_ids.count(user_id) != 0) {
    return core::PermissionDenied("not a member of the guild");
  }
  Effective effective{member->second.legacy_role, {}};
  if (auto everyone = guild.roles.find(guild.everyone_role_id); everyone != guild.roles.end()) {
    effective.permissions = everyone->second.allow;
  }
  for (const auto& role_id : AssignedRoles(guild, member->second)) {
    if (role_id == guild.owner_role_id) {
      effective.permissions = PermissionSet::All();
      return effective;
    }
    effective.permissions = effective.permissions | guild.roles.at(role_id).allow;
  }
  return effective;
}

core::Result<Effective> EvaluateChannel(const GuildAuthz& guild, const std::string& user_id,
                                        const std::string& channel_id) {
  auto result = EvaluateGuild(guild, user_id);
  if (!result.ok()) return result;
  auto channel = guild.channels.find(channel_id);
  if (channel == guild.channels.end()) return core::NotFound("unknown channel");
  const MemberFacts& member = guild.members.at(user_id);
  std::set<std::string> assigned = AssignedRoles(guild, member);
  if (assigned.count(guild.owner_role_id) != 0) return result;  // owners ignore overrides
  Effective effective = *result;
  const auto& overrides = channel->second;
  if (auto it = overrides.role_overrides.find(guild.everyone_role_id);
      it != overrides.role_overrides.end()) {
    effective.permissions = ApplyLayer(effective.permissions, it->second);
  }
  OverrideFacts roles_layer;
  for (const auto& role_id : assigned) {
    if (auto it = overrides.role_overrides.find(role_id); it != overrides.role_overrides.end()) {
      roles_layer.allow = roles_layer.allow | it->second.allow;
      roles_layer.deny = roles_layer.deny | it->second.deny;
    }
  }
  effective.permissions = ApplyLayer(effective.permissions, roles_layer);
  if (auto it = overrides.member_overrides.find(user_id); it != overrides.member_overrides.end()) {
    effective.permissions = ApplyLayer(effective.permissions, it->second);
  }
  return effective;
}

}  // namespace filament::commands
