#include "gateway/bridge/voice_roster.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "commands/voice/voice.hpp"
#include "gateway/bridge/payloads.hpp"

namespace filament::gateway {
namespace {

constexpr char kAlice[] = "01J1A00000000000000000A11C";
constexpr char kBob[] = "01J1A00000000000000000B0B0";
constexpr char kGuild[] = "01J1A00000000000000000G01D";
constexpr char kVoice[] = "01J1A00000000000000000C4A7";
constexpr char kOther[] = "01J1A00000000000000000C4A8";

events::StoredRecord RecordOf(const events::Event& event) {
  events::StoredRecord record;
  record.record.meta.type = std::string(events::TypeOf(event));
  record.record.meta.schema_version = events::SchemaVersionOf(event);
  record.record.meta.stream = events::StreamKeyOf(event);
  record.record.payload = events::EncodePayload(event);
  return record;
}

// Applies the events the voice decider gives for `cmd` on `state` to the roster.
void Issue(VoiceRoster& roster, commands::VoiceState& state, commands::VoiceRegistry& registry,
           const auto& cmd) {
  auto decided = commands::Decide(commands::VoiceView{state, registry}, cmd);
  ASSERT_TRUE(decided.ok());
  for (const auto& e : *decided) {
    commands::Apply(state, e);
    roster.ApplyRecord(RecordOf(events::ToEvent(e)));
  }
}

commands::IssueVoiceToken Token(const char* user, const char* channel, int64_t now) {
  return commands::IssueVoiceToken{.user_id = user,
                                   .guild_id = kGuild,
                                   .channel_id = channel,
                                   .sources = {"microphone"},
                                   .can_subscribe = true,
                                   .now_unix = now,
                                   .ttl_secs = 300};
}

TEST(VoiceRoster, ListsUnexpiredParticipantsSortedByJoinTime) {
  VoiceRoster roster;
  commands::VoiceState alice, bob;
  commands::VoiceRegistry registry;
  Issue(roster, bob, registry, Token(kBob, kVoice, 1000));
  Issue(roster, alice, registry, Token(kAlice, kVoice, 1100));
  Issue(roster, alice, registry, commands::SetVoiceState{kAlice, kGuild, kVoice, true, {}, 1200});
  auto list = roster.Participants(kGuild, kVoice, 1250);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].user_id, kBob);
  EXPECT_EQ(list[1].user_id, kAlice);
  EXPECT_TRUE(list[1].is_muted);
  EXPECT_EQ(list[1].updated_at_unix, 1200);
  EXPECT_EQ(roster.Participants(kGuild, kVoice, 1300).size(), 1u);  // Bob expired at 1300
  EXPECT_TRUE(roster.Participants(kGuild, kOther, 1250).empty());
}

TEST(VoiceRoster, MoveAndLeaveUpdateTheChannels) {
  VoiceRoster roster;
  commands::VoiceState alice;
  commands::VoiceRegistry registry;
  Issue(roster, alice, registry, Token(kAlice, kVoice, 1000));
  Issue(roster, alice, registry, Token(kAlice, kOther, 1010));
  EXPECT_TRUE(roster.Participants(kGuild, kVoice, 1020).empty());
  EXPECT_EQ(roster.Participants(kGuild, kOther, 1020).size(), 1u);
  Issue(roster, alice, registry,
        commands::RemoveVoiceParticipant{kAlice, kGuild, kOther, "leave", 1030});
  EXPECT_TRUE(roster.Participants(kGuild, kOther, 1040).empty());
}

TEST(VoicePayloads, JoinUpdateAndLeaveFollowTheManifest) {
  auto joined = MapRecord(RecordOf(
      events::VoiceParticipantJoined{kAlice, kGuild, kVoice, "u.A.G.C", true, false, 1000, 1300}));
  ASSERT_TRUE(joined.ok());
  ASSERT_EQ(joined->size(), 1u);
  EXPECT_EQ((*joined)[0].type, "voice_participant_join");
  EXPECT_EQ((*joined)[0].scope, GatewayMessage::Scope::kChannel);
  EXPECT_EQ((*joined)[0].channel_id, kVoice);
  auto d = nlohmann::json::parse((*joined)[0].payload);
  EXPECT_EQ(d["participant"]["identity"], "u.A.G.C");
  EXPECT_EQ(d["participant"]["is_video_enabled"], true);
  EXPECT_EQ(d["participant"]["is_muted"], false);
  EXPECT_EQ(d["participant"]["updated_at_unix"], 1000);

  events::VoiceParticipantUpdated update{.user_id = kAlice,
                                         .guild_id = kGuild,
                                         .channel_id = kVoice,
                                         .identity = "u.A.G.C",
                                         .is_deafened = true,
                                         .updated_at_unix = 1010};
  auto updated = MapRecord(RecordOf(update));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(nlohmann::json::parse((*updated)[0].payload)["updated_fields"],
            nlohmann::json({{"is_deafened", true}}));

  auto left = MapRecord(
      RecordOf(events::VoiceParticipantLeft{kAlice, kGuild, kVoice, "u.A.G.C", "kick", 1020}));
  ASSERT_TRUE(left.ok());
  auto leave = nlohmann::json::parse((*left)[0].payload);
  EXPECT_EQ((*left)[0].type, "voice_participant_leave");
  EXPECT_EQ(leave["left_at_unix"], 1020);
  EXPECT_FALSE(leave.contains("reason"));

  auto issued = MapRecord(RecordOf(
      events::VoiceTokenIssued{kAlice, kGuild, kVoice, true, false, {"microphone"}, 1000, 1300}));
  ASSERT_TRUE(issued.ok());
  EXPECT_TRUE(issued->empty());  // audit only: no gateway event
}

}  // namespace
}  // namespace filament::gateway
