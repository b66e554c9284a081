#include "commands/command_service.hpp"

#include <map>
#include <numeric>
#include <set>

#include <gtest/gtest.h>

#include "commands/guild/channels.hpp"
#include "commands/guild/messages.hpp"
#include "commands/guild/workspace.hpp"
#include "commands/voice/voice.hpp"
#include "events/testing/in_memory_event_log.hpp"

namespace filament::commands {
namespace {

class FakeCredentials : public CredentialStore {
 public:
  core::Result<bool> Claim(const std::string& user_id, const std::string& username,
                           const std::string&) override {
    if (!names.insert(username).second) return false;
    claimed.insert(user_id);
    name_of[user_id] = username;
    return true;
  }
  core::Status Release(const std::string& user_id) override {
    claimed.erase(user_id);
    names.erase(name_of[user_id]);
    return core::OkStatus();
  }
  core::Result<bool> Rename(const std::string& user_id, const std::string& username) override {
    if (name_of[user_id] == username) return true;
    if (!names.insert(username).second) return false;
    names.erase(name_of[user_id]);
    name_of[user_id] = username;
    return true;
  }
  std::set<std::string> names;
  std::set<std::string> claimed;
  std::map<std::string, std::string> name_of;
};

class CommandServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<CommandService> NewService() {
    auto service = std::make_unique<CommandService>(log_, clock_, ids_, credentials_, limits_);
    EXPECT_TRUE(service->Start().ok());
    return service;
  }
  int64_t LogSize() {
    auto ends = log_.EndOffsets();
    return std::accumulate(ends->begin(), ends->end(), int64_t{0});
  }
  std::string Register(CommandService& service, const std::string& name) {
    auto appended = service.RegisterUser({"", "req"}, name, "hash");
    EXPECT_TRUE(appended.ok());
    return std::get<events::UserRegistered>(appended->events.at(0)).user_id;
  }

  static core::Result<Appended> CreateChannel(CommandService& service, const std::string& actor,
                                              const std::string& guild_id) {
    return service.OnGuild({actor, "r"}, guild_id, [&](Minter& m) {
      return commands::CreateChannel{guild_id, m.NewId(), "general", "text", actor, m.NowUnix()};
    });
  }
  static core::Result<Appended> Post(CommandService& service, const std::string& author,
                                     const std::string& guild_id, const std::string& channel_id) {
    return service.OnGuild({author, "r"}, guild_id, [&](Minter& m) {
      return PostMessage{guild_id, channel_id, m.NewId(), author, "hi", {}, m.NowUnix()};
    });
  }

  events::testing::InMemoryEventLog log_{4};
  core::FakeClock clock_;
  core::UlidGenerator ids_;
  FakeCredentials credentials_;
  core::Limits limits_;
};

TEST_F(CommandServiceTest, RegisteringATakenNameAppendsNothing) {
  auto service = NewService();
  Register(*service, "alice");
  int64_t before = LogSize();
  auto again = service->RegisterUser({"", "req"}, "alice", "hash");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->events.empty());
  EXPECT_EQ(LogSize(), before);
}

TEST_F(CommandServiceTest, RejectedCommandAppendsNothing) {
  auto service = NewService();
  std::string alice = Register(*service, "alice");
  auto guild = service->CreateGuild({alice, "r"}, "Guild", "public");
  ASSERT_TRUE(guild.ok());
  const auto& created = std::get<events::GuildCreated>(guild->events.at(0));
  int64_t before = LogSize();
  auto channel = CreateChannel(*service, "01J000000000000000000000Z9", created.guild_id);
  EXPECT_EQ(channel.error().code, core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(LogSize(), before);
}

TEST_F(CommandServiceTest, StateSurvivesARestartThroughTheLog) {
  std::string guild_id, channel_id, bob;
  {
    auto service = NewService();
    std::string alice = Register(*service, "alice");
    bob = Register(*service, "bob");
    auto guild = service->CreateGuild({alice, "r"}, "Guild", "public");
    guild_id = std::get<events::GuildCreated>(guild->events.at(0)).guild_id;
    auto channel = CreateChannel(*service, alice, guild_id);
    channel_id = std::get<events::ChannelCreated>(channel->events.at(0)).channel_id;
  }
  auto service = NewService();
  auto denied = Post(*service, bob, guild_id, channel_id);
  EXPECT_EQ(denied.error().code, core::ErrorCode::kPermissionDenied);
  auto joined = service->OnGuild({bob, "r"}, guild_id, [&](Minter& m) {
    return JoinGuild{guild_id, bob, m.NowUnix()};
  });
  ASSERT_TRUE(joined.ok());
  auto posted = Post(*service, bob, guild_id, channel_id);
  ASSERT_TRUE(posted.ok());
  EXPECT_EQ(posted->positions.size(), 1u);
  EXPECT_TRUE(service->RegisterUser({"", "r"}, "alice", "h")->events.empty());
}

TEST_F(CommandServiceTest, MessageIdsIncreaseInLogOrder) {
  auto service = NewService();
  std::string alice = Register(*service, "alice");
  auto guild = service->CreateGuild({alice, "r"}, "Guild", "public");
  auto guild_id = std::get<events::GuildCreated>(guild->events.at(0)).guild_id;
  auto channel = CreateChannel(*service, alice, guild_id);
  auto channel_id = std::get<events::ChannelCreated>(channel->events.at(0)).channel_id;
  std::string previous;
  for (int i = 0; i < 50; ++i) {
    auto posted = Post(*service, alice, guild_id, channel_id);
    auto id = std::get<events::MessagePosted>(posted->events.at(0)).message_id;
    EXPECT_LT(previous, id);
    previous = id;
  }
}

TEST_F(CommandServiceTest, CreatorCapCountsGuildsAcrossRestarts) {
  limits_.max_created_guilds_per_user = 2;
  std::string alice;
  {
    auto service = NewService();
    alice = Register(*service, "alice");
    ASSERT_TRUE(service->CreateGuild({alice, "r"}, "One", "private").ok());
    ASSERT_TRUE(service->CreateGuild({alice, "r"}, "Two", "private").ok());
  }
  auto service = NewService();
  auto third = service->CreateGuild({alice, "r"}, "Three", "private");
  EXPECT_EQ(third.error().reason, "guild_creation_limit_reached");
}

TEST_F(CommandServiceTest, RenameMovesTheClaimAndTheDirectory) {
  auto service = NewService();
  std::string alice = Register(*service, "alice");
  std::string bob = Register(*service, "bob");
  auto renamed = service->UpdateProfile({alice, "r"}, alice, UpdateProfile{"alice2", {}});
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(service->UsernameOf(alice), "alice2");
  EXPECT_EQ(credentials_.names.count("alice"), 0u);
  EXPECT_TRUE(service->UpdateProfile({bob, "r"}, bob, UpdateProfile{"alice", {}}).ok());
  auto taken = service->UpdateProfile({bob, "r"}, bob, UpdateProfile{"alice2", {}});
  EXPECT_EQ(taken.error().code, core::ErrorCode::kInvalidArgument);
  // A restarted service folds the same names from the log.
  auto again = NewService();
  EXPECT_EQ(again->UsernameOf(alice), "alice2");
  EXPECT_EQ(again->UsernameOf(bob), "alice");
}

TEST_F(CommandServiceTest, FailedRenameAppendMovesTheClaimBack) {
  auto service = NewService();
  std::string alice = Register(*service, "alice");
  // A second writer moves alice's stream on, so the first service's append is refused.
  auto other = NewService();
  ASSERT_TRUE(other->UpdateProfile({alice, "r"}, alice, UpdateProfile{{}, "hi"}).ok());
  auto renamed = service->UpdateProfile({alice, "r"}, alice, UpdateProfile{"zed", {}});
  ASSERT_FALSE(renamed.ok());
  EXPECT_EQ(renamed.error().code, core::ErrorCode::kAborted);
  EXPECT_EQ(credentials_.name_of[alice], "alice");
  EXPECT_EQ(credentials_.names.count("zed"), 0u);
  EXPECT_EQ(service->UsernameOf(alice), "alice");
}

// Voice (ADR 0054): the caps count every voice stream, and a restart folds them back.
constexpr char kVoiceGuild[] = "01HZZZZZZZZZZZZZZZZZZZZZZG";
constexpr char kVoiceChannel[] = "01HZZZZZZZZZZZZZZZZZZZZZV1";
TEST_F(CommandServiceTest, VoiceCapsSpanUsersAndSurviveARestart) {
  auto service = NewService();
  const std::string alice = Register(*service, "alice");
  const std::string bob = Register(*service, "bob");
  auto token = [](const std::string& user) {
    return [user](Minter& m) {
      return IssueVoiceToken{.user_id = user,
                             .guild_id = kVoiceGuild,
                             .channel_id = kVoiceChannel,
                             .sources = {"microphone"},
                             .now_unix = m.NowUnix(),
                             .ttl_secs = 300,
                             .max_participants_per_channel = 1};
    };
  };
  ASSERT_TRUE(service->OnVoice({alice, "r1"}, alice, token(alice)).ok());
  EXPECT_EQ(service->OnVoice({bob, "r2"}, bob, token(bob)).error().code,
            core::ErrorCode::kResourceExhausted);
  auto restarted = NewService();
  EXPECT_EQ(restarted->VoiceParticipants().size(), 1u);
  EXPECT_EQ(restarted->OnVoice({bob, "r3"}, bob, token(bob)).error().code,
            core::ErrorCode::kResourceExhausted);
  auto left = restarted->OnVoice({alice, "r4"}, alice, [&](Minter& m) {
    return RemoveVoiceParticipant{alice, kVoiceGuild, kVoiceChannel, "leave", m.NowUnix()};
  });
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->events.size(), 2u);  // unpublish microphone, leave
  EXPECT_TRUE(restarted->OnVoice({bob, "r5"}, bob, token(bob)).ok());
  EXPECT_EQ(restarted->OnVoice({"x", "r6"}, "UNKNOWN", token("UNKNOWN")).error().code,
            core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace filament::commands
