#include "commands/voice/voice.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

constexpr char kAlice[] = "01HZZZZZZZZZZZZZZZZZZZZZZA";
constexpr char kBob[] = "01HZZZZZZZZZZZZZZZZZZZZZZB";
constexpr char kGuild[] = "01HZZZZZZZZZZZZZZZZZZZZZZG";
constexpr char kVoiceA[] = "01HZZZZZZZZZZZZZZZZZZZZZV1";
constexpr char kVoiceB[] = "01HZZZZZZZZZZZZZZZZZZZZZV2";

IssueVoiceToken Token(const char* user, const char* channel, std::vector<std::string> sources,
                      int64_t now = 1000) {
  return IssueVoiceToken{.user_id = user,
                         .guild_id = kGuild,
                         .channel_id = channel,
                         .sources = std::move(sources),
                         .can_subscribe = true,
                         .now_unix = now,
                         .ttl_secs = 300};
}

// Decides against `state` and folds the result into it (and into `registry` for `user`).
VoiceEvents Step(VoiceState& state, VoiceRegistry& registry, const std::string& user,
                 const auto& cmd) {
  auto decided = Decide(VoiceView{state, registry}, cmd);
  EXPECT_TRUE(decided.ok());
  if (!decided.ok()) return {};
  for (const auto& e : *decided) Apply(state, e);
  registry.Set(user, state.participation);
  return *decided;
}

std::vector<std::string> Types(const VoiceEvents& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.emplace_back(events::TypeOf(events::ToEvent(e)));
  return out;
}

TEST(VoiceIdentity, FollowsTheContract) {
  EXPECT_EQ(VoiceIdentity("U", "G", "C"), "u.U.G.C");
  EXPECT_EQ(VoiceRoom("G", "C"), "filament.voice.G.C");
}

TEST(IssueVoiceToken, FirstTokenJoinsPublishesAndAudits) {
  VoiceState alice;
  VoiceRegistry registry;
  auto events = Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone", "camera"}));
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"voice_participant_joined", "voice_stream_published",
                                      "voice_stream_published", "voice_token_issued"}));
  const auto& joined = std::get<events::VoiceParticipantJoined>(events[0]);
  EXPECT_EQ(joined.identity, VoiceIdentity(kAlice, kGuild, kVoiceA));
  EXPECT_TRUE(joined.is_video_enabled);
  EXPECT_FALSE(joined.is_screen_share_enabled);
  EXPECT_EQ(joined.expires_at_unix, 1300);
  ASSERT_TRUE(alice.participation);
  EXPECT_EQ(alice.participation->sources, (std::vector<std::string>{"microphone", "camera"}));
}

TEST(IssueVoiceToken, ReissueUpdatesFlagsDiffsSourcesAndExtendsExpiry) {
  VoiceState alice;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone", "camera"}));
  auto events = Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"screen_share"}, 1100));
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"voice_participant_updated", "voice_stream_unpublished",
                                      "voice_stream_unpublished", "voice_stream_published",
                                      "voice_token_issued"}));
  const auto& update = std::get<events::VoiceParticipantUpdated>(events[0]);
  EXPECT_EQ(update.is_speaking, std::optional<bool>(false));
  EXPECT_EQ(update.is_video_enabled, std::optional<bool>(false));
  EXPECT_EQ(update.is_screen_share_enabled, std::optional<bool>(true));
  EXPECT_FALSE(update.is_muted.has_value());
  EXPECT_EQ(alice.participation->expires_at_unix, 1400);
  EXPECT_EQ(alice.participation->joined_at_unix, 1000);
}

TEST(IssueVoiceToken, MovingLeavesTheOldChannelFirst) {
  VoiceState alice;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}));
  auto events = Step(alice, registry, kAlice, Token(kAlice, kVoiceB, {"microphone"}, 1010));
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"voice_stream_unpublished", "voice_participant_left",
                                      "voice_participant_joined", "voice_stream_published",
                                      "voice_token_issued"}));
  EXPECT_EQ(std::get<events::VoiceParticipantLeft>(events[1]).channel_id, kVoiceA);
  EXPECT_EQ(std::get<events::VoiceParticipantLeft>(events[1]).reason, "move");
  EXPECT_EQ(registry.ActiveIn(kGuild, kVoiceA, 1010, ""), 0);
  EXPECT_EQ(registry.ActiveIn(kGuild, kVoiceB, 1010, ""), 1);
}

TEST(IssueVoiceToken, AnExpiredParticipationIsRemovedBeforeRejoining) {
  VoiceState alice;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}));
  auto events = Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}, 1300));
  EXPECT_EQ(std::get<events::VoiceParticipantLeft>(events[1]).reason, "expired");
  EXPECT_EQ(Types(events)[2], "voice_participant_joined");
}

TEST(IssueVoiceToken, NeitherPublishNorSubscribeIsInvalid) {
  VoiceState alice;
  VoiceRegistry registry;
  auto cmd = Token(kAlice, kVoiceA, {});
  cmd.can_subscribe = false;
  EXPECT_EQ(Decide(VoiceView{alice, registry}, cmd).error().code,
            core::ErrorCode::kInvalidArgument);
  cmd.can_subscribe = true;
  EXPECT_TRUE(Decide(VoiceView{alice, registry}, cmd).ok());
}

TEST(IssueVoiceToken, ParticipantCapCountsOthersUnexpired) {
  VoiceState alice, bob;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}));
  auto cmd = Token(kBob, kVoiceA, {"microphone"}, 1100);
  cmd.max_participants_per_channel = 1;
  EXPECT_EQ(Decide(VoiceView{bob, registry}, cmd).error().code,
            core::ErrorCode::kResourceExhausted);
  // Alice may still re-issue in her own channel, and once she expired Bob fits.
  auto again = Token(kAlice, kVoiceA, {"microphone"}, 1100);
  again.max_participants_per_channel = 1;
  EXPECT_TRUE(Decide(VoiceView{alice, registry}, again).ok());
  cmd.now_unix = 1300;
  EXPECT_TRUE(Decide(VoiceView{bob, registry}, cmd).ok());
}

TEST(IssueVoiceToken, ChannelCapCountsTrackedChannels) {
  VoiceState alice, bob;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}));
  auto cmd = Token(kBob, kVoiceB, {"microphone"}, 1100);
  cmd.max_channels = 1;
  EXPECT_EQ(Decide(VoiceView{bob, registry}, cmd).error().code,
            core::ErrorCode::kResourceExhausted);
  auto join_a = Token(kBob, kVoiceA, {"microphone"}, 1100);  // an already tracked channel
  join_a.max_channels = 1;
  EXPECT_TRUE(Decide(VoiceView{bob, registry}, join_a).ok());
  auto move = Token(kAlice, kVoiceB, {"microphone"}, 1100);  // her move frees channel A
  move.max_channels = 1;
  EXPECT_TRUE(Decide(VoiceView{alice, registry}, move).ok());
}

TEST(SetVoiceState, ReportsOnlyChangedKeys) {
  VoiceState alice;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}));
  SetVoiceState cmd{kAlice, kGuild, kVoiceA, true, false, 1010};
  auto events = Step(alice, registry, kAlice, cmd);
  ASSERT_EQ(events.size(), 1u);
  const auto& update = std::get<events::VoiceParticipantUpdated>(events[0]);
  EXPECT_EQ(update.is_muted, std::optional<bool>(true));
  EXPECT_FALSE(update.is_deafened.has_value());
  EXPECT_TRUE(Step(alice, registry, kAlice, cmd).empty());  // nothing changed
  EXPECT_TRUE(alice.participation->is_muted);
}

TEST(SetVoiceState, NonParticipantOrOtherChannelIsANoOp) {
  VoiceState alice;
  VoiceRegistry registry;
  EXPECT_TRUE(
      Decide(VoiceView{alice, registry}, SetVoiceState{kAlice, kGuild, kVoiceA, true, {}, 1})
          ->empty());
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}));
  EXPECT_TRUE(
      Decide(VoiceView{alice, registry}, SetVoiceState{kAlice, kGuild, kVoiceB, true, {}, 1010})
          ->empty());
  EXPECT_FALSE(
      Decide(VoiceView{alice, registry}, SetVoiceState{kAlice, kGuild, kVoiceA, {}, {}, 1010})
          .ok());
}

TEST(RemoveVoiceParticipant, UnpublishesThenLeavesAndIsIdempotent) {
  VoiceState alice;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone", "screen_share"}));
  RemoveVoiceParticipant leave{kAlice, kGuild, kVoiceA, "leave", 1010};
  auto events = Step(alice, registry, kAlice, leave);
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"voice_stream_unpublished", "voice_stream_unpublished",
                                      "voice_participant_left"}));
  EXPECT_FALSE(alice.participation);
  EXPECT_TRUE(registry.Entries().empty());
  EXPECT_TRUE(Decide(VoiceView{alice, registry}, leave)->empty());
}

TEST(RemoveVoiceParticipant, FiltersByGuildChannelAndExpiry) {
  VoiceState alice;
  VoiceRegistry registry;
  Step(alice, registry, kAlice, Token(kAlice, kVoiceA, {"microphone"}));
  VoiceView view{alice, registry};
  EXPECT_TRUE(Decide(view, RemoveVoiceParticipant{kAlice, "OTHER", "", "kick", 1010})->empty());
  EXPECT_TRUE(
      Decide(view, RemoveVoiceParticipant{kAlice, kGuild, kVoiceB, "leave", 1010})->empty());
  EXPECT_TRUE(Decide(view, RemoveVoiceParticipant{kAlice, "", "", "expired", 1299, true})->empty());
  EXPECT_EQ(Decide(view, RemoveVoiceParticipant{kAlice, "", "", "expired", 1300, true})->size(),
            2u);
  EXPECT_EQ(Decide(view, RemoveVoiceParticipant{kAlice, kGuild, "", "kick", 1010})->size(), 2u);
}

}  // namespace
}  // namespace filament::commands
