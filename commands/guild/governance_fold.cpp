#include <algorithm>

#include "commands/guild/guild_state.hpp"

// The governance part of the guild fold. Events are facts: each overload applies what makes
// sense and never rejects (a well-formed log cannot hold an event that does not fit).
namespace filament::commands {
namespace {

// Contract §3.3: the legacy role follows the explicit assignments of the seeded roles.
void ResyncLegacyRole(const GuildAuthz& authz, MemberFacts& member) {
  const auto& held = member.assigned_role_ids;
  if (held.count(authz.owner_role_id) != 0) {
    member.legacy_role = LegacyRole::kOwner;
  } else if (held.count(authz.moderator_role_id) != 0) {
    member.legacy_role = LegacyRole::kModerator;
  } else {
    member.legacy_role = LegacyRole::kMember;
  }
}

OverrideFacts Override(const std::vector<std::string>& allow,
                       const std::vector<std::string>& deny) {
  return OverrideFacts{PermissionsFromNames(allow), PermissionsFromNames(deny)};
}

}  // namespace

void ApplyGovernance(GuildState& state, const events::GuildUpdated& e) {
  if (e.name) state.name = *e.name;
  if (e.visibility) state.visibility = *e.visibility;
}

void ApplyGovernance(GuildState& state, const events::MemberRoleChanged& e) {
  auto it = state.authz.members.find(e.user_id);
  if (it == state.authz.members.end()) return;
  const GuildAuthz& authz = state.authz;
  auto& held = it->second.assigned_role_ids;
  held.erase(authz.owner_role_id);
  held.erase(authz.moderator_role_id);
  held.erase(authz.member_role_id);
  auto role = ParseLegacyRole(e.role).value_or(LegacyRole::kMember);
  const std::string& seeded =
      role == LegacyRole::kModerator ? authz.moderator_role_id : authz.member_role_id;
  if (role != LegacyRole::kOwner && authz.roles.count(seeded) != 0) held.insert(seeded);
  it->second.legacy_role = role;
}

void ApplyGovernance(GuildState& state, const events::MemberRemoved& e) {
  state.authz.members.erase(e.user_id);
}

void ApplyGovernance(GuildState& state, const events::MemberBanned& e) {
  state.authz.banned_user_ids.insert(e.user_id);
}

void ApplyGovernance(GuildState& state, const events::RoleCreated& e) {
  state.authz.roles[e.role_id] = RoleFacts{e.role_id, static_cast<int32_t>(e.position), "",
                                           PermissionsFromNames(e.permissions)};
  state.role_meta[e.role_id] = {e.name, e.color_hex, e.created_at_unix};
}

void ApplyGovernance(GuildState& state, const events::RoleUpdated& e) {
  auto role = state.authz.roles.find(e.role_id);
  if (role == state.authz.roles.end()) return;
  if (e.permissions) role->second.allow = PermissionsFromNames(*e.permissions);
  auto& meta = state.role_meta[e.role_id];
  if (e.name) meta.name = *e.name;
  if (e.color_hex) meta.color_hex = *e.color_hex;
  if (e.color_cleared.value_or(false)) meta.color_hex.reset();
}

void ApplyGovernance(GuildState& state, const events::RoleDeleted& e) {
  state.authz.roles.erase(e.role_id);
  state.role_meta.erase(e.role_id);
  for (auto& [user_id, member] : state.authz.members) {
    if (member.assigned_role_ids.erase(e.role_id) != 0) ResyncLegacyRole(state.authz, member);
  }
  for (auto& [channel_id, channel] : state.authz.channels) channel.role_overrides.erase(e.role_id);
  if (state.default_join_role_id == e.role_id) state.default_join_role_id.reset();
}

void ApplyGovernance(GuildState& state, const events::RolesReordered& e) {
  auto position = static_cast<int32_t>(e.role_ids.size());
  for (const auto& role_id : e.role_ids) {
    if (auto it = state.authz.roles.find(role_id); it != state.authz.roles.end()) {
      it->second.position = position;
    }
    --position;
  }
}

void ApplyGovernance(GuildState& state, const events::DefaultJoinRoleSet& e) {
  state.default_join_role_id = e.role_id;
}

void ApplyGovernance(GuildState& state, const events::RoleAssigned& e) {
  auto it = state.authz.members.find(e.user_id);
  if (it == state.authz.members.end()) return;
  it->second.assigned_role_ids.insert(e.role_id);
  ResyncLegacyRole(state.authz, it->second);
}

void ApplyGovernance(GuildState& state, const events::RoleUnassigned& e) {
  auto it = state.authz.members.find(e.user_id);
  if (it == state.authz.members.end()) return;
  it->second.assigned_role_ids.erase(e.role_id);
  ResyncLegacyRole(state.authz, it->second);
}

void ApplyGovernance(GuildState& state, const events::LegacyChannelOverrideSet& e) {
  state.authz.channels[e.channel_id].role_overrides[e.role_id] = Override(e.allow, e.deny);
}

void ApplyGovernance(GuildState& state, const events::ChannelPermissionOverrideSet& e) {
  auto& channel = state.authz.channels[e.channel_id];
  auto& layer = e.target_kind == "role" ? channel.role_overrides : channel.member_overrides;
  layer[e.target_id] = Override(e.allow, e.deny);
}

void ApplyGovernance(GuildState&, const events::DirectoryJoinRecorded&) {
  // Audit only: a join that added nobody changes no state.
}

void ApplyGovernance(GuildState& state, const events::IpBansUpdated& e) {
  if (e.action == "remove") {
    for (const auto& ban_id : e.ban_ids) state.ip_bans.erase(ban_id);
    return;
  }
  for (size_t i = 0; i < e.ban_ids.size() && i < e.observation_ids.size(); ++i) {
    state.ip_bans[e.ban_ids[i]] = GuildState::IpBan{e.observation_ids[i], e.expires_at_unix};
  }
}

void ApplyGovernance(GuildState&, const events::IpBanHit&) {
  // Audit only.
}

}  // namespace filament::commands
