// Two users send each other a friend request at the same moment: the pair's stream decides
// them one after the other, so exactly one request is pending afterwards (ADR 0021).
#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "commands/command_service.hpp"
#include "commands/friendship/friends.hpp"
#include "events/testing/in_memory_event_log.hpp"

namespace filament::commands {
namespace {

class NameSet : public CredentialStore {
 public:
  core::Result<bool> Claim(const std::string&, const std::string& name,
                           const std::string&) override {
    std::lock_guard lock(mutex_);
    return names_.insert(name).second;
  }
  core::Status Release(const std::string&) override { return core::OkStatus(); }
  core::Result<bool> Rename(const std::string&, const std::string& name) override {
    std::lock_guard lock(mutex_);
    return names_.insert(name).second;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> names_;
};

core::Result<Appended> SendRequest(CommandService& service, const std::string& from,
                                   const std::string& to) {
  return service.OnFriendship({from, "r"}, from, to, [&](Minter& m) {
    return SendFriendRequest{m.NewId(), from, "sender", to, "recipient", m.NowUnix()};
  });
}

TEST(FriendshipRace, OppositeRequestsAtOnceLeaveExactlyOnePending) {
  for (int round = 0; round < 50; ++round) {
    events::testing::InMemoryEventLog log{4};
    core::FakeClock clock;
    core::UlidGenerator ids;
    NameSet names;
    CommandService service(log, clock, ids, names, core::Limits{});
    ASSERT_TRUE(service.Start().ok());
    auto a = service.RegisterUser({"", "r"}, "alice", "h");
    auto b = service.RegisterUser({"", "r"}, "bobby", "h");
    const auto alice = std::get<events::UserRegistered>(a->events.at(0)).user_id;
    const auto bob = std::get<events::UserRegistered>(b->events.at(0)).user_id;
    std::atomic<int> go{0}, accepted{0}, rejected{0};
    auto race = [&](const std::string& from, const std::string& to) {
      ++go;
      while (go.load() < 2) {
      }
      auto result = SendRequest(service, from, to);
      (result.ok() ? accepted : rejected)++;
      if (!result.ok()) {
        EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
      }
    };
    std::thread t1(race, alice, bob), t2(race, bob, alice);
    t1.join();
    t2.join();
    EXPECT_EQ(accepted.load(), 1);
    EXPECT_EQ(rejected.load(), 1);
    // A restarted service folds the same single pending request from the log.
    CommandService again(log, clock, ids, names, core::Limits{});
    auto started = again.Start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_FALSE(SendRequest(again, alice, bob).ok());
    EXPECT_FALSE(SendRequest(again, bob, alice).ok());
  }
}

TEST(FriendshipRace, UnknownUserAllocatesNoStream) {
  events::testing::InMemoryEventLog log{4};
  core::FakeClock clock;
  core::UlidGenerator ids;
  NameSet names;
  CommandService service(log, clock, ids, names, core::Limits{});
  ASSERT_TRUE(service.Start().ok());
  auto a = service.RegisterUser({"", "r"}, "alice", "h");
  const auto alice = std::get<events::UserRegistered>(a->events.at(0)).user_id;
  auto result = SendRequest(service, alice, "01HZZZZZZZZZZZZZZZZZZZZZZZ");
  EXPECT_EQ(result.error().code, core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace filament::commands
