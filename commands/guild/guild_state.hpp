#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/permissions.hpp"
#include "events/generated/event_types.hpp"

namespace filament::commands {

using GuildEvents = std::vector<events::GuildEvent>;

// What deciding edits, deletes, reactions and attachment binding needs of one live message.
struct MessageFacts {
  std::string channel_id;
  std::string author_id;
  std::vector<std::string> attachment_ids;                 // bound, in posting order
  std::map<std::string, std::set<std::string>> reactions;  // emoji -> reacting user ids
};

// An attachment uploaded to a channel of the workspace and not deleted.
struct AttachmentFacts {
  std::string channel_id;
  std::string owner_id;
  std::string message_id;  // empty while unbound
  uint64_t size_bytes = 0;
  std::string filename;
  std::string mime_type;
  std::string sha256_hex;
};

// The fold of one guild stream ("guild:<id>"): what the deciders need to know about a
// workspace, including its live messages and attachments (deleted ones are dropped).
struct GuildState {
  int64_t version = 0;  // number of events folded = the stream version
  bool exists = false;
  std::string guild_id;
  std::string name;
  std::string visibility;  // "private" | "public"
  std::string creator_user_id;
  int64_t created_at_unix = 0;
  GuildAuthz authz;
  std::vector<std::string> channel_ids;                          // creation order
  std::unordered_map<std::string, MessageFacts> messages;        // by message id
  std::unordered_map<std::string, AttachmentFacts> attachments;  // by attachment id
  // Governance (commands/guild/governance_fold.cpp): what responses need beyond GuildAuthz.
  struct RoleMeta {
    std::string name;
    std::optional<std::string> color_hex;
    int64_t created_at_unix = 0;
  };
  std::map<std::string, RoleMeta> role_meta;  // by role id, every role in authz.roles
  std::optional<std::string> default_join_role_id;
  struct IpBan {
    std::string observation_id;
    std::optional<int64_t> expires_at_unix;
    bool ActiveAt(int64_t now_unix) const {
      return !expires_at_unix || *expires_at_unix > now_unix;
    }
  };
  std::map<std::string, IpBan> ip_bans;  // by ban id; lifted bans are removed
};

// Folds one event into `state` and bumps its version. Pure and total: events are facts, so an
// event that does not fit the state (cannot happen for a well-formed log) is still applied
// as far as it makes sense, never rejected.
void Apply(GuildState& state, const events::GuildEvent& event);

// The governance part of the fold (roles, members, moderation, overrides, settings), one
// overload per event, in governance_fold.cpp.
void ApplyGovernance(GuildState& state, const events::GuildUpdated& e);
void ApplyGovernance(GuildState& state, const events::MemberRoleChanged& e);
void ApplyGovernance(GuildState& state, const events::MemberRemoved& e);
void ApplyGovernance(GuildState& state, const events::MemberBanned& e);
void ApplyGovernance(GuildState& state, const events::RoleCreated& e);
void ApplyGovernance(GuildState& state, const events::RoleUpdated& e);
void ApplyGovernance(GuildState& state, const events::RoleDeleted& e);
void ApplyGovernance(GuildState& state, const events::RolesReordered& e);
void ApplyGovernance(GuildState& state, const events::DefaultJoinRoleSet& e);
void ApplyGovernance(GuildState& state, const events::RoleAssigned& e);
void ApplyGovernance(GuildState& state, const events::RoleUnassigned& e);
void ApplyGovernance(GuildState& state, const events::LegacyChannelOverrideSet& e);
void ApplyGovernance(GuildState& state, const events::ChannelPermissionOverrideSet& e);
void ApplyGovernance(GuildState& state, const events::DirectoryJoinRecorded& e);
void ApplyGovernance(GuildState& state, const events::IpBansUpdated& e);
void ApplyGovernance(GuildState& state, const events::IpBanHit& e);

GuildState Fold(const std::vector<events::GuildEvent>& events);

}  // namespace filament::commands
