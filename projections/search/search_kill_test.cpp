// THE SEARCH KILL TEST: a child process folds a stream of posts, edits and deletes from the
// PostgreSQL log into the search index and is SIGKILLed at random moments, then restarted. At
// the end the index must equal a fresh rebuild (document set and terms, CheckSearchIndex) and
// hold exactly the expected state: every surviving message findable by its current words only,
// every deleted one by none.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "adapters/postgres/pg_event_log.hpp"
#include "core/ulid.hpp"
#include "events/testing/builders.hpp"
#include "projections/search/index_store.hpp"
#include "projections/search/search_replay.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/pg_test_cluster.hpp"

extern char** environ;

namespace filament::projections {
namespace {

using namespace std::chrono_literals;
namespace ex = events::testing;

constexpr int kMessages = 1500;
constexpr int kKills = 6;
constexpr const char* kGuilds[] = {"01J1A00000000000000000G01D", "01J1A00000000000000000G02D",
                                   "01J1A00000000000000000G03D"};

// What the index must hold for one message after the whole stream.
struct Expected {
  std::string guild;
  std::string word;      // its current unique word ("" once deleted)
  std::string old_word;  // a word it no longer has ("" if never edited)
};

class Script {
 public:
  explicit Script(events::EventLog& log) : log_(log) {}

  // Posts kMessages messages over three guilds; edits every 5th and deletes every 7th, each
  // some records after its post, so edits and deletes land in other batches than posts.
  void Run() {
    std::vector<std::string> pending;
    for (int i = 0; i < kMessages; ++i) {
      pending.push_back(Post(i));
      if (pending.size() > 20) {
        Settle(pending.front());
        pending.erase(pending.begin());
      }
    }
    for (const auto& id : pending) Settle(id);
  }
  int64_t Records() const { return records_; }
  const std::map<std::string, Expected>& expected() const { return expected_; }

 private:
  std::string Post(int i) {
    auto posted = ex::MessagePostedExample("message number " + std::to_string(i) + " word" +
                                           std::to_string(i));
    posted.message_id = ids_.Next(1700000000000).ToString();
    posted.guild_id = kGuilds[i % 3];
    Append(posted);
    expected_[posted.message_id] = {posted.guild_id, "word" + std::to_string(i), ""};
    index_[posted.message_id] = i;
    return posted.message_id;
  }
  void Settle(const std::string& id) {
    int i = index_[id];
    Expected& e = expected_[id];
    if (i % 5 == 0) {
      auto edited = ex::MessageEditedExample("edited text edit" + std::to_string(i));
      edited.message_id = id;
      edited.guild_id = e.guild;
      Append(edited);
      e.old_word = e.word;
      e.word = "edit" + std::to_string(i);
    }
    if (i % 7 == 0) {
      auto deleted = ex::MessageDeletedExample();
      deleted.message_id = id;
      deleted.guild_id = e.guild;
      Append(deleted);
      e.old_word = e.word;
      e.word.clear();
    }
  }
  void Append(const events::Event& event) {
    events::LogRecord record;
    record.meta.event_id = ids_.Next(1700000000000).ToString();
    record.meta.type = std::string(events::TypeOf(event));
    record.meta.schema_version = events::SchemaVersionOf(event);
    record.meta.stream = events::StreamKeyOf(event);
    record.payload = events::EncodePayload(event);
    auto appended = log_.Append({record.meta.stream, events::AppendBatch::kAnyVersion, {record}});
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    ++records_;
  }

  events::EventLog& log_;
  core::UlidGenerator ids_;
  std::map<std::string, Expected> expected_;
  std::map<std::string, int> index_;
  int64_t records_ = 0;
};

int64_t AppliedRecords(const std::string& root) {
  std::string dir = IndexStore(root).CurrentDir();
  if (dir.empty()) return 0;
  auto index = search::SearchIndex::Open(dir, search::SearchIndex::Mode::kReadOnly);
  int64_t total = 0;
  if (index.ok()) {
    for (int64_t next : (*index)->Position()) total += next;
  }
  return total;
}

// Polls the index's committed position until `target` records or the child exits.
void WaitForProgress(const std::string& root, pid_t pid, int64_t target) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && AppliedRecords(root) < target) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(1ms);
  }
}

std::vector<std::string> Find(const search::SearchIndex& index, const std::string& guild,
                              const std::string& word) {
  auto found = index.Query({.guild_id = guild, .query = word});
  EXPECT_TRUE(found.ok());
  return found.ok() ? *found : std::vector<std::string>{"<error>"};
}

void ExpectState(const std::string& root, const std::map<std::string, Expected>& expected) {
  auto index = search::SearchIndex::Open(IndexStore(root).CurrentDir(),
                                         search::SearchIndex::Mode::kReadOnly);
  ASSERT_TRUE(index.ok());
  size_t alive = 0;
  for (const auto& [id, e] : expected) {
    if (!e.word.empty()) {
      ++alive;
      EXPECT_EQ(Find(**index, e.guild, e.word), std::vector<std::string>{id}) << e.word;
    }
    if (!e.old_word.empty()) {
      EXPECT_TRUE(Find(**index, e.guild, e.old_word).empty()) << id;
    }
  }
  auto count = (*index)->DocumentCount();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, alive);
}

TEST(SearchKill, IndexEqualsAFreshRebuildAfterKillsDuringPostsEditsAndDeletes) {
  std::string conninfo = filament::testing::CreateMigratedDatabase();
  auto log = postgres::PgEventLog::Open(conninfo, 4);
  ASSERT_TRUE(log.ok()) << log.error().message;
  Script script(**log);
  script.Run();
  std::string tmp = (std::filesystem::temp_directory_path() / "search-kill-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmp.data()), nullptr);
  const std::string root = tmp + "/search";
  const std::vector<std::string> child = {
      FILAMENT_SEARCH_KILL_CHILD, "--conninfo", conninfo, "--root", root, "--batch", "10"};
  std::mt19937 rng(std::random_device{}());
  int killed_mid_stream = 0;
  for (int i = 0; i < kKills; ++i) {
    // Kill at a random point of the remaining work, after the child has made some progress,
    // so every kill lands mid-stream: while polling, applying or committing.
    int64_t before = AppliedRecords(root);
    int64_t share = std::max<int64_t>(1, (script.Records() - before) / (kKills - i + 1));
    int64_t target = before + std::uniform_int_distribution<int64_t>(1, share)(rng);
    pid_t pid = filament::testing::SpawnChild(child);
    ASSERT_GT(pid, 0);
    WaitForProgress(root, pid, target);
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
    kill(pid, SIGKILL);
    int rc = filament::testing::WaitChild(pid, 30s);
    ASSERT_TRUE(rc == -SIGKILL || rc == 0) << "child exited with " << rc;
    int64_t applied = AppliedRecords(root);
    if (rc == -SIGKILL && applied < script.Records()) ++killed_mid_stream;
    std::printf("kill %d: %lld/%lld records applied\n", i, static_cast<long long>(applied),
                static_cast<long long>(script.Records()));
  }
  EXPECT_GE(killed_mid_stream, kKills - 1) << "the child finished too fast to be killed";
  ASSERT_EQ(filament::testing::WaitChild(filament::testing::SpawnChild(child), 120s), 0);
  EXPECT_EQ(AppliedRecords(root), script.Records());
  auto report = CheckSearchIndex(**log, root, tmp + "/scratch", {});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->equal) << report->differing.size() << " documents differ";
  ExpectState(root, script.expected());
  std::filesystem::remove_all(tmp);
}

}  // namespace
}  // namespace filament::projections
