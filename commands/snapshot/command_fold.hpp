#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/attachment_quota.hpp"
#include "commands/friendship/friendship_state.hpp"
#include "commands/guild/guild_state.hpp"
#include "commands/user/user_directory.hpp"
#include "commands/user/user_state.hpp"
#include "commands/voice/voice_state.hpp"
#include "core/result.hpp"
#include "events/log_record.hpp"

namespace filament::commands {

// Everything the command side folds from the log (ADR 0002), at one log position: the state
// of every stream (keyed by the id after "guild:", "user:", ...), the UserDirectory and the
// attachment ledger. CommandService::Start builds one (from a snapshot or empty) and folds the
// tail of the log into it; the Snapshotter keeps its own and encodes it (ADR 0078).
// Not thread-safe; not movable (the ledger holds a mutex): hold it by unique_ptr.
// The event of a record read from the log. Errors (kInternal) name its position and type: a
// record the log adapter could not decode, or a payload that is not a valid event.
core::Result<events::Event> DecodeLogged(const events::StoredRecord& stored);

struct CommandFold {
  explicit CommandFold(int32_t partitions)
      : ends(static_cast<size_t>(partitions), 0), last_event_ids(static_cast<size_t>(partitions)) {}

  std::vector<int64_t> ends;  // index = partition: records [0, ends[p]) are folded
  // The event id of the record at ends[p] - 1 ("" when none): a loaded snapshot must match
  // the log it is resumed on (a recreated topic of the same length must not reuse it).
  std::vector<std::string> last_event_ids;
  std::unordered_map<std::string, GuildState> guilds;
  // A guild's messages and attachments as a loaded snapshot encodes them (ADR 0095): checked at
  // load, decoded on the guild's first use. `owner` keeps the snapshot's bytes alive.
  struct EncodedGuildBody {
    std::shared_ptr<const std::string> owner;
    std::string_view bytes;
  };
  // Guilds whose `guilds` entry holds all but its messages and attachments, which are still
  // encoded here. Whatever reads a guild's messages or attachments, or folds into it, first
  // calls CompleteGuild (Fold does); the rest of a guild's state is always there.
  std::unordered_map<std::string, EncodedGuildBody> undecoded_guilds;
  std::unordered_map<std::string, UserState> users;
  std::unordered_map<std::string, FriendshipState> friendships;
  std::unordered_map<std::string, VoiceState> voices;
  UserDirectory directory;
  AttachmentQuota attachments{0};  // only its ledger of live attachments is used
  // The server owner recorded on the log (the last ServerOwnerChanged; "" when none). The
  // command side reads the server stream on demand; the gateway's live access needs it at
  // the fold's position (ADR 0085).
  std::string server_owner_user_id;

  // Folds one record and moves `ends` past it. Errors (kInternal): a record that fails to
  // decode (the message names its position and type), a stream version gap, a partition
  // outside `ends`.
  core::Status Fold(const events::StoredRecord& stored);

  // Decodes the body of guild `id` (or of every guild) when it is still encoded. Errors
  // (kInternal): a body that does not decode — cannot happen for one the load checked.
  core::Status CompleteGuild(const std::string& id);
  core::Status CompleteGuilds();
  // Moves guild `id`'s still-encoded body out of the fold as the function that decodes it into
  // the guild's state (false when it does not decode); null when it has none. For a
  // StreamStates slot's `rest` (CommandService::Install).
  std::function<bool(GuildState&)> TakeGuildBody(const std::string& id);
};

}  // namespace filament::commands
