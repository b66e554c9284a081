#include "commands/guild/guild_state.hpp"

#include <type_traits>

namespace filament::commands {
namespace {

RoleFacts SeededRole(std::string id, int32_t position, std::string key, PermissionSet allow) {
  return RoleFacts{std::move(id), position, std::move(key), allow};
}

void ApplyCreated(GuildState& state, const events::GuildCreated& e) {
  state.exists = true;
  state.guild_id = e.guild_id;
  state.name = e.name;
  state.visibility = e.visibility;
  state.creator_user_id = e.creator_user_id;
  state.created_at_unix = e.created_at_unix;
  GuildAuthz& authz = state.authz;
  authz.everyone_role_id = e.everyone_role_id;
  authz.owner_role_id = e.owner_role_id;
  authz.moderator_role_id = e.moderator_role_id;
  authz.member_role_id = e.member_role_id;
  authz.roles[e.everyone_role_id] =
      SeededRole(e.everyone_role_id, 0, "everyone", EveryoneDefaultPermissions());
  authz.roles[e.owner_role_id] =
      SeededRole(e.owner_role_id, 10000, "workspace_owner", PermissionSet::All());
  authz.roles[e.moderator_role_id] =
      SeededRole(e.moderator_role_id, 100, "moderator", ModeratorRolePermissions());
  authz.roles[e.member_role_id] =
      SeededRole(e.member_role_id, 1, "member", MemberRolePermissions());
  authz.members[e.creator_user_id] = MemberFacts{LegacyRole::kOwner, {e.owner_role_id}};
  state.role_meta[e.everyone_role_id] = {"@everyone", std::nullopt, e.created_at_unix};
  state.role_meta[e.owner_role_id] = {"workspace_owner", std::nullopt, e.created_at_unix};
  state.role_meta[e.moderator_role_id] = {"moderator", std::nullopt, e.created_at_unix};
  state.role_meta[e.member_role_id] = {"member", std::nullopt, e.created_at_unix};
}

// Governance events are folded in governance_fold.cpp.
template <typename T>
constexpr bool kIsGovernance = requires(GuildState& s, const T& e) {
  ApplyGovernance(s, e);
};

}  // namespace

void Apply(GuildState& state, const events::GuildEvent& event) {
  std::visit(
      [&state](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::GuildCreated>) {
          ApplyCreated(state, e);
        } else if constexpr (std::is_same_v<T, events::ChannelCreated>) {
          state.authz.channels[e.channel_id];
          state.channel_ids.push_back(e.channel_id);
        } else if constexpr (std::is_same_v<T, events::MemberJoined>) {
          auto role = ParseLegacyRole(e.role).value_or(LegacyRole::kMember);
          auto& member = state.authz.members[e.user_id];
          member.legacy_role = role;
          if (e.default_role_id) member.assigned_role_ids.insert(*e.default_role_id);
        } else if constexpr (kIsGovernance<T>) {
          ApplyGovernance(state, e);
        } else if constexpr (std::is_same_v<T, events::MessagePosted>) {
          // Messages change nothing the deciders read.
        } else {
          static_assert(sizeof(T) == 0, "GuildState::Apply must handle every guild event");
        }
      },
      event);
  ++state.version;
}

GuildState Fold(const std::vector<events::GuildEvent>& events) {
  GuildState state;
  for (const auto& event : events) Apply(state, event);
  return state;
}

}  // namespace filament::commands
