#include "commands/guild/ip_bans.hpp"

#include <gtest/gtest.h>

#include "commands/guild/guild_test_events.hpp"
#include "commands/guild/messages.hpp"
#include "commands/guild/workspace.hpp"

namespace filament::commands {
namespace {

using namespace guild_testing;
using core::ErrorCode;

const std::string kObs1 = "01J000000000000000000000O1";
const std::string kObs2 = "01J000000000000000000000O2";
const std::string kBan1 = "01J000000000000000000000B7";
const std::string kBan2 = "01J000000000000000000000B8";

CreateIpBans BanBob(const std::string& actor) {
  return CreateIpBans{kGuild,         Actor{actor, false}, kBob, "spam", 3600,
                      {kObs1, kObs2}, {kBan1, kBan2},      4096, 1000};
}

TEST(CreateIpBans, ValidationThenPermissionThenNewObservationsOnly) {
  GuildState g = Populated();
  CreateIpBans cmd = BanBob(kCarol);
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kPermissionDenied);
  cmd.reason = "  ";
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kInvalidArgument);  // before access
  cmd = BanBob(kMod);
  cmd.reason = std::string("spam\0", 5);  // a text column would cut it short
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kInvalidArgument);
  cmd = BanBob(kMod);
  cmd.expires_in_secs = 0;
  EXPECT_EQ(Decide(g, cmd).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(GuildState{}, BanBob(kMod)).error().code, ErrorCode::kNotFound);
  auto banned = Decide(g, BanBob(kMod));
  ASSERT_TRUE(banned.ok());
  const auto& e = std::get<events::IpBansUpdated>(banned->at(0));
  EXPECT_EQ(e.ban_ids, (std::vector<std::string>{kBan1, kBan2}));
  EXPECT_EQ(e.expires_at_unix, 4600);
  Apply(g, banned->at(0));
  EXPECT_TRUE(Decide(g, BanBob(kMod))->empty());  // already actively banned
  // Contract precedence: private → user ban → IP ban → already member.
  auto joined = Decide(g, JoinGuild{kGuild, kCarol, 1001, kBan1});
  EXPECT_EQ(std::get<events::DirectoryJoinRecorded>(joined->at(0)).outcome, "rejected_ip_ban");
  auto stranger = Decide(g, JoinGuild{kGuild, "01J000000000000000000000S1", 1001, kBan1});
  EXPECT_EQ(std::get<events::DirectoryJoinRecorded>(stranger->at(0)).outcome, "rejected_ip_ban");
  auto expired = Decide(g, JoinGuild{kGuild, "01J000000000000000000000S1", 5000, kBan1});
  EXPECT_TRUE(std::holds_alternative<events::MemberJoined>(expired->at(0)));
}

// ADR 0104: a post not cleared of the guild's IP bans asks for the address check exactly
// while the guild has an active ban, before any other check; a cleared post is decided as ever.
TEST(PostMessage, AsksForTheAddressCheckOnlyWhileTheGuildHasAnActiveBan) {
  GuildState g = Populated();
  auto post = [](int64_t now, bool cleared, std::string content = "hi") {
    return PostMessage{kGuild, kChannel, kMessage, kCarol, std::move(content), {}, now, cleared};
  };
  EXPECT_TRUE(Decide(g, post(1001, false)).ok());  // no ban: no look-up needed
  auto banned = Decide(g, BanBob(kMod));           // expires at 4600
  ASSERT_TRUE(banned.ok());
  Apply(g, banned->at(0));
  auto asked = Decide(g, post(1001, false));
  ASSERT_FALSE(asked.ok());
  EXPECT_EQ(asked.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(asked.error().reason, kAddressCheckRequired);
  // Before the content check (a banned address is refused before what it sent is judged).
  EXPECT_EQ(Decide(g, post(1001, false, std::string(2001, 'x'))).error().reason,
            kAddressCheckRequired);
  EXPECT_TRUE(Decide(g, post(1001, true)).ok());   // the caller checked the address
  EXPECT_TRUE(Decide(g, post(5000, false)).ok());  // the ban has expired
  auto lifted = Decide(g, RemoveIpBan{kGuild, Actor{kMod, false}, kBan1, 1002});
  ASSERT_TRUE(lifted.ok());
  Apply(g, lifted->at(0));
  EXPECT_FALSE(Decide(g, post(1003, false)).ok());  // one ban is still active
  lifted = Decide(g, RemoveIpBan{kGuild, Actor{kMod, false}, kBan2, 1004});
  ASSERT_TRUE(lifted.ok());
  Apply(g, lifted->at(0));
  EXPECT_TRUE(Decide(g, post(1005, false)).ok());
}

TEST(CreateIpBans, QuotaCountsActiveEntries) {
  GuildState g = Populated();
  CreateIpBans cmd = BanBob(kOwner);
  cmd.max_entries = 1;
  EXPECT_EQ(Decide(g, cmd).error().reason, "quota_exceeded");
}

TEST(RemoveIpBan, UnknownBanIsNotFound) {
  GuildState g = Populated();
  Apply(g, Decide(g, BanBob(kMod))->at(0));
  EXPECT_EQ(Decide(g, RemoveIpBan{kGuild, Actor{kMod, false}, "bad", 1}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(g, RemoveIpBan{kGuild, Actor{kBob, false}, kBan1, 1}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(Decide(g, RemoveIpBan{kGuild, Actor{kMod, false}, "01J000000000000000000000Z1", 1})
                .error()
                .code,
            ErrorCode::kNotFound);
  auto removed = Decide(g, RemoveIpBan{kGuild, Actor{kMod, false}, kBan1, 1});
  ASSERT_TRUE(removed.ok());
  Apply(g, removed->at(0));
  EXPECT_EQ(g.ip_bans.count(kBan1), 0u);
  EXPECT_EQ(g.ip_bans.count(kBan2), 1u);
}

}  // namespace
}  // namespace filament::commands
