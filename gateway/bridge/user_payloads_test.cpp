#include "gateway/bridge/user_payloads.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gateway/bridge/payloads.hpp"

namespace filament::gateway {
namespace {

constexpr char kAlice[] = "01J0000000000000000000000A";
constexpr char kBob[] = "01J0000000000000000000000B";
constexpr char kCarol[] = "01J0000000000000000000000C";
constexpr char kDave[] = "01J0000000000000000000000D";
constexpr char kGuild[] = "01J0000000000000000000000G";

std::string Pair() { return std::string(kAlice) + "." + kBob; }

std::vector<std::string> Recipients(const std::vector<GatewayMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.user_id);
  return out;
}

TEST(ObserverIndex, FriendsAndGuildCoMembersObserveAProfile) {
  ObserverIndex index;
  index.Apply(events::MemberJoined{kGuild, kAlice, "member", "directory", 1});
  index.Apply(events::MemberJoined{kGuild, kCarol, "member", "directory", 1});
  index.Apply(events::FriendRequestAccepted{Pair(), "01J0000000000000000000000R", kAlice, "alice",
                                            kBob, "bob", 2});
  EXPECT_EQ(index.Observers(kAlice), (std::vector<std::string>{kAlice, kBob, kCarol}));
  EXPECT_EQ(index.Observers(kDave), (std::vector<std::string>{kDave}));
  index.Apply(events::FriendshipRemoved{Pair(), kBob, kAlice, 3});
  EXPECT_EQ(index.Observers(kAlice), (std::vector<std::string>{kAlice, kCarol}));
}

TEST(ObserverIndex, KickedOrBannedMembersStopObservingThroughTheGuild) {
  ObserverIndex index;
  index.Apply(events::MemberJoined{kGuild, kAlice, "member", "directory", 1});
  index.Apply(events::MemberJoined{kGuild, kCarol, "member", "directory", 1});
  index.Apply(events::MemberJoined{kGuild, kDave, "member", "directory", 1});
  index.Apply(events::MemberRemoved{kGuild, kCarol, "kick", 2});
  index.Apply(events::MemberRemoved{kGuild, kDave, "ban", 3});
  EXPECT_EQ(index.Observers(kAlice), (std::vector<std::string>{kAlice}));
  EXPECT_EQ(index.Observers(kCarol), (std::vector<std::string>{kCarol}));
  index.Apply(events::MemberJoined{kGuild, kCarol, "member", "directory", 4});  // rejoined
  EXPECT_EQ(index.Observers(kAlice), (std::vector<std::string>{kAlice, kCarol}));
}

TEST(UserPayloads, ProfileUpdateCarriesOnlyRequestedKeys) {
  ObserverIndex index;
  index.Apply(events::MemberJoined{kGuild, kAlice, "member", "directory", 1});
  index.Apply(events::MemberJoined{kGuild, kCarol, "member", "directory", 1});
  auto messages = ProfileUpdate(events::ProfileUpdated{kAlice, std::nullopt, "*hi*", 5}, index);
  EXPECT_EQ(Recipients(messages), (std::vector<std::string>{kAlice, kCarol}));
  auto d = nlohmann::json::parse(messages.at(0).payload);
  EXPECT_EQ(messages[0].type, "profile_update");
  EXPECT_FALSE(d["updated_fields"].contains("username"));
  EXPECT_EQ(d["updated_fields"]["about_markdown"], "*hi*");
  EXPECT_TRUE(d["updated_fields"]["about_markdown_tokens"].is_array());
  EXPECT_EQ(d["updated_at_unix"], 5);
}

TEST(UserPayloads, AcceptIsWrittenFromEachPartysView) {
  events::RecordMeta meta;
  meta.actor_user_id = kBob;
  auto messages =
      FriendRequestUpdate(events::FriendRequestAccepted{Pair(), "01J0000000000000000000000R",
                                                        kAlice, "alice", kBob, "bob", 9},
                          meta);
  ASSERT_EQ(messages.size(), 2u);
  for (const auto& m : messages) {
    auto d = nlohmann::json::parse(m.payload);
    EXPECT_EQ(d["user_id"], m.user_id);
    EXPECT_NE(d["friend_user_id"], m.user_id);
    EXPECT_EQ(d["friend_username"], m.user_id == kAlice ? "bob" : "alice");
    EXPECT_EQ(d["state"], "accepted");
    EXPECT_EQ(d["actor_user_id"], kBob);
  }
}

TEST(UserPayloads, FriendRemoveGoesToBothParties) {
  events::RecordMeta meta;
  meta.actor_user_id = kAlice;
  auto messages = FriendRemove(events::FriendshipRemoved{Pair(), kAlice, kBob, 4}, meta);
  EXPECT_EQ(Recipients(messages), (std::vector<std::string>{kAlice, kBob}));
  EXPECT_EQ(nlohmann::json::parse(messages[1].payload)["friend_user_id"], kAlice);
}

}  // namespace
}  // namespace filament::gateway
