#include "commands/friendship/friends.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

constexpr char kAlice[] = "01HZZZZZZZZZZZZZZZZZZZZZZA";
constexpr char kBob[] = "01HZZZZZZZZZZZZZZZZZZZZZZB";
constexpr char kCarol[] = "01HZZZZZZZZZZZZZZZZZZZZZZC";
constexpr char kRequest[] = "01HZZZZZZZZZZZZZZZZZZZZZZR";

events::FriendRequestSent Sent() {
  return events::FriendRequestSent{
      FriendPairKey(kAlice, kBob), kRequest, kAlice, "alice", kBob, "bob", 100};
}

events::FriendRequestAccepted Accepted() {
  return events::FriendRequestAccepted{
      FriendPairKey(kAlice, kBob), kRequest, kAlice, "alice", kBob, "bob", 200};
}

SendFriendRequest Send(const char* from, const char* to) {
  return SendFriendRequest{"01HZZZZZZZZZZZZZZZZZZZZZZS", from, "x", to, "y", 300};
}

TEST(FriendPairKey, IsTheSameInBothDirections) {
  EXPECT_EQ(FriendPairKey(kAlice, kBob), FriendPairKey(kBob, kAlice));
  EXPECT_EQ(FriendPairKey(kBob, kAlice), std::string(kAlice) + "." + kBob);
}

TEST(SendFriendRequest, FirstRequestIsSent) {
  auto events = Decide(FriendshipState{}, Send(kAlice, kBob));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(std::get<events::FriendRequestSent>(events->at(0)).pair_key,
            FriendPairKey(kAlice, kBob));
}

TEST(SendFriendRequest, PendingEitherWayIsRejected) {
  FriendshipState pair = Fold({Sent()});
  EXPECT_EQ(Decide(pair, Send(kAlice, kBob)).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(pair, Send(kBob, kAlice)).error().code, core::ErrorCode::kInvalidArgument);
}

TEST(SendFriendRequest, FriendsOrSelfIsRejected) {
  EXPECT_FALSE(Decide(Fold({Sent(), Accepted()}), Send(kBob, kAlice)).ok());
  EXPECT_FALSE(Decide(FriendshipState{}, Send(kAlice, kAlice)).ok());
}

TEST(AcceptFriendRequest, OnlyTheRecipientMayAccept) {
  FriendshipState pair = Fold({Sent()});
  EXPECT_EQ(Decide(pair, AcceptFriendRequest{kRequest, kAlice, "bob", "alice", 200}).error().code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(Decide(pair, AcceptFriendRequest{kRequest, kCarol, "bob", "alice", 200}).error().code,
            core::ErrorCode::kNotFound);
  auto events = Decide(pair, AcceptFriendRequest{kRequest, kBob, "bob", "alice", 200});
  ASSERT_TRUE(events.ok());
  FriendshipState after = Fold({Sent(), Accepted()});
  EXPECT_TRUE(after.friends);
  EXPECT_FALSE(after.pending.has_value());
}

TEST(AcceptFriendRequest, UnknownRequestIsNotFound) {
  FriendshipState pair = Fold({Sent()});
  auto result =
      Decide(pair, AcceptFriendRequest{"01HZZZZZZZZZZZZZZZZZZZZZZQ", kBob, "bob", "alice", 1});
  EXPECT_EQ(result.error().code, core::ErrorCode::kNotFound);
}

TEST(DeleteFriendRequest, EitherPartyMayDeleteNobodyElse) {
  FriendshipState pair = Fold({Sent()});
  EXPECT_TRUE(Decide(pair, DeleteFriendRequest{kRequest, kAlice, 1}).ok());
  EXPECT_TRUE(Decide(pair, DeleteFriendRequest{kRequest, kBob, 1}).ok());
  EXPECT_EQ(Decide(pair, DeleteFriendRequest{kRequest, kCarol, 1}).error().code,
            core::ErrorCode::kNotFound);
  FriendshipState deleted = Fold({Sent(), events::FriendRequestDeleted{FriendPairKey(kAlice, kBob),
                                                                       kRequest, kAlice, kBob, 5}});
  EXPECT_FALSE(deleted.pending.has_value());
  EXPECT_TRUE(Decide(deleted, Send(kBob, kAlice)).ok());
}

TEST(RemoveFriend, RemovesAnExistingFriendshipOnly) {
  auto none = Decide(FriendshipState{}, RemoveFriend{kAlice, kBob, 1});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto removed = Decide(Fold({Sent(), Accepted()}), RemoveFriend{kBob, kAlice, 1});
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ(std::get<events::FriendshipRemoved>(removed->at(0)).user_id, kBob);
  EXPECT_FALSE(Decide(FriendshipState{}, RemoveFriend{kAlice, kAlice, 1}).ok());
}

}  // namespace
}  // namespace filament::commands
