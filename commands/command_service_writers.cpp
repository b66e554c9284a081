// CommandService with several command writers on one log (ADR 0091): partition ownership on
// demand and the log follower's fold. See PartitionWriters.

#include "commands/command_service.hpp"

namespace filament::commands {

core::Status CommandService::OwnStream(const std::string& stream) {
  if (!writers_) return core::OkStatus();
  return writers_->EnsureOwned(events::PartitionFor(stream, log_.Partitions()));
}

bool CommandService::WritesNow(const std::string& stream) const {
  return !writers_ || writers_->Owns(events::PartitionFor(stream, log_.Partitions()));
}

void CommandService::ShareUploadReservations(UploadReservations* shared) {
  attachment_quota_.ShareReservations(shared, [this]() -> core::Status {
    if (!writers_) return core::OkStatus();  // a single writer folds every upload itself
    return writers_->CatchUpAll();
  });
}

bool CommandService::CaughtUpOn(const std::string& stream) {
  return writers_ && writers_->CatchUp(events::PartitionFor(stream, log_.Partitions())).ok();
}

bool CommandService::CaughtUpOnAll() { return writers_ && writers_->CatchUpAll().ok(); }

bool CommandService::IsFencedAppend(const core::Error& error) {
  return error.code == core::ErrorCode::kFailedPrecondition &&
         error.reason == events::kPartitionFencedReason;
}

core::Error CommandService::AppendFailed(const std::string& stream, const core::Error& error) {
  if (!writers_ || !IsFencedAppend(error)) return error;
  writers_->Lost(events::PartitionFor(stream, log_.Partitions()));
  return core::MakeError(core::ErrorCode::kUnavailable,
                         "another process took over the writes of " + stream + "; retry",
                         events::kPartitionFencedReason);
}

core::Status CommandService::Follow(const events::StoredRecord& stored) {
  const auto& meta = stored.record.meta;
  auto event = DecodeLogged(stored);
  if (!event.ok()) return event.error();
  const std::string id = meta.stream.substr(meta.stream.find(':') + 1);
  const int64_t version = meta.stream_version;
  bool foreign = false;  // a record this process did not append
  if (auto typed = events::AsGuildEvent(*event)) {
    foreign = FollowInto(guilds_, id, version, *typed, *event);
  } else if (auto typed = events::AsUserEvent(*event)) {
    foreign = FollowInto(users_, id, version, *typed, *event);
  } else if (auto typed = events::AsFriendshipEvent(*event)) {
    foreign = FollowInto(friendships_, id, version, *typed, *event);
  } else if (auto typed = events::AsVoiceEvent(*event)) {
    std::lock_guard voice_lock(voice_mutex_);  // before the slot's, as in OnVoice
    foreign = FollowInto(voices_, id, version, *typed, *event);
    auto& slot = voices_.FindOrCreate(id);
    std::lock_guard lock(slot.mutex);
    voice_registry_.Set(id, slot.state.participation);
  }
  // Own appends are folded under the stream's lock before the follower can see them, so a new
  // record in a partition this process owns was appended by another writer: it took the
  // partition over (on PostgreSQL this process's next append would be refused anyway; on a log
  // that does not fence, the librdkafka mock, ADR 0082 §6, this is the only signal). Give the
  // partition up; the next command takes it again and folds it to the end first.
  if (foreign && writers_->Owns(stored.position.partition)) {
    writers_log_("another writer appended to partition " +
                 std::to_string(stored.position.partition) + " (" + meta.stream + " version " +
                 std::to_string(version) + "): it took the partition over");
    writers_->Lost(stored.position.partition);
  }
  return core::OkStatus();  // other streams (server:main) are read on demand
}

}  // namespace filament::commands
