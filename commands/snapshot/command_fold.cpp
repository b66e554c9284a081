#include "commands/snapshot/command_fold.hpp"

#include "commands/snapshot/snapshot_codec.hpp"

namespace filament::commands {
namespace {

template <typename State, typename StreamEvent>
core::Status FoldInto(std::unordered_map<std::string, State>& states,
                      const events::RecordMeta& meta, const StreamEvent& event) {
  State& state = states[meta.stream.substr(meta.stream.find(':') + 1)];
  if (meta.stream_version != state.version + 1) {
    return core::Internal("stream version gap at " + meta.stream + ": expected " +
                          std::to_string(state.version + 1) + ", got " +
                          std::to_string(meta.stream_version));
  }
  Apply(state, event);
  return core::OkStatus();
}

}  // namespace

core::Result<events::Event> DecodeLogged(const events::StoredRecord& stored) {
  const auto& meta = stored.record.meta;
  auto where = [&] {
    return " at " + events::FormatPosition(stored.position) + " (" + meta.type + ")";
  };
  if (stored.decode_error) {
    return core::Internal("undecodable log record" + where() + ": " + stored.decode_error->message);
  }
  auto event = events::DecodeEvent(meta.type, meta.schema_version, stored.record.payload);
  if (!event.ok()) {
    return core::Internal("undecodable event" + where() + ": " + event.error().message);
  }
  return event;
}

core::Status CommandFold::Fold(const events::StoredRecord& stored) {
  const auto& meta = stored.record.meta;
  auto where = [&] {
    return " at " + events::FormatPosition(stored.position) + " (" + meta.type + ")";
  };
  const auto partition = static_cast<size_t>(stored.position.partition);
  if (stored.position.partition < 0 || partition >= ends.size()) {
    return core::Internal("record of an unknown partition" + where());
  }
  auto event = DecodeLogged(stored);
  if (!event.ok()) return event.error();
  Apply(directory, *event);
  attachments.Apply(*event);
  if (const auto* owner = std::get_if<events::ServerOwnerChanged>(&*event)) {
    server_owner_user_id = owner->owner_user_id;
  }
  core::Status folded = core::OkStatus();
  if (auto guild_event = events::AsGuildEvent(*event)) {
    if (!undecoded_guilds.empty()) {
      folded = CompleteGuild(meta.stream.substr(meta.stream.find(':') + 1));
    }
    if (folded.ok()) folded = FoldInto(guilds, meta, *guild_event);
  } else if (auto user_event = events::AsUserEvent(*event)) {
    folded = FoldInto(users, meta, *user_event);
  } else if (auto pair_event = events::AsFriendshipEvent(*event)) {
    folded = FoldInto(friendships, meta, *pair_event);
  } else if (auto voice_event = events::AsVoiceEvent(*event)) {
    folded = FoldInto(voices, meta, *voice_event);
  }
  if (!folded.ok()) return core::Internal(folded.error().message + where());
  ends[partition] = stored.position.offset + 1;
  last_event_ids[partition] = meta.event_id;
  return core::OkStatus();
}

core::Status CommandFold::CompleteGuild(const std::string& id) {
  auto it = undecoded_guilds.find(id);
  if (it == undecoded_guilds.end()) return core::OkStatus();
  const EncodedGuildBody body = std::move(it->second);
  undecoded_guilds.erase(it);
  return snapshot::DecodeGuildBody(body.bytes, guilds[id]);
}

std::function<bool(GuildState&)> CommandFold::TakeGuildBody(const std::string& id) {
  auto it = undecoded_guilds.find(id);
  if (it == undecoded_guilds.end()) return nullptr;
  EncodedGuildBody body = std::move(it->second);
  undecoded_guilds.erase(it);
  return [body = std::move(body)](GuildState& state) {
    return snapshot::DecodeGuildBody(body.bytes, state).ok();
  };
}

core::Status CommandFold::CompleteGuilds() {
  while (!undecoded_guilds.empty()) {
    const std::string id = undecoded_guilds.begin()->first;
    FILAMENT_RETURN_IF_ERROR(CompleteGuild(id));
  }
  return core::OkStatus();
}

}  // namespace filament::commands
