#include "commands/user/profile.hpp"

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

constexpr char kUser[] = "01HZZZZZZZZZZZZZZZZZZZZZZA";

UserState Alice() { return Fold({events::UserRegistered{kUser, "alice", 100}}); }

TEST(UpdateProfile, RequestedKeysAreInTheEvent) {
  auto events = Decide(Alice(), UpdateProfile{std::nullopt, "hi *there*", 200, false});
  ASSERT_TRUE(events.ok());
  const auto& updated = std::get<events::ProfileUpdated>(events->at(0));
  EXPECT_FALSE(updated.username.has_value());
  EXPECT_EQ(updated.about_markdown, "hi *there*");
  EXPECT_EQ(updated.updated_at_unix, 200);
}

TEST(UpdateProfile, EmptyUpdateIsRejected) {
  EXPECT_EQ(Decide(Alice(), UpdateProfile{}).error().code, core::ErrorCode::kInvalidArgument);
}

TEST(UpdateProfile, TakenOrInvalidUsernameIsRejected) {
  EXPECT_EQ(Decide(Alice(), UpdateProfile{"bob", std::nullopt, 200, true}).error().code,
            core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(Decide(Alice(), UpdateProfile{"no spaces", std::nullopt, 200, false}).error().code,
            core::ErrorCode::kInvalidArgument);
}

TEST(UpdateProfile, KeepingOnesOwnNameIsAllowed) {
  EXPECT_TRUE(Decide(Alice(), UpdateProfile{"alice", std::nullopt, 200, true}).ok());
}

TEST(UpdateProfile, AboutRules) {
  EXPECT_FALSE(Decide(Alice(), UpdateProfile{std::nullopt, std::string(2049, 'a'), 1}).ok());
  EXPECT_TRUE(Decide(Alice(), UpdateProfile{std::nullopt, std::string(2048, 'a'), 1}).ok());
  EXPECT_FALSE(Decide(Alice(), UpdateProfile{std::nullopt, std::string("a\0b", 3), 1}).ok());
  EXPECT_TRUE(Decide(Alice(), UpdateProfile{std::nullopt, "", 1}).ok());
}

TEST(UpdateProfile, UnknownUserIsNotFound) {
  EXPECT_EQ(Decide(UserState{}, UpdateProfile{"bob", std::nullopt, 1}).error().code,
            core::ErrorCode::kNotFound);
}

ChangeProfileImage Avatar(int64_t now) {
  return ChangeProfileImage{
      ChangeProfileImage::Kind::kAvatar, "blob-1", 10, "image/png", std::string(64, 'a'), now};
}

TEST(ChangeProfileImage, VersionIsMaxOfNextAndNow) {
  auto first = Decide(Alice(), Avatar(1000));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(std::get<events::ProfileAvatarChanged>(first->at(0)).avatar_version, 1000);
  UserState user = Alice();
  Apply(user, first->at(0));
  auto second = Decide(user, Avatar(1000));  // same second: old + 1
  EXPECT_EQ(std::get<events::ProfileAvatarChanged>(second->at(0)).avatar_version, 1001);
  EXPECT_EQ(user.banner_version, 0);
}

TEST(ChangeProfileImage, BannerHasItsOwnVersion) {
  ChangeProfileImage banner = Avatar(50);
  banner.kind = ChangeProfileImage::Kind::kBanner;
  auto events = Decide(Alice(), banner);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(std::get<events::ProfileBannerChanged>(events->at(0)).banner_version, 50);
}

}  // namespace
}  // namespace filament::commands
