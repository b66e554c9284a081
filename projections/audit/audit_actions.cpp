#include "projections/audit/audit_actions.hpp"

namespace filament::projections {
namespace {

using Target = std::optional<std::string>;

struct Action {
  std::string action;
  Target target;
  bool ip_ban_match = false;
};

std::optional<Action> ActionOf(const events::DirectoryJoinRecorded& e) {
  if (e.outcome == "already_member") return Action{"directory.join.accepted", e.user_id};
  if (e.outcome == "rejected_visibility") {
    return Action{"directory.join.rejected.visibility", e.user_id};
  }
  if (e.outcome == "rejected_user_ban")
    return Action{"directory.join.rejected.user_ban", e.user_id};
  return Action{"directory.join.rejected.ip_ban", e.user_id, true};
}

std::optional<Action> ActionOf(const events::MemberJoined& e) {
  if (e.source != "directory") return std::nullopt;
  return Action{"directory.join.accepted", e.user_id};
}

std::optional<Action> ActionOf(const events::RoleUpdated& e) {
  if (e.permissions) return Action{"role.permissions.update", std::nullopt};
  if (e.name) return Action{"role.update", std::nullopt};
  return Action{"role.color.update", std::nullopt};
}

std::optional<Action> ActionOf(const events::MemberRemoved& e) {
  if (e.reason != "kick") return std::nullopt;  // a ban's removal is audited as member.ban
  return Action{"member.kick", e.user_id};
}

std::optional<Action> ActionOf(const events::ChannelPermissionOverrideSet& e) {
  Target target;
  if (e.target_kind == "member") target = e.target_id;
  return Action{"channel.permission_override.update", target};
}

std::optional<Action> ActionOf(const events::RoleCreated&) { return Action{"role.create", {}}; }
std::optional<Action> ActionOf(const events::RoleDeleted&) { return Action{"role.delete", {}}; }
std::optional<Action> ActionOf(const events::RolesReordered&) { return Action{"role.reorder", {}}; }
std::optional<Action> ActionOf(const events::DefaultJoinRoleSet&) {
  return Action{"role.default_join.update", {}};
}
std::optional<Action> ActionOf(const events::RoleAssigned& e) {
  return Action{"role.assign", e.user_id};
}
std::optional<Action> ActionOf(const events::RoleUnassigned& e) {
  return Action{"role.unassign", e.user_id};
}
std::optional<Action> ActionOf(const events::MemberRoleChanged& e) {
  return Action{"member.role.update", e.user_id};
}
std::optional<Action> ActionOf(const events::MemberBanned& e) {
  return Action{"member.ban", e.user_id};
}
std::optional<Action> ActionOf(const events::LegacyChannelOverrideSet&) {
  return Action{"channel.override.update", {}};
}

std::optional<Action> ActionOf(const events::IpBansUpdated& e) {
  if (e.action == "remove") return Action{"moderation.ip_ban.remove", std::nullopt};
  return Action{"moderation.ip_ban.add", e.source_user_id};
}
std::optional<Action> ActionOf(const events::IpBanHit& e) {
  return Action{"moderation.ip_ban.hit", e.user_id, true};
}

std::optional<Action> ActionOf(const events::VoiceTokenIssued& e) {
  return Action{"media.token.issue", e.user_id};
}

template <typename T>
constexpr bool kAudited = requires(const T& e) {
  ActionOf(e);
};

}  // namespace

std::optional<AuditEntry> AuditEntryOf(const events::RecordMeta& meta, const events::Event& event) {
  return std::visit(
      [&meta](const auto& e) -> std::optional<AuditEntry> {
        using T = std::decay_t<decltype(e)>;
        if constexpr (kAudited<T>) {
          auto action = ActionOf(e);
          if (!action) return std::nullopt;
          return AuditEntry{meta.event_id,
                            e.guild_id,
                            meta.actor_user_id,
                            std::move(action->target),
                            std::move(action->action),
                            meta.time_unix_ms / 1000,
                            action->ip_ban_match};
        } else {
          return std::nullopt;
        }
      },
      event);
}

}  // namespace filament::projections
