#include "gateway/bridge/log_bridge.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "events/testing/builders.hpp"
#include "events/testing/in_memory_event_log.hpp"
#include "gateway/bridge/bridge_start.hpp"

namespace filament::gateway {
namespace {

using namespace std::chrono_literals;
using events::testing::InMemoryEventLog;

// Records what the bridge fans out, with a way to wait for it.
class RecordingSink final : public FanoutSink {
 public:
  void ToChannel(const std::string&, const std::string&, const std::string& type,
                 const std::string&, const UserFilter&) override {
    Add(type);
  }
  void ToGuild(const std::string&, const std::string& type, const std::string&,
               const UserFilter&) override {
    Add(type);
  }
  void ToUser(const std::string&, const std::string& type, const std::string&) override {
    Add(type);
  }
  void Revalidate(const std::string&, const KeepSubscription&) override {}
  void ApplyIpBans(const std::string& guild_id, const std::vector<IpBanEntry>& bans,
                   const Announcement* announce,
                   std::shared_ptr<const ReplayEntry> record) override {
    if (announce != nullptr) Add(announce->type);
    Record(std::move(record));
    std::string entry = "ban " + guild_id;
    for (const auto& ban : bans) {
      entry += " " + ban.ban_id + "=" + ban.address + "@" + std::to_string(*ban.expires_at_unix);
    }
    Add(entry);
  }
  void LiftIpBans(const std::string& guild_id, const std::vector<std::string>& ban_ids) override {
    std::string entry = "lift " + guild_id;
    for (const auto& id : ban_ids) entry += " " + id;
    Add(entry);
  }
  // v2 (kept apart from the fan-out above).
  void StartReplayWindow(const std::vector<int64_t>& start) override {
    AddWindow("window " + std::to_string(start.at(0)));
  }
  void Record(std::shared_ptr<const ReplayEntry> entry) override {
    std::string text = "record " + std::to_string(entry->offset);
    for (const auto& event : entry->events) text += " " + event.type;
    AddWindow(text);
  }
  std::vector<std::string> window() {
    std::lock_guard lock(mu_);
    return window_;
  }

  // True once `count` events have been fanned out, false after `timeout`.
  bool WaitFor(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return types_.size() >= count; });
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return types_.size();
  }
  std::vector<std::string> types() {
    std::lock_guard lock(mu_);
    return types_;
  }

 private:
  void Add(const std::string& type) {
    std::lock_guard lock(mu_);
    types_.push_back(type);
    changed_.notify_all();
  }
  void AddWindow(const std::string& text) {
    std::lock_guard lock(mu_);
    window_.push_back(text);
    changed_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> types_;
  std::vector<std::string> window_;
};

void AppendGuildEvent(InMemoryEventLog& log, const events::Event& event, std::string_view type,
                      const std::string& event_id) {
  events::LogRecord record;
  record.meta = {event_id, std::string(type),
                 1,        std::string("guild:") + events::testing::kGuildId,
                 0,        0,
                 "actor",  "corr",
                 ""};
  record.payload = events::EncodePayload(event);
  ASSERT_TRUE(log.Append({record.meta.stream, events::AppendBatch::kAnyVersion, {record}}).ok());
}

void Post(InMemoryEventLog& log, const std::string& message_id) {
  auto event = events::testing::MessagePostedExample();
  event.message_id = message_id;
  AppendGuildEvent(log, events::Event{event}, events::MessagePosted::kType, "01EVENT" + message_id);
}

// A barrier the test opens by hand; it records the timeout of every call.
struct ManualBarrier {
  std::mutex mu;
  std::condition_variable changed;
  bool open = false;
  std::vector<std::chrono::milliseconds> timeouts;

  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    timeouts.push_back(timeout);
    return changed.wait_for(lock, timeout, [&] { return open; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    changed.notify_all();
  }
  std::vector<std::chrono::milliseconds> Timeouts() {
    std::lock_guard lock(mu);
    return timeouts;
  }
};

TEST(LogBridgeBarrier, DeliversOnlyOnceTheReadModelsHaveTheRecord) {
  InMemoryEventLog log(2);
  RecordingSink sink;
  ManualBarrier barrier;
  LogBridge bridge(
      log, sink, nullptr,
      [&](const events::StoredRecord&, std::chrono::milliseconds t) { return barrier.Wait(t); },
      10s);
  ASSERT_TRUE(bridge.Start().ok());
  Post(log, "01J1A00000000000000000M001");
  EXPECT_FALSE(sink.WaitFor(1, 300ms)) << "delivered before the read models applied it";
  barrier.Open();
  EXPECT_TRUE(sink.WaitFor(1, 5s));
  EXPECT_EQ(bridge.barrier_misses(), 0);
  bridge.Stop();
}

TEST(LogBridgeBarrier, StopsWaitingAfterATimeoutAndWaitsAgainOnceCaughtUp) {
  InMemoryEventLog log(1);
  RecordingSink sink;
  ManualBarrier barrier;
  LogBridge bridge(
      log, sink, nullptr,
      [&](const events::StoredRecord&, std::chrono::milliseconds t) { return barrier.Wait(t); },
      100ms);
  ASSERT_TRUE(bridge.Start().ok());
  Post(log, "01J1A00000000000000000M001");
  ASSERT_TRUE(sink.WaitFor(1, 5s)) << "a timed-out barrier must not hold delivery back";
  Post(log, "01J1A00000000000000000M002");
  ASSERT_TRUE(sink.WaitFor(2, 5s));
  EXPECT_EQ(bridge.barrier_misses(), 2);
  barrier.Open();
  Post(log, "01J1A00000000000000000M003");  // caught up (checked without waiting)
  Post(log, "01J1A00000000000000000M004");  // waits again with the full timeout
  ASSERT_TRUE(sink.WaitFor(4, 5s));
  bridge.Stop();
  const auto timeouts = barrier.Timeouts();
  ASSERT_EQ(timeouts.size(), 4u);
  EXPECT_EQ(timeouts[0], 100ms);
  EXPECT_EQ(timeouts[1], 0ms);
  EXPECT_EQ(timeouts[2], 0ms);
  EXPECT_EQ(timeouts[3], 100ms);
  EXPECT_EQ(bridge.barrier_misses(), 2);
}

TEST(LogBridgeBarrier, NoBarrierDeliversAtOnce) {
  InMemoryEventLog log(1);
  RecordingSink sink;
  LogBridge bridge(log, sink);
  ASSERT_TRUE(bridge.Start().ok());
  Post(log, "01J1A00000000000000000M001");
  EXPECT_TRUE(sink.WaitFor(1, 5s));
  bridge.Stop();
}

TEST(LogBridgeReplayWindow, FillsFromTheLogTailThenFeedsEveryRecordAfterItsFanOut) {
  InMemoryEventLog log(1);
  for (int i = 0; i < 3; ++i) Post(log, "01J1A00000000000000000M00" + std::to_string(i));
  RecordingSink sink;
  LogBridge bridge(log, sink);
  bridge.SetReplayWindow(2);  // the last two records of the partition
  ASSERT_TRUE(bridge.Start().ok());
  Post(log, "01J1A00000000000000000M003");
  ASSERT_TRUE(sink.WaitFor(1, 5s));
  for (int i = 0; i < 500 && sink.window().size() < 4; ++i) std::this_thread::sleep_for(10ms);
  bridge.Stop();
  const std::vector<std::string> window = {"window 1", "record 1 message_create",
                                           "record 2 message_create", "record 3 message_create"};
  EXPECT_EQ(sink.window(), window);
  EXPECT_EQ(sink.types(), std::vector<std::string>{"message_create"});  // only the live one
}

// Started from the command side's fold of the first two records (ADR 0085): only the record
// after it is folded and mapped, so the replay window starts there, not at 3 - 2 = 1.
TEST(LogBridgeReplayWindow, AStartFromTheCommandFoldBoundsTheWindowAndTheFold) {
  InMemoryEventLog log(1);
  for (int i = 0; i < 3; ++i) Post(log, "01J1A00000000000000000M00" + std::to_string(i));
  auto ends = log.EndOffsets();
  ASSERT_TRUE(ends.ok());
  commands::CommandFold fold(1);
  auto reader = log.OpenReader({{0, 0}});
  ASSERT_TRUE(reader.ok());
  auto records = (*reader)->Poll(2, 100ms);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  for (const auto& r : *records) ASSERT_TRUE(fold.Fold(r).ok());
  RecordingSink sink;
  LogBridge bridge(log, sink);
  bridge.SetReplayWindow(2);
  bridge.SetStart(BridgeStartFrom(fold));
  ASSERT_TRUE(bridge.Start().ok());
  Post(log, "01J1A00000000000000000M003");
  ASSERT_TRUE(sink.WaitFor(1, 5s));
  for (int i = 0; i < 500 && sink.window().size() < 3; ++i) std::this_thread::sleep_for(10ms);
  bridge.Stop();
  const std::vector<std::string> window = {"window 2", "record 2 message_create",
                                           "record 3 message_create"};
  EXPECT_EQ(sink.window(), window);
}

// A start of another partition count is ignored: the whole log is folded, as without one.
TEST(LogBridgeReplayWindow, AStartThatDoesNotFitTheLogIsIgnored) {
  InMemoryEventLog log(1);
  for (int i = 0; i < 3; ++i) Post(log, "01J1A00000000000000000M00" + std::to_string(i));
  commands::CommandFold fold(2);
  RecordingSink sink;
  LogBridge bridge(log, sink);
  bridge.SetReplayWindow(2);
  bridge.SetStart(BridgeStartFrom(fold));
  ASSERT_TRUE(bridge.Start().ok());
  bridge.Stop();
  const std::vector<std::string> window = {"window 1", "record 1 message_create",
                                           "record 2 message_create"};
  EXPECT_EQ(sink.window(), window);
}

// Observation ids → addresses; "unknown" ids resolve to nothing (erased).
class FakeResolver final : public IpObservationResolver {
 public:
  core::Result<std::vector<std::optional<std::string>>> AddressesOf(
      const std::vector<std::string>& ids) override {
    std::vector<std::optional<std::string>> out;
    for (const auto& id : ids) {
      if (id == "01J1A000000000000000000B01") out.emplace_back("10.0.0.7");
      if (id == "01J1A000000000000000000B02") out.emplace_back();
    }
    return out;
  }
};

TEST(LogBridgeIpBans, AnUpsertCutsResolvedAddressesAfterItsSyncAndARemoveLifts) {
  InMemoryEventLog log(1);
  RecordingSink sink;
  FakeResolver resolver;
  LogBridge bridge(log, sink, nullptr, nullptr, 5s, &resolver);
  ASSERT_TRUE(bridge.Start().ok());
  const std::string guild = events::testing::kGuildId;
  events::IpBansUpdated upsert{guild,
                               "upsert",
                               {"01J1A000000000000000000A01", "01J1A000000000000000000A02"},
                               {"01J1A000000000000000000B01", "01J1A000000000000000000B02"},
                               std::nullopt,
                               std::nullopt,
                               1700003600,
                               1700000000};
  AppendGuildEvent(log, events::Event{upsert}, events::IpBansUpdated::kType, "01EVENT1");
  events::IpBansUpdated remove{guild,        "remove",     {"01J1A000000000000000000A01"},
                               {},           std::nullopt, std::nullopt,
                               std::nullopt, 1700000001};
  AppendGuildEvent(log, events::Event{remove}, events::IpBansUpdated::kType, "01EVENT2");
  ASSERT_TRUE(sink.WaitFor(4, 5s));
  bridge.Stop();
  EXPECT_EQ(sink.types(),
            (std::vector<std::string>{
                "workspace_ip_ban_sync",
                "ban " + guild + " 01J1A000000000000000000A01=10.0.0.7@1700003600",
                "workspace_ip_ban_sync", "lift " + guild + " 01J1A000000000000000000A01"}));
  // The upsert's v2 record goes with its cut (one step of the hub), the remove's as usual.
  EXPECT_EQ(sink.window(), (std::vector<std::string>{"window 0", "record 0 workspace_ip_ban_sync",
                                                     "record 1 workspace_ip_ban_sync"}));
}

}  // namespace
}  // namespace filament::gateway
