// A CommandService started from a snapshot keeps each guild's messages and attachments encoded
// until the guild's first command (ADR 0095): the start fold lent to the gateway bridge has
// every guild's members and roles but no decoded messages, and a command that needs a message
// from before the snapshot still finds it.
#include <gtest/gtest.h>

#include "commands/command_service.hpp"
#include "commands/guild/channels.hpp"
#include "commands/guild/messages.hpp"
#include "commands/snapshot/snapshot_codec.hpp"
#include "commands/snapshot/snapshot_loader.hpp"
#include "events/testing/in_memory_event_log.hpp"

namespace filament::commands {
namespace {

class AnyName : public CredentialStore {
 public:
  core::Result<bool> Claim(const std::string&, const std::string&, const std::string&) override {
    return true;
  }
  core::Status Release(const std::string&) override { return core::OkStatus(); }
  core::Result<bool> Rename(const std::string&, const std::string&) override { return true; }
};

class OneSnapshot : public SnapshotStore {
 public:
  core::Result<std::vector<Entry>> List() override {
    if (bytes_.empty()) return std::vector<Entry>{};
    return std::vector<Entry>{{1, ends_, static_cast<int64_t>(bytes_.size())}};
  }
  core::Result<std::string> Load(int64_t) override { return bytes_; }
  core::Status Save(std::string_view bytes, const std::vector<int64_t>& ends, int) override {
    bytes_ = std::string(bytes);
    ends_ = ends;
    return core::OkStatus();
  }

 private:
  std::string bytes_;
  std::vector<int64_t> ends_;
};

class LazyGuild : public ::testing::Test {
 protected:
  std::unique_ptr<CommandService> NewService() {
    return std::make_unique<CommandService>(log_, clock_, ids_, credentials_, limits_);
  }
  core::Result<Appended> Delete(CommandService& service, const std::string& message_id) {
    return service.OnGuild({alice_, "r"}, guild_, [&](Minter& m) {
      return DeleteMessage{guild_, channel_, message_id, alice_, m.NowUnix()};
    });
  }

  // Alice's guild with a channel and three messages, and a snapshot of that log in `store_`.
  void SetUp() override {
    auto service = NewService();
    ASSERT_TRUE(service->Start().ok());
    alice_ = std::get<events::UserRegistered>(
                 service->RegisterUser({"", "r"}, "alice", "h")->events.at(0))
                 .user_id;
    guild_ = std::get<events::GuildCreated>(
                 service->CreateGuild({alice_, "r"}, "Guild", "public")->events.at(0))
                 .guild_id;
    channel_ = std::get<events::ChannelCreated>(service
                                                    ->OnGuild({alice_, "r"}, guild_,
                                                              [&](Minter& m) {
                                                                return CreateChannel{
                                                                    guild_, m.NewId(), "general",
                                                                    "text", alice_,    m.NowUnix()};
                                                              })
                                                    ->events.at(0))
                   .channel_id;
    for (int i = 0; i < 3; ++i) {
      auto posted = service->OnGuild({alice_, "r"}, guild_, [&](Minter& m) {
        return PostMessage{guild_, channel_, m.NewId(), alice_, "hi", {}, m.NowUnix()};
      });
      ASSERT_TRUE(posted.ok());
      messages_.push_back(std::get<events::MessagePosted>(posted->events.at(0)).message_id);
    }
    auto ends = log_.EndOffsets();
    auto fold = snapshot::LoadNewestSnapshot(nullptr, log_, *ends, [](const std::string&) {});
    ASSERT_TRUE(snapshot::FoldTail(log_, *fold, *ends).ok());
    ASSERT_TRUE(store_.Save(snapshot::EncodeSnapshot(*fold), fold->ends, 2).ok());
  }

  events::testing::InMemoryEventLog log_{4};
  core::FakeClock clock_;
  core::UlidGenerator ids_;
  AnyName credentials_;
  core::Limits limits_;
  OneSnapshot store_;
  std::string alice_, guild_, channel_;
  std::vector<std::string> messages_;
};

TEST_F(LazyGuild, TheStartFoldHasTheGuildsHeadAndItsMessagesStillEncoded) {
  auto service = NewService();
  std::vector<std::string> lines;
  service->UseSnapshots(&store_, [&](const std::string& line) { lines.push_back(line); });
  bool observed = false;
  service->ObserveStartFold(0, [&](CommandFold& fold) {
    observed = true;
    ASSERT_EQ(fold.undecoded_guilds.count(guild_), 1u);
    const GuildState& head = fold.guilds.at(guild_);
    EXPECT_EQ(head.authz.members.count(alice_), 1u);  // what the bridge reads (ADR 0085)
    EXPECT_EQ(head.channel_ids, std::vector<std::string>{channel_});
    EXPECT_TRUE(head.messages.empty());
    ASSERT_TRUE(fold.CompleteGuild(guild_).ok());  // and it can still be completed
    EXPECT_EQ(fold.guilds.at(guild_).messages.size(), 3u);
  });
  ASSERT_TRUE(service->Start().ok());
  EXPECT_TRUE(observed);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("loaded snapshot 1"), std::string::npos) << lines.front();
}

TEST_F(LazyGuild, AFirstCommandDecodesTheGuildAndFindsMessagesFromBeforeTheSnapshot) {
  auto service = NewService();
  service->UseSnapshots(&store_, nullptr);
  ASSERT_TRUE(service->Start().ok());
  auto deleted = Delete(*service, messages_[1]);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_TRUE(std::holds_alternative<events::MessageDeleted>(deleted->events.at(0)));
  auto again = Delete(*service, messages_[1]);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, core::ErrorCode::kNotFound);
  EXPECT_TRUE(Delete(*service, messages_[2]).ok());
}

TEST(StreamStatesSlot, ARestThatDoesNotDecodeLeavesTheStateToBeRefolded) {
  StreamStates<GuildState>::Slot slot;
  EXPECT_TRUE(slot.Complete());  // nothing pending
  slot.rest = [](GuildState& s) {
    s.version = 7;
    return true;
  };
  EXPECT_TRUE(slot.Complete());
  EXPECT_EQ(slot.state.version, 7);
  EXPECT_FALSE(slot.rest);
  slot.rest = [](GuildState&) { return false; };
  EXPECT_FALSE(slot.Complete());
  EXPECT_TRUE(slot.Complete());  // taken once
}

}  // namespace
}  // namespace filament::commands
