#include "commands/server/user_lock.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

constexpr char kAlice[] = "01HZZZZZZZZZZZZZZZZZZZZZZA";

void Fold(ServerState& state, const std::vector<events::ServerEvent>& decided) {
  for (const auto& e : decided) Apply(state, e);
}

TEST(UserLock, LockRecordsReasonAndFolds) {
  ServerState state;
  auto events = Decide(state, LockUser{kAlice, true, "spam", 7});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  const auto& locked = std::get<events::UserLocked>(events->front());
  EXPECT_EQ(locked.server_key, "main");
  EXPECT_EQ(locked.user_id, kAlice);
  EXPECT_EQ(locked.reason, std::optional<std::string>("spam"));
  EXPECT_EQ(locked.locked_at_unix, 7);
  Fold(state, *events);
  EXPECT_EQ(state.locked_user_ids.count(kAlice), 1u);
  EXPECT_EQ(state.version, 1);
}

TEST(UserLock, LockingTwiceIsIdempotent) {
  ServerState state;
  Fold(state, *Decide(state, LockUser{kAlice, true, std::nullopt, 1}));
  auto again = Decide(state, LockUser{kAlice, true, std::nullopt, 2});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(UserLock, UnlockLiftsTheLockAndIsIdempotent) {
  ServerState state;
  auto not_locked = Decide(state, UnlockUser{kAlice, true, 1});
  ASSERT_TRUE(not_locked.ok());
  EXPECT_TRUE(not_locked->empty());
  Fold(state, *Decide(state, LockUser{kAlice, true, std::nullopt, 1}));
  auto events = Decide(state, UnlockUser{kAlice, true, 2});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  const auto& unlocked = std::get<events::UserUnlocked>(events->front());
  EXPECT_EQ(unlocked.user_id, kAlice);
  EXPECT_EQ(unlocked.unlocked_at_unix, 2);
  Fold(state, *events);
  EXPECT_TRUE(state.locked_user_ids.empty());
  EXPECT_EQ(state.version, 2);
}

TEST(UserLock, RefusesUnknownUsersBadIdsAndBadReasons) {
  ServerState state;
  EXPECT_EQ(Decide(state, LockUser{kAlice, false, std::nullopt, 1}).error().code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(Decide(state, UnlockUser{kAlice, false, 1}).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(Decide(state, LockUser{"nope", true, std::nullopt, 1}).error().code,
            core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(state, LockUser{kAlice, true, std::string(), 1}).error().code,
            core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(state, LockUser{kAlice, true, std::string(513, 'x'), 1}).error().code,
            core::ErrorCode::kInvalidArgument);
}

TEST(PasswordReset, RecordsTheResetIdEveryTime) {
  constexpr char kReset[] = "01HZZZZZZZZZZZZZZZZZZZZZZR";
  ServerState state;
  auto events = Decide(state, ResetPassword{kAlice, true, kReset, 9});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  const auto& reset = std::get<events::UserPasswordReset>(events->front());
  EXPECT_EQ(reset.user_id, kAlice);
  EXPECT_EQ(reset.reset_id, kReset);
  EXPECT_EQ(reset.reset_at_unix, 9);
  Fold(state, *events);
  EXPECT_EQ(state.version, 1);
  EXPECT_EQ(Decide(state, ResetPassword{kAlice, true, kReset, 10})->size(), 1u);
  EXPECT_EQ(Decide(state, ResetPassword{kAlice, false, kReset, 1}).error().code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(Decide(state, ResetPassword{kAlice, true, "x", 1}).error().code,
            core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace filament::commands
