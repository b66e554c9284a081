#include "commands/guild/guild_state.hpp"

#include <algorithm>
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

void ApplyPosted(GuildState& state, const events::MessagePosted& e) {
  MessageFacts& message = state.messages[e.message_id];
  message.channel_id = e.channel_id;
  message.author_id = e.author_id;
  message.attachment_ids = e.attachment_ids;
  for (const auto& id : e.attachment_ids) {
    auto it = state.attachments.find(id);
    if (it != state.attachments.end()) it->second.message_id = e.message_id;
  }
}

void ApplyDeleted(GuildState& state, const events::MessageDeleted& e) {
  auto it = state.messages.find(e.message_id);
  if (it == state.messages.end()) return;
  for (const auto& id : it->second.attachment_ids) state.attachments.erase(id);
  state.messages.erase(it);
}

void ApplyReaction(GuildState& state, const events::MessageReactionChanged& e) {
  auto it = state.messages.find(e.message_id);
  if (it == state.messages.end()) return;
  auto& reactions = it->second.reactions;
  if (e.operation == "add") {
    reactions[e.emoji].insert(e.user_id);
    return;
  }
  auto users = reactions.find(e.emoji);
  if (users == reactions.end()) return;
  users->second.erase(e.user_id);
  if (users->second.empty()) reactions.erase(users);
}

void ApplyAttachmentDeleted(GuildState& state, const events::AttachmentDeleted& e) {
  auto it = state.attachments.find(e.attachment_id);
  if (it == state.attachments.end()) return;
  auto message = state.messages.find(it->second.message_id);
  if (message != state.messages.end()) {
    auto& ids = message->second.attachment_ids;
    ids.erase(std::remove(ids.begin(), ids.end(), e.attachment_id), ids.end());
  }
  state.attachments.erase(it);
}

void ApplyMessaging(GuildState& state, const events::GuildEvent& event) {
  if (const auto* e = std::get_if<events::MessagePosted>(&event)) {
    ApplyPosted(state, *e);
  } else if (const auto* e = std::get_if<events::MessageEdited>(&event)) {
    (void)e;  // content changes nothing the deciders read
  } else if (const auto* e = std::get_if<events::MessageDeleted>(&event)) {
    ApplyDeleted(state, *e);
  } else if (const auto* e = std::get_if<events::MessageReactionChanged>(&event)) {
    ApplyReaction(state, *e);
  } else if (const auto* e = std::get_if<events::AttachmentUploaded>(&event)) {
    state.attachments[e->attachment_id] = AttachmentFacts{
        e->channel_id, e->owner_id,  "",           static_cast<uint64_t>(e->size_bytes),
        e->filename,   e->mime_type, e->sha256_hex};
  } else if (const auto* e = std::get_if<events::AttachmentDeleted>(&event)) {
    ApplyAttachmentDeleted(state, *e);
  }
}

template <typename T>
constexpr bool kIsMessaging =
    std::is_same_v<T, events::MessagePosted> || std::is_same_v<T, events::MessageEdited> ||
    std::is_same_v<T, events::MessageDeleted> ||
    std::is_same_v<T, events::MessageReactionChanged> ||
    std::is_same_v<T, events::AttachmentUploaded> || std::is_same_v<T, events::AttachmentDeleted>;

// Governance events are folded in governance_fold.cpp.
template <typename T>
constexpr bool kIsGovernance = requires(GuildState& s, const T& e) {
  ApplyGovernance(s, e);
};

}  // namespace

void Apply(GuildState& state, const events::GuildEvent& event) {
  std::visit(
      [&state, &event](const auto& e) {
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
        } else if constexpr (kIsMessaging<T>) {
          ApplyMessaging(state, event);
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
