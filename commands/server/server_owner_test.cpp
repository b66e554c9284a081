#include "commands/server/server_owner.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

constexpr char kAlice[] = "01HZZZZZZZZZZZZZZZZZZZZZZA";
constexpr char kBob[] = "01HZZZZZZZZZZZZZZZZZZZZZZB";

TEST(ServerOwner, FirstOwnerHasNoPrevious) {
  auto events = Decide(ServerState{}, SetServerOwner{kAlice, true, 100});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  const auto& changed = std::get<events::ServerOwnerChanged>(events->front());
  EXPECT_EQ(changed.server_key, "main");
  EXPECT_EQ(changed.owner_user_id, kAlice);
  EXPECT_FALSE(changed.previous_owner_user_id.has_value());
  EXPECT_EQ(changed.changed_at_unix, 100);
}

TEST(ServerOwner, ChangingOwnerNamesThePreviousOneAndFolds) {
  ServerState state;
  auto first = Decide(state, SetServerOwner{kAlice, true, 1});
  ASSERT_TRUE(first.ok());
  for (const auto& e : *first) Apply(state, e);
  EXPECT_EQ(state.owner_user_id, kAlice);
  EXPECT_EQ(state.version, 1);
  auto events = Decide(state, SetServerOwner{kBob, true, 2});
  ASSERT_TRUE(events.ok());
  const auto& changed = std::get<events::ServerOwnerChanged>(events->front());
  EXPECT_EQ(changed.previous_owner_user_id, std::optional<std::string>(kAlice));
  for (const auto& e : *events) Apply(state, e);
  EXPECT_EQ(state.owner_user_id, kBob);
  EXPECT_EQ(state.version, 2);
}

TEST(ServerOwner, AlreadyOwnerIsANoOp) {
  ServerState state{kAlice, 1};
  auto events = Decide(state, SetServerOwner{kAlice, true, 5});
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

TEST(ServerOwner, UnknownOrMalformedUserIsRefused) {
  auto unknown = Decide(ServerState{}, SetServerOwner{kAlice, false, 1});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, core::ErrorCode::kNotFound);
  auto bad = Decide(ServerState{}, SetServerOwner{"alice", true, 1});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidArgument);
}

TEST(ServerOwner, ConfiguredOwnerWins) {
  EXPECT_EQ(EffectiveServerOwner("", kAlice), kAlice);
  EXPECT_EQ(EffectiveServerOwner(kBob, kAlice), kBob);
  EXPECT_EQ(EffectiveServerOwner("", ""), "");
}

}  // namespace
}  // namespace filament::commands
