#include "commands/user/sessions.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

constexpr char kUser[] = "01HZZZZZZZZZZZZZZZZZZZZZZA";
constexpr char kSession[] = "01HZZZZZZZZZZZZZZZZZZZZZZB";

UserState Registered() { return Fold({events::UserRegistered{kUser, "alice", 100}}); }

UserState WithSession(int64_t expires = 1000) {
  UserState user = Registered();
  Apply(user, events::SessionStarted{kUser, kSession, 100, expires});
  return user;
}

TEST(StartSession, RecordsTheSessionWithoutSecrets) {
  auto events = Decide(Registered(), StartSession{kSession, 100, 1000});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  const auto& started = std::get<events::SessionStarted>(events->at(0));
  EXPECT_EQ(started.session_id, kSession);
  EXPECT_EQ(started.expires_at_unix, 1000);
}

TEST(StartSession, UnknownUserIsRejected) {
  auto events = Decide(UserState{}, StartSession{kSession, 100, 1000});
  EXPECT_EQ(events.error().code, core::ErrorCode::kUnauthenticated);
}

TEST(RotateSession, LiveSessionSlidesItsExpiry) {
  auto events = Decide(WithSession(), RotateSession{kSession, 500, 3000});
  ASSERT_TRUE(events.ok());
  UserState user = WithSession();
  Apply(user, events->at(0));
  EXPECT_EQ(user.sessions.at(kSession).expires_at_unix, 3000);
}

TEST(RotateSession, RevokedExpiredOrUnknownSessionIsRejected) {
  UserState revoked = WithSession();
  Apply(revoked, events::SessionRevoked{kUser, kSession, "replay", 200});
  EXPECT_EQ(Decide(revoked, RotateSession{kSession, 300, 3000}).error().code,
            core::ErrorCode::kUnauthenticated);
  EXPECT_EQ(Decide(WithSession(1000), RotateSession{kSession, 1000, 3000}).error().code,
            core::ErrorCode::kUnauthenticated);
  EXPECT_EQ(Decide(Registered(), RotateSession{kSession, 300, 3000}).error().code,
            core::ErrorCode::kUnauthenticated);
}

TEST(RevokeSession, RecordsTheReasonOnceOnly) {
  auto events = Decide(WithSession(), RevokeSession{kSession, "replay", 300});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(std::get<events::SessionRevoked>(events->at(0)).reason, "replay");
  UserState user = WithSession();
  Apply(user, events->at(0));
  auto again = Decide(user, RevokeSession{kSession, "logout", 301});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(RevokeSession, UnknownReasonIsRejected) {
  EXPECT_EQ(Decide(WithSession(), RevokeSession{kSession, "bored", 300}).error().code,
            core::ErrorCode::kInvalidArgument);
}

TEST(UserStateFold, ANewSessionForgetsEndedOnes) {
  UserState user = WithSession(150);
  Apply(user, events::SessionStarted{kUser, "01HZZZZZZZZZZZZZZZZZZZZZZC", 200, 5000});
  EXPECT_EQ(user.sessions.count(kSession), 0u);
  EXPECT_EQ(user.sessions.size(), 1u);
}

}  // namespace
}  // namespace filament::commands
