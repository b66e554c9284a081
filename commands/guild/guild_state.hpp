#pragma once

#include <cstdint>
#include <map>
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
};

// Folds one event into `state` and bumps its version. Pure and total: events are facts, so an
// event that does not fit the state (cannot happen for a well-formed log) is still applied
// as far as it makes sense, never rejected.
void Apply(GuildState& state, const events::GuildEvent& event);

GuildState Fold(const std::vector<events::GuildEvent>& events);

}  // namespace filament::commands
