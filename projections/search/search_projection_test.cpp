#include "projections/search/search_projection.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/ulid.hpp"
#include "events/generated/event_types.hpp"
#include "events/testing/builders.hpp"
#include "events/testing/in_memory_event_log.hpp"
#include "projections/search/index_store.hpp"
#include "projections/search/search_replay.hpp"

namespace filament::projections {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
namespace ex = events::testing;

constexpr char kChannel2[] = "01J1A00000000000000000C002";
constexpr char kGuild2[] = "01J1A00000000000000000G02D";

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "search-proj-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

class SearchProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = TempDir(); }
  void TearDown() override {
    projection_.reset();
    std::filesystem::remove_all(root_);
  }

  SearchProjectionOptions Options() {
    SearchProjectionOptions options;
    options.root_dir = root_ + "/search";
    options.poll_wait = 20ms;
    options.batch_size = 4;
    options.rebuild_batch_size = 7;
    return options;
  }

  void StartProjection(SearchProjectionOptions options) {
    projection_ = std::make_unique<SearchProjection>(log_, std::move(options), &applied_);
    auto started = projection_->Start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  void StartProjection() { StartProjection(Options()); }

  events::Position Append(const events::Event& event) {
    events::LogRecord record;
    record.meta.event_id = ids_.Next(1700000000000).ToString();
    record.meta.type = std::string(events::TypeOf(event));
    record.meta.schema_version = events::SchemaVersionOf(event);
    record.meta.stream = events::StreamKeyOf(event);
    record.payload = events::EncodePayload(event);
    auto appended = log_.Append({record.meta.stream, events::AppendBatch::kAnyVersion, {record}});
    EXPECT_TRUE(appended.ok());
    last_ = appended.ok() ? appended->back() : events::Position{};
    return last_;
  }

  std::string Post(std::string content, std::string channel = ex::kChannelId,
                   std::string guild = ex::kGuildId) {
    auto posted = ex::MessagePostedExample(std::move(content));
    posted.message_id = ids_.Next(1700000000000).ToString();
    posted.channel_id = std::move(channel);
    posted.guild_id = std::move(guild);
    Append(posted);
    return posted.message_id;
  }
  void Edit(const std::string& id, std::string content) {
    auto edited = ex::MessageEditedExample(std::move(content));
    edited.message_id = id;
    Append(edited);
  }
  void Delete(const std::string& id) {
    auto deleted = ex::MessageDeletedExample();
    deleted.message_id = id;
    Append(deleted);
  }

  // Read-your-writes: true once the projection reports the last appended record applied.
  bool Applied(events::Position position) {
    return applied_.WaitFor({std::string(kSearchProjectionName)}, position, 10s);
  }
  bool CaughtUp() { return Applied(last_); }

  std::vector<std::string> Find(std::string q, std::string channel = "") {
    auto found = projection_->Query(search::SearchRequest{
        .guild_id = ex::kGuildId, .channel_id = std::move(channel), .query = std::move(q)});
    EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().message);
    return found.ok() ? *found : std::vector<std::string>{"<error>"};
  }

  SearchCheckReport Check() {
    auto report = CheckSearchIndex(log_, root_ + "/search", root_ + "/scratch", {});
    EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
    return report.ok() ? *report : SearchCheckReport{};
  }

  void WaitUntilStopped() {
    for (int i = 0; i < 500 && projection_->Status().running; ++i)
      std::this_thread::sleep_for(10ms);
    ASSERT_FALSE(projection_->Status().running);
  }

  std::string root_;
  events::testing::InMemoryEventLog log_{4};
  AppliedPositions applied_;
  core::UlidGenerator ids_;
  events::Position last_;
  std::unique_ptr<SearchProjection> projection_;
};

TEST_F(SearchProjectionTest, FollowsPostsEditsAndDeletes) {
  StartProjection();
  auto a = Post("deploy the kafka consumer");
  auto b = Post("kafka producer deploy", kChannel2);
  auto c = Post("lunch at noon");
  Post("kafka elsewhere", ex::kChannelId, kGuild2);
  Edit(a, "rollback the consumer");
  Delete(c);
  ASSERT_TRUE(CaughtUp());
  EXPECT_THAT(Find("kafka"), ElementsAre(b));  // scoped to the guild; a lost the word
  EXPECT_THAT(Find("rollback"), ElementsAre(a));
  EXPECT_THAT(Find("deploy"), ElementsAre(b));
  EXPECT_THAT(Find("consumer", kChannel2), IsEmpty());
  EXPECT_THAT(Find("lunch"), IsEmpty());
  EXPECT_TRUE(Check().equal);
}

TEST_F(SearchProjectionTest, AMessageIsFindableOnceItsPositionIsReportedApplied) {
  StartProjection();
  for (int i = 0; i < 30; ++i) {
    std::string word = "word" + std::to_string(i);
    auto id = Post("message with " + word);
    ASSERT_TRUE(Applied(last_));
    ASSERT_THAT(Find(word), ElementsAre(id)) << i;
    if (i % 3 == 0) {
      Edit(id, "replaced text");
      ASSERT_TRUE(Applied(last_));
      ASSERT_THAT(Find(word), IsEmpty()) << i;
    } else if (i % 3 == 1) {
      Delete(id);
      ASSERT_TRUE(Applied(last_));
      ASSERT_THAT(Find(word), IsEmpty()) << i;
    }
  }
}

TEST_F(SearchProjectionTest, WithoutFsyncCommitsAreStillExactlyOnceAcrossRestarts) {
  auto options = Options();
  options.fsync = false;
  StartProjection(options);
  auto id = Post("unsynced but committed");
  ASSERT_TRUE(CaughtUp());
  projection_.reset();
  StartProjection(options);
  EXPECT_THAT(Find("unsynced"), ElementsAre(id));
  EXPECT_TRUE(Check().equal);
}

TEST_F(SearchProjectionTest, OtherEventsAdvanceTheAppliedPosition) {
  StartProjection();
  Append(ex::MemberJoinedExample());
  EXPECT_TRUE(CaughtUp());
}

TEST_F(SearchProjectionTest, RestartResumesFromThePositionInTheIndex) {
  StartProjection();
  for (int i = 0; i < 10; ++i) Post("first round " + std::to_string(i));
  ASSERT_TRUE(CaughtUp());
  auto before = projection_->Position();
  projection_.reset();
  auto later = Post("second round");
  StartProjection();
  EXPECT_EQ(projection_->Position(), before);
  ASSERT_TRUE(CaughtUp());
  EXPECT_THAT(Find("second"), ElementsAre(later));
  EXPECT_EQ(Find("first").size(), 10u);
  EXPECT_TRUE(Check().equal);
}

// Crash consistency: the worker applies a batch to the index and "dies" before committing it.
// The next run must resume from the last committed position and end in the same index as a
// fresh rebuild, with every post, edit and delete applied exactly once.
TEST_F(SearchProjectionTest, AnAbandonedBatchIsReappliedAfterRestart) {
  std::vector<std::string> kept;
  for (int i = 0; i < 12; ++i) {
    auto id = Post("crash test message " + std::to_string(i));
    if (i % 4 == 1) Edit(id, "edited text " + std::to_string(i));
    if (i % 4 == 2) {
      Delete(id);
    } else {
      kept.push_back(id);
    }
  }
  auto options = Options();
  options.crash_before_commit = [](uint64_t batch) { return batch == 2; };
  StartProjection(options);
  WaitUntilStopped();
  ASSERT_TRUE(projection_->Status().error.has_value());
  auto committed = projection_->Position();
  projection_.reset();
  ASSERT_FALSE(committed.empty());
  int64_t total = 0;
  for (auto next : committed) total += next;
  EXPECT_GT(total, 0);
  EXPECT_LT(total, last_.offset + 1);  // stopped part-way (one guild: one partition)

  StartProjection();
  ASSERT_TRUE(CaughtUp());
  auto report = Check();
  EXPECT_TRUE(report.equal) << report.differing.size();
  EXPECT_EQ(report.live.documents, kept.size());
  EXPECT_EQ(Find("crash").size() + Find("edited").size(), kept.size());
  EXPECT_THAT(Find("2"), IsEmpty());  // "crash test message 2" was deleted
}

TEST_F(SearchProjectionTest, AnUndecodableRecordStopsTheWorkerAfterTheRecordsBeforeIt) {
  StartProjection();
  auto id = Post("before the bad record");
  events::LogRecord bad;
  bad.meta.type = std::string(events::MessagePosted::kType);
  bad.meta.schema_version = 1;
  bad.meta.stream = std::string("guild:") + ex::kGuildId;
  bad.payload = "{\"not\":\"a message\"}";
  ASSERT_TRUE(log_.Append({bad.meta.stream, events::AppendBatch::kAnyVersion, {bad}}).ok());
  WaitUntilStopped();
  auto state = projection_->Status();
  ASSERT_TRUE(state.error.has_value());
  EXPECT_EQ(state.error->code, core::ErrorCode::kInvalidArgument);
  EXPECT_NE(state.error->message.find("message_posted"), std::string::npos);
  EXPECT_THAT(Find("before"), ElementsAre(id));
}

TEST_F(SearchProjectionTest, AnOperatorSkipPassesABadRecord) {
  events::LogRecord bad;
  bad.meta.type = std::string(events::MessageDeleted::kType);
  bad.meta.schema_version = 1;
  bad.meta.stream = std::string("guild:") + ex::kGuildId;
  bad.payload = "{}";
  auto at = log_.Append({bad.meta.stream, events::AppendBatch::kAnyVersion, {bad}});
  ASSERT_TRUE(at.ok());
  auto id = Post("after the bad record");
  auto options = Options();
  options.skips = {at->at(0)};
  StartProjection(options);
  ASSERT_TRUE(CaughtUp());
  EXPECT_THAT(Find("after"), ElementsAre(id));
}

TEST_F(SearchProjectionTest, RebuildSwitchesToAFreshIndexWhileServing) {
  StartProjection();
  for (int i = 0; i < 40; ++i) Post("rebuild me " + std::to_string(i));
  ASSERT_TRUE(CaughtUp());
  IndexStore store(root_ + "/search");
  const std::string old_dir = store.CurrentDir();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 20 && !done; ++i) Post("during rebuild " + std::to_string(i));
  });
  auto rebuilt = projection_->Rebuild(30s);
  done = true;
  writer.join();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_NE(store.CurrentDir(), old_dir);
  EXPECT_FALSE(std::filesystem::exists(old_dir));
  ASSERT_TRUE(CaughtUp());
  EXPECT_EQ(Find("rebuild").size(), 20u);  // limit 20 of 40
  EXPECT_TRUE(Check().equal);
}

TEST_F(SearchProjectionTest, ARebuildInterruptedByACrashIsDiscardedOnStart) {
  StartProjection();
  auto id = Post("survives");
  ASSERT_TRUE(CaughtUp());
  projection_.reset();
  IndexStore store(root_ + "/search");
  const std::string live = store.CurrentDir();
  auto half_built = store.PrepareNextDir();  // what a crash mid-rebuild leaves behind
  ASSERT_TRUE(half_built.ok());
  std::filesystem::create_directories(*half_built);
  StartProjection();
  EXPECT_EQ(store.CurrentDir(), live);
  EXPECT_FALSE(std::filesystem::exists(*half_built));
  EXPECT_THAT(Find("survives"), ElementsAre(id));
}

TEST_F(SearchProjectionTest, AnUnreadableIndexIsRebuiltFromTheLog) {
  auto id = Post("from the log");
  IndexStore store(root_ + "/search");
  auto dir = store.PrepareNextDir();
  ASSERT_TRUE(dir.ok());
  std::filesystem::create_directories(*dir);
  {
    std::ofstream junk(*dir + "/iamglass");  // a corrupt Xapian database
    junk << "garbage";
  }
  ASSERT_TRUE(store.SwitchTo(*dir).ok());
  StartProjection();
  ASSERT_TRUE(CaughtUp());
  EXPECT_THAT(Find("log"), ElementsAre(id));
}

TEST_F(SearchProjectionTest, ReconcileAddsMissingDocumentsAndRemovesOrphans) {
  StartProjection();
  auto kept = Post("kept message");
  auto orphan = Post("orphan message");
  ASSERT_TRUE(CaughtUp());
  const std::string missing = ids_.Next(1700000000000).ToString();
  std::vector<int64_t> seen;
  auto loader = [&](const std::vector<int64_t>& next) {
    seen = next;
    return core::Result<std::vector<search::MessageDoc>>(std::vector<search::MessageDoc>{
        {kept, ex::kGuildId, ex::kChannelId, "kept message"},
        {missing, ex::kGuildId, ex::kChannelId, "missing message"}});
  };
  auto result = projection_->Reconcile(ex::kGuildId, loader, 100, 10s);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->upserted, 1u);
  EXPECT_EQ(result->deleted, 1u);
  EXPECT_EQ(seen, projection_->Position());
  EXPECT_THAT(Find("message"), UnorderedElementsAre(kept, missing));
  (void)orphan;
  auto capped = projection_->Reconcile(ex::kGuildId, loader, 1, 10s);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, core::ErrorCode::kResourceExhausted);
}

TEST_F(SearchProjectionTest, CheckFindsADivergentIndex) {
  StartProjection();
  auto id = Post("honest content");
  ASSERT_TRUE(CaughtUp());
  projection_.reset();
  {
    auto live = search::SearchIndex::Open(IndexStore(root_ + "/search").CurrentDir(),
                                          search::SearchIndex::Mode::kReadWrite);
    ASSERT_TRUE(live.ok());
    auto position = (*live)->Position();
    ASSERT_TRUE((*live)->ReplaceContent(id, "tampered content").ok());
    ASSERT_TRUE((*live)->Commit(position).ok());
  }
  auto report = Check();
  EXPECT_FALSE(report.equal);
  EXPECT_THAT(report.differing, ElementsAre(id));
}

TEST_F(SearchProjectionTest, OfflineRebuildReplacesTheIndexButNotUnderARunningWorker) {
  StartProjection();
  for (int i = 0; i < 5; ++i) Post("offline " + std::to_string(i));
  ASSERT_TRUE(CaughtUp());
  auto busy = RebuildSearchIndex(log_, root_ + "/search", {});
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, core::ErrorCode::kUnavailable);
  projection_.reset();
  auto rebuilt = RebuildSearchIndex(log_, root_ + "/search", {});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_EQ(rebuilt->documents, 5u);
  EXPECT_TRUE(Check().equal);
  StartProjection();
  EXPECT_EQ(Find("offline").size(), 5u);
}

}  // namespace
}  // namespace filament::projections
