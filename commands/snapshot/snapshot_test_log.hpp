#pragma once

// A small log touching every part of the command-side state, for the snapshot tests.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "commands/snapshot/command_fold.hpp"
#include "events/generated/event_types.hpp"

namespace filament::commands::snapshot::snapshot_testing {

constexpr int32_t kPartitions = 2;

inline std::string Id(char tag, int n) {
  std::string id = "01HZZZZZZZZZZZZZZZZZZZZ" + std::string(1, tag);
  id += static_cast<char>('0' + n / 10);
  id += static_cast<char>('0' + n % 10);
  return id;
}

// Events appended in log order, as the records a log of kPartitions partitions holds: stream
// versions counted per stream, event ids Id(event_tag, n), offsets counted per partition.
class RecordLog {
 public:
  const std::vector<events::StoredRecord>& records() const { return records_; }

 protected:
  explicit RecordLog(char event_tag) : event_tag_(event_tag) {}
  void Add(const events::Event& event) {
    events::StoredRecord r;
    r.record.meta.stream = events::StreamKeyOf(event);
    r.record.meta.type = std::string(events::TypeOf(event));
    r.record.meta.schema_version = events::SchemaVersionOf(event);
    r.record.meta.stream_version = ++versions_[r.record.meta.stream];
    r.record.meta.event_id = Id(event_tag_, static_cast<int>(records_.size()));
    r.record.payload = events::EncodePayload(event);
    r.position.partition = events::PartitionFor(r.record.meta.stream, kPartitions);
    r.position.offset = next_[static_cast<size_t>(r.position.partition)]++;
    records_.push_back(std::move(r));
  }

 private:
  char event_tag_;
  std::vector<events::StoredRecord> records_;
  std::map<std::string, int64_t> versions_;
  int64_t next_[kPartitions] = {0, 0};
};

// A log touching every part of the command-side state.
class Log : public RecordLog {
 public:
  explicit Log(char event_tag = 'E') : RecordLog(event_tag) {
    const std::string g = Id('G', 0), c = Id('C', 0), a = Id('W', 0), b = Id('W', 1);
    Add(events::UserRegistered{a, "alice", 10});
    Add(events::UserRegistered{b, "bob", 11});
    Add(events::SessionStarted{a, Id('S', 0), 12, 99});
    Add(events::GuildCreated{g, "guild", "public", a, Id('R', 0), Id('R', 1), Id('R', 2),
                             Id('R', 3), 13});
    Add(events::ChannelCreated{g, c, "general", "text", 14});
    Add(events::MemberJoined{g, b, "member", "directory", 15, std::nullopt});
    Add(events::RoleCreated{g, Id('R', 4), "helpers", 5, {"delete_message"}, "#112233", 16});
    Add(events::ChannelPermissionOverrideSet{
        g, c, "member", b, {"create_message"}, {"ban_member"}, 17});
    Add(events::AttachmentUploaded{g, c, Id('A', 0), b, "f.txt", "text/plain", 1234,
                                   std::string(64, 'a'), 18});
    for (int i = 0; i < 20; ++i) {
      std::vector<std::string> attachments;
      if (i == 3) attachments.push_back(Id('A', 0));
      Add(events::MessagePosted{g, c, Id('M', i), i % 2 ? a : b, "hi", attachments, 20 + i});
    }
    Add(events::MessageReactionChanged{g, c, Id('M', 1), a, "👍", "add", 1, 50});
    Add(events::MessageDeleted{g, c, Id('M', 2), a, 51, b, true, std::nullopt});
    Add(events::FriendRequestSent{FriendPairKey(a, b), Id('F', 0), a, "alice", b, "bob", 52});
    Add(events::MemberBanned{g, b, 53});
    Add(events::MemberRemoved{g, b, "ban", 53});
    Add(events::VoiceParticipantJoined{a, g, c, "u." + a, true, false, 54, 400});
    Add(events::MessagePosted{g, c, Id('M', 40), a, "after", {}, 55});
  }

  std::unique_ptr<CommandFold> Fold(size_t first, size_t count,
                                    std::unique_ptr<CommandFold> fold = nullptr) const {
    if (!fold) fold = std::make_unique<CommandFold>(kPartitions);
    for (size_t i = first; i < first + count; ++i) {
      auto folded = fold->Fold(records()[i]);
      EXPECT_TRUE(folded.ok()) << folded.error().message;
    }
    return fold;
  }
};

}  // namespace filament::commands::snapshot::snapshot_testing
