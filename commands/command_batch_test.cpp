// Group commit on one stream (ADR 0070): the CommandQueue's leader/follower hand-off, and the
// command service deciding, appending and answering a batch.
#include "commands/command_batch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "commands/command_service.hpp"
#include "commands/guild/channels.hpp"
#include "commands/guild/messages.hpp"
#include "events/log_scan.hpp"
#include "events/testing/in_memory_event_log.hpp"

namespace filament::commands {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) until `done()` holds; false on timeout.
template <typename Pred>
bool WaitFor(Pred done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(5ms);
  return done();
}

// --- CommandQueue -------------------------------------------------------------------------

TEST(CommandQueueTest, FollowersQueuedBehindARunningBatchRunInBoundedBatches) {
  CommandQueue queue;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::vector<int>> batches;  // ids per batch, in run order
  std::atomic<int> entered{0};
  struct Item : QueuedCommandBase {
    int id = 0;
  };
  auto run = [&](const std::vector<QueuedCommandBase*>& batch) {
    std::vector<int> ids;
    for (auto* c : batch) ids.push_back(static_cast<Item*>(c)->id);
    std::unique_lock lock(mu);
    batches.push_back(ids);
    ++entered;
    cv.wait(lock, [&] { return release; });  // the first batch holds the stream
  };
  Item first;
  std::thread leader([&] { queue.Submit(first, 3, run); });
  ASSERT_TRUE(WaitFor([&] { return entered.load() == 1; }));
  std::vector<Item> items(7);
  std::vector<std::thread> followers;
  for (int i = 0; i < 7; ++i) {
    items[i].id = i + 1;
    followers.emplace_back([&, i] { queue.Submit(items[i], 3, run); });
    std::this_thread::sleep_for(20ms);  // queue them in id order
  }
  std::this_thread::sleep_for(100ms);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  leader.join();
  for (auto& t : followers) t.join();
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[0], std::vector<int>({0}));
  EXPECT_EQ(batches[1], std::vector<int>({1, 2, 3}));
  EXPECT_EQ(batches[2], std::vector<int>({4, 5, 6}));
  EXPECT_EQ(batches[3], std::vector<int>({7}));
  for (const auto& item : items) EXPECT_TRUE(item.done);
}

// A detached item that records the thread that finished it.
struct DetachedItem : QueuedCommandBase {
  explicit DetachedItem(int i) : id(i) {}
  void Finish() override {
    ++finished;
    finished_on = std::this_thread::get_id();
  }
  int id;
  std::atomic<int> finished{0};
  std::thread::id finished_on;
};

TEST(CommandQueueTest, DetachedCommandsQueuedBehindABatchAreRunAndFinishedByItsLeader) {
  CommandQueue queue;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::vector<int>> batches;
  std::atomic<int> entered{0};
  auto run = [&](const std::vector<QueuedCommandBase*>& batch) {
    std::vector<int> ids;
    for (auto* c : batch) ids.push_back(static_cast<DetachedItem*>(c)->id);
    std::unique_lock lock(mu);
    batches.push_back(ids);
    ++entered;
    cv.wait(lock, [&] { return release; });
  };
  DetachedItem first(0);
  std::thread::id leader_id;
  std::thread leader([&] {
    leader_id = std::this_thread::get_id();
    queue.SubmitDetached(first, 2, run);  // no batch running: this thread leads until empty
  });
  ASSERT_TRUE(WaitFor([&] { return entered.load() == 1; }));
  std::vector<std::unique_ptr<DetachedItem>> items;
  for (int i = 1; i <= 5; ++i) {
    items.push_back(std::make_unique<DetachedItem>(i));
    queue.SubmitDetached(*items.back(), 2, run);  // a batch is running: returns at once
  }
  EXPECT_EQ(entered.load(), 1);
  for (const auto& item : items) EXPECT_EQ(item->finished.load(), 0);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  leader.join();
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[1], std::vector<int>({1, 2}));
  EXPECT_EQ(batches[2], std::vector<int>({3, 4}));
  EXPECT_EQ(batches[3], std::vector<int>({5}));
  EXPECT_EQ(first.finished.load(), 1);
  for (const auto& item : items) {
    EXPECT_EQ(item->finished.load(), 1);
    EXPECT_EQ(item->finished_on, leader_id);
  }
}

TEST(CommandQueueTest, AWaitingCallerQueuedBehindDetachedCommandsTakesTheLead) {
  CommandQueue queue;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::pair<std::vector<int>, std::thread::id>> batches;  // ids, running thread
  std::atomic<int> entered{0};
  auto run = [&](const std::vector<QueuedCommandBase*>& batch) {
    std::vector<int> ids;
    for (auto* c : batch) ids.push_back(static_cast<DetachedItem*>(c)->id);
    std::unique_lock lock(mu);
    batches.emplace_back(ids, std::this_thread::get_id());
    ++entered;
    cv.wait(lock, [&] { return release; });
  };
  DetachedItem first(0);
  std::thread leader([&] { queue.SubmitDetached(first, 1, run); });
  ASSERT_TRUE(WaitFor([&] { return entered.load() == 1; }));
  DetachedItem second(1);
  queue.SubmitDetached(second, 1, run);
  DetachedItem waiting(2);  // a waiting caller (not detached)
  std::thread::id waiter_id;
  std::thread waiter([&] {
    waiter_id = std::this_thread::get_id();
    queue.Submit(waiting, 1, run);
  });
  std::this_thread::sleep_for(100ms);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  leader.join();
  waiter.join();
  ASSERT_EQ(batches.size(), 3u);
  // The waiting caller took the lead after the first batch and ran the rest, its own included;
  // the detached leader went back to its work.
  EXPECT_EQ(batches[1].second, waiter_id);
  EXPECT_EQ(batches[1].first, std::vector<int>({1}));
  EXPECT_EQ(batches[2].first, std::vector<int>({2}));
  EXPECT_EQ(second.finished.load(), 1);
  EXPECT_EQ(second.finished_on, waiter_id);
  EXPECT_TRUE(waiting.done);
  EXPECT_EQ(waiting.finished.load(), 0);  // a waiting caller is woken, not finished
}

// --- CommandService --------------------------------------------------------------------------

class NoCredentials : public CredentialStore {
 public:
  core::Result<bool> Claim(const std::string&, const std::string&, const std::string&) override {
    return true;
  }
  core::Status Release(const std::string&) override { return core::OkStatus(); }
  core::Result<bool> Rename(const std::string&, const std::string&) override { return true; }
};

// An EventLog that counts appends, can hold the next append until released, and can fail the
// next append(s) without writing anything.
class GatedLog final : public events::EventLog {
 public:
  int32_t Partitions() const override { return inner.Partitions(); }
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& batch) override {
    std::unique_lock lock(mu);
    ++appends;
    sizes.push_back(batch.records.size());
    const bool failing = fail > 0;  // decided on entry: a held append is not failed later
    if (failing) --fail;
    if (hold) {
      held = true;
      cv.notify_all();
      cv.wait(lock, [&] { return !hold; });
    }
    if (failing) return core::Unavailable("injected append failure");
    lock.unlock();
    return inner.Append(batch);
  }
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& start) override {
    return inner.OpenReader(start);
  }
  core::Result<std::vector<int64_t>> EndOffsets() override { return inner.EndOffsets(); }

  void Hold() {
    std::lock_guard lock(mu);
    hold = true;
    held = false;
  }
  bool WaitHeld() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [&] { return held; });
  }
  void Release() {
    {
      std::lock_guard lock(mu);
      hold = false;
    }
    cv.notify_all();
  }

  events::testing::InMemoryEventLog inner{4};
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false;
  bool held = false;
  int fail = 0;
  int appends = 0;
  std::vector<size_t> sizes;
};

class CommandBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<CommandService>(log_, clock_, ids_, credentials_, limits_);
    ASSERT_TRUE(service_->Start().ok());
    auto registered = service_->RegisterUser({"", "r"}, "alice", "hash");
    alice_ = std::get<events::UserRegistered>(registered->events.at(0)).user_id;
    auto guild = service_->CreateGuild({alice_, "r"}, "Guild", "public");
    guild_ = std::get<events::GuildCreated>(guild->events.at(0)).guild_id;
    auto channel = service_->OnGuild({alice_, "r"}, guild_, [&](Minter& m) {
      return CreateChannel{guild_, m.NewId(), "general", "text", alice_, m.NowUnix()};
    });
    channel_ = std::get<events::ChannelCreated>(channel->events.at(0)).channel_id;
  }

  core::Result<Appended> Post(const std::string& channel, const std::string& content = "hi") {
    return service_->OnGuild({alice_, "r"}, guild_, [&](Minter& m) {
      return PostMessage{guild_, channel, m.NewId(), alice_, content, {}, m.NowUnix()};
    });
  }
  core::Result<Appended> Edit(const std::string& message_id) {
    return service_->OnGuild({alice_, "r"}, guild_, [&](Minter& m) {
      return EditMessage{guild_, channel_, message_id, alice_, "edited", m.NowUnix()};
    });
  }
  static std::string MessageId(const Appended& appended) {
    return std::get<events::MessagePosted>(appended.events.at(0)).message_id;
  }

  // Every record of the guild's stream, in log order.
  std::vector<events::StoredRecord> GuildRecords() {
    std::vector<events::StoredRecord> out;
    auto ends = log_.EndOffsets();
    EXPECT_TRUE(events::ReadLogUpTo(log_, *ends, [&](const events::StoredRecord& r) {
                  if (r.record.meta.stream == "guild:" + guild_) out.push_back(r);
                  return core::OkStatus();
                }).ok());
    return out;
  }

  // Holds the log, lets one post become the leader blocked in its append, queues `follow`
  // behind it (each a command returning its result), releases the log and returns the
  // followers' results in order.
  // `while_held` runs (under the log's lock) once the leader's append is held.
  std::vector<core::Result<Appended>> BehindAHeldAppend(
      const std::vector<std::function<core::Result<Appended>()>>& follow,
      const std::function<void()>& while_held = [] {}) {
    log_.Hold();
    std::thread leader([&] { EXPECT_TRUE(Post(channel_).ok()); });
    EXPECT_TRUE(log_.WaitHeld());
    {
      std::lock_guard lock(log_.mu);
      while_held();
    }
    std::vector<std::optional<core::Result<Appended>>> results(follow.size());
    std::vector<std::thread> threads;
    std::atomic<size_t> started{0};
    for (size_t i = 0; i < follow.size(); ++i) {
      threads.emplace_back([&, i] {
        ++started;
        results[i] = follow[i]();
      });
      std::this_thread::sleep_for(20ms);  // queue them in order
    }
    EXPECT_TRUE(WaitFor([&] { return started.load() == follow.size(); }));
    std::this_thread::sleep_for(100ms);
    log_.Release();
    leader.join();
    for (auto& t : threads) t.join();
    std::vector<core::Result<Appended>> out;
    for (auto& r : results) out.push_back(std::move(*r));
    return out;
  }

  GatedLog log_;
  core::FakeClock clock_;
  core::UlidGenerator ids_;
  NoCredentials credentials_;
  core::Limits limits_;
  std::unique_ptr<CommandService> service_;
  std::string alice_, guild_, channel_;
};

TEST_F(CommandBatchTest, CommandsQueuedBehindAnAppendGoOutAsOneAppend) {
  std::vector<std::function<core::Result<Appended>()>> follow(5, [&] { return Post(channel_); });
  const int appends_before = log_.appends;
  auto results = BehindAHeldAppend(follow);
  EXPECT_EQ(log_.appends - appends_before, 2);  // the leader's, then the five together
  EXPECT_EQ(log_.sizes.back(), 5u);
  auto records = GuildRecords();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->positions.size(), 1u);
    const auto& at = std::find_if(records.begin(), records.end(),
                                  [&](const auto& s) { return s.position == r->positions[0]; });
    ASSERT_NE(at, records.end());
    EXPECT_NE(at->record.payload.find(MessageId(*r)), std::string::npos);
  }
}

TEST_F(CommandBatchTest, ARejectedCommandInABatchGetsItsOwnErrorAndChangesNothing) {
  const std::string nowhere = "01J000000000000000000000Z9";
  auto results = BehindAHeldAppend({[&] { return Post(channel_, "one"); },
                                    [&] { return Post(nowhere, "rejected"); },
                                    [&] { return Post(channel_, "two"); }});
  ASSERT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().code, core::ErrorCode::kNotFound);
  ASSERT_TRUE(results[2].ok());
  EXPECT_EQ(log_.sizes.back(), 2u);  // the two accepted posts, one append
  auto records = GuildRecords();
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].record.meta.stream_version, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(records[i].record.payload.find("rejected"), std::string::npos);
  }
  EXPECT_EQ(results[2]->positions[0].offset, results[0]->positions[0].offset + 1);
}

TEST_F(CommandBatchTest, AFailedAppendFailsTheWholeBatchAndLeavesTheStateAsTheLogHasIt) {
  const size_t before = GuildRecords().size();
  std::vector<std::string> minted(4);
  std::vector<std::function<core::Result<Appended>()>> follow;
  for (size_t i = 0; i < minted.size(); ++i) {
    follow.push_back([&, i] {
      return service_->OnGuild({alice_, "r"}, guild_, [&](Minter& m) {
        minted[i] = m.NewId();
        return PostMessage{guild_, channel_, minted[i], alice_, "lost", {}, m.NowUnix()};
      });
    });
  }
  auto results = BehindAHeldAppend(follow, [&] { log_.fail = 1; });
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, core::ErrorCode::kUnavailable);
  }
  EXPECT_EQ(log_.sizes.back(), 4u);              // they had gone out together
  EXPECT_EQ(GuildRecords().size(), before + 1);  // only the leader's post
  for (const auto& id : minted) {
    ASSERT_FALSE(id.empty());
    auto edit = Edit(id);  // the state does not know the lost messages
    ASSERT_FALSE(edit.ok());
    EXPECT_EQ(edit.error().code, core::ErrorCode::kNotFound);
  }
  auto next = Post(channel_);  // and expects the version the log has
  ASSERT_TRUE(next.ok()) << next.error().message;
  auto records = GuildRecords();
  EXPECT_EQ(records.back().record.meta.stream_version, static_cast<int64_t>(before) + 2);
  EXPECT_TRUE(Edit(MessageId(*next)).ok());
}

TEST_F(CommandBatchTest, AfterASecondWriterTheStreamIsFoldedAgainFromTheLog) {
  CommandService other(log_, clock_, ids_, credentials_, limits_);
  ASSERT_TRUE(other.Start().ok());
  auto theirs = other.OnGuild({alice_, "r"}, guild_, [&](Minter& m) {
    return PostMessage{guild_, channel_, m.NewId(), alice_, "theirs", {}, m.NowUnix()};
  });
  ASSERT_TRUE(theirs.ok());
  auto refused = Post(channel_);  // our state is one event behind the log
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kAborted);
  EXPECT_TRUE(Edit(MessageId(*theirs)).ok());  // folded again: the other writer's post is known
  EXPECT_TRUE(Post(channel_).ok());
}

TEST_F(CommandBatchTest, DetachedPostsAreAnsweredOnceEachAndGoOutTogether) {
  std::mutex mu;
  std::vector<core::Result<Appended>> answers;
  auto post_detached = [&](std::string channel, std::string content) {
    service_->OnGuildDetached(
        {alice_, "r"}, guild_,
        [this, channel, content](Minter& m) {
          return PostMessage{guild_, channel, m.NewId(), alice_, content, {}, m.NowUnix()};
        },
        [&](core::Result<Appended> result) {
          std::lock_guard lock(mu);
          answers.push_back(std::move(result));
        });
  };
  log_.Hold();
  std::thread leader([&] { post_detached(channel_, "first"); });  // leads, held in its append
  ASSERT_TRUE(log_.WaitHeld());
  const int appends_before = log_.appends;
  post_detached(channel_, "one");  // queued: returns without an answer
  post_detached("01J000000000000000000000Z9", "rejected");
  post_detached(channel_, "two");
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(answers.empty());
  }
  log_.Release();
  leader.join();  // the leader ran the queued batch too
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(log_.appends - appends_before, 1);  // "one" and "two" in one append
  EXPECT_EQ(log_.sizes.back(), 2u);
  ASSERT_TRUE(answers[0].ok());
  ASSERT_TRUE(answers[1].ok());
  ASSERT_FALSE(answers[2].ok());
  EXPECT_EQ(answers[2].error().code, core::ErrorCode::kNotFound);
  ASSERT_TRUE(answers[3].ok());
  EXPECT_EQ(answers[3]->positions.at(0).offset, answers[1]->positions.at(0).offset + 1);
  for (const auto& r : GuildRecords()) {
    EXPECT_EQ(r.record.payload.find("rejected"), std::string::npos);
  }
}

TEST_F(CommandBatchTest, ADetachedCommandOnAnUnknownGuildIsAnsweredAtOnce) {
  std::optional<core::Result<Appended>> answer;
  service_->OnGuildDetached(
      {alice_, "r"}, "01J000000000000000000000Z8",
      [this](Minter& m) {
        return PostMessage{
            "01J000000000000000000000Z8", channel_, m.NewId(), alice_, "x", {}, m.NowUnix()};
      },
      [&](core::Result<Appended> result) { answer = std::move(result); });
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->ok());
  auto waited = service_->OnGuild({alice_, "r"}, "01J000000000000000000000Z8", [this](Minter& m) {
    return PostMessage{
        "01J000000000000000000000Z8", channel_, m.NewId(), alice_, "x", {}, m.NowUnix()};
  });
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(answer->error().code, waited.error().code);  // as OnGuild answers
}

TEST_F(CommandBatchTest, ConcurrentPostsKeepTheirOwnPositionsAndIdsInLogOrder) {
  constexpr int kThreads = 8;
  constexpr int kPosts = 40;
  const int appends_before = log_.appends;
  std::map<std::string, events::Position> answered;  // message id -> position answered
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPosts; ++i) {
        auto posted = Post(channel_);
        ASSERT_TRUE(posted.ok()) << posted.error().message;
        ASSERT_EQ(posted->positions.size(), 1u);
        std::lock_guard lock(mu);
        answered.emplace(MessageId(*posted), posted->positions[0]);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(answered.size(), static_cast<size_t>(kThreads * kPosts));
  EXPECT_LE(log_.appends - appends_before, kThreads * kPosts);
  std::string previous;
  size_t posts_seen = 0;
  auto records = GuildRecords();
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& meta = records[i].record.meta;
    EXPECT_EQ(meta.stream_version, static_cast<int64_t>(i) + 1);
    if (meta.type != "message_posted") continue;
    auto event = events::DecodeEvent(meta.type, meta.schema_version, records[i].record.payload);
    const auto& id = std::get<events::MessagePosted>(*event).message_id;
    EXPECT_LT(previous, id) << "message ids must increase in log order";
    previous = id;
    ASSERT_TRUE(answered.count(id));
    EXPECT_EQ(answered[id], records[i].position) << "each caller gets its own position";
    ++posts_seen;
  }
  EXPECT_EQ(posts_seen, answered.size());
}

}  // namespace
}  // namespace filament::commands
