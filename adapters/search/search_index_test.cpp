#include "adapters/search/search_index.hpp"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

namespace filament::search {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Mode = SearchIndex::Mode;

constexpr char kGuild[] = "01J1A00000000000000000G01D";
constexpr char kOtherGuild[] = "01J1A00000000000000000G02D";
constexpr char kChannel[] = "01J1A00000000000000000C001";
constexpr char kOtherChannel[] = "01J1A00000000000000000C002";

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "search-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return pattern;
}

MessageDoc Doc(std::string id, std::string content, std::string channel = kChannel,
               std::string guild = kGuild) {
  return MessageDoc{std::move(id), std::move(guild), std::move(channel), std::move(content)};
}

class SearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    index_ = OpenOrDie(dir_, Mode::kReadWrite);
  }
  void TearDown() override {
    index_.reset();
    std::filesystem::remove_all(dir_);
  }

  static std::unique_ptr<SearchIndex> OpenOrDie(const std::string& dir, Mode mode) {
    auto index = SearchIndex::Open(dir, mode);
    EXPECT_TRUE(index.ok()) << (index.ok() ? "" : index.error().message);
    return index.ok() ? std::move(*index) : nullptr;
  }

  void Add(std::vector<MessageDoc> docs, std::vector<int64_t> position = {1}) {
    for (const auto& doc : docs) ASSERT_TRUE(index_->Upsert(doc).ok());
    ASSERT_TRUE(index_->Commit(position).ok());
  }

  std::vector<std::string> Find(std::string query, std::string channel = "",
                                std::string guild = kGuild) {
    auto found = index_->Query(SearchRequest{
        .guild_id = std::move(guild), .channel_id = std::move(channel), .query = std::move(query)});
    EXPECT_TRUE(found.ok()) << (found.ok() ? "" : found.error().message);
    return found.ok() ? *found : std::vector<std::string>{"<error>"};
  }

  std::string dir_;
  std::unique_ptr<SearchIndex> index_;
};

TEST_F(SearchIndexTest, FindsWordsCaseInsensitivelyWithoutStemming) {
  Add({Doc("m1", "Deploying the Kafka consumer"), Doc("m2", "deploy finished"),
       Doc("m3", "lunch?")});
  EXPECT_THAT(Find("kafka"), ElementsAre("m1"));
  EXPECT_THAT(Find("KAFKA Consumer"), ElementsAre("m1"));
  EXPECT_THAT(Find("deploy"), ElementsAre("m2"));
  EXPECT_THAT(Find("pizza"), IsEmpty());
}

TEST_F(SearchIndexTest, AllWordsMustMatchByDefault) {
  Add({Doc("m1", "kafka consumer lag"), Doc("m2", "kafka producer"), Doc("m3", "consumer")});
  EXPECT_THAT(Find("kafka consumer"), ElementsAre("m1"));
  EXPECT_THAT(Find("producer OR lag"), UnorderedElementsAre("m1", "m2"));
  EXPECT_THAT(Find("kafka -producer"), ElementsAre("m1"));
  EXPECT_THAT(Find("kafka NOT lag"), ElementsAre("m2"));
}

TEST_F(SearchIndexTest, ScopedToTheGuildAndOptionallyTheChannel) {
  Add({Doc("m1", "release notes"), Doc("m2", "release party", kOtherChannel),
       Doc("m3", "release day", kChannel, kOtherGuild)});
  EXPECT_THAT(Find("release"), UnorderedElementsAre("m1", "m2"));
  EXPECT_THAT(Find("release", kOtherChannel), ElementsAre("m2"));
  EXPECT_THAT(Find("release", "", kOtherGuild), ElementsAre("m3"));
}

TEST_F(SearchIndexTest, RanksByRelevance) {
  Add({Doc("m1", "rust is fine but I also like go and java and c and python"),
       Doc("m2", "rust rust rust"), Doc("m3", "rust")});
  auto ids = Find("rust");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.back(), "m1");  // the long message mentioning it once ranks last
}

TEST_F(SearchIndexTest, PhrasesRespectOrderAndSlop) {
  Add({Doc("m1", "the quick brown fox"), Doc("m2", "brown quick the fox"),
       Doc("m3", "quick and very brown")});
  EXPECT_THAT(Find("\"quick brown\""), ElementsAre("m1"));
  EXPECT_THAT(Find("\"quick brown\"~2"), UnorderedElementsAre("m1", "m3"));
}

TEST_F(SearchIndexTest, PrefixPatternAndFuzzy) {
  Add({Doc("m1", "deployment done"), Doc("m2", "deploy now"), Doc("m3", "depot visit"),
       Doc("m4", "deplay typo")});
  EXPECT_THAT(Find("deploy*"), UnorderedElementsAre("m1", "m2"));
  EXPECT_THAT(Find("Dep*"), UnorderedElementsAre("m1", "m2", "m3", "m4"));
  EXPECT_THAT(Find("dep?oy"), UnorderedElementsAre("m2"));
  EXPECT_THAT(Find("de*t"), UnorderedElementsAre("m1", "m3"));
  EXPECT_THAT(Find("deploy~"), UnorderedElementsAre("m2", "m4"));
  EXPECT_THAT(Find("deplo~2"), UnorderedElementsAre("m2", "m3", "m4"));
}

TEST_F(SearchIndexTest, QueriesWithoutIndexableWordsFindNothing) {
  Add({Doc("m1", "hello")});
  EXPECT_THAT(Find("!!!"), IsEmpty());
  EXPECT_THAT(Find("-hello"), IsEmpty());
  EXPECT_THAT(Find("hello !!!"), ElementsAre("m1"));
}

TEST_F(SearchIndexTest, PunctuatedWordsMatchAsIndexed) {
  Add({Doc("m1", "send an e-mail to bob@example.com about C++")});
  EXPECT_THAT(Find("e-mail"), ElementsAre("m1"));
  EXPECT_THAT(Find("example"), ElementsAre("m1"));
  EXPECT_THAT(Find("c++"), ElementsAre("m1"));
}

TEST_F(SearchIndexTest, CjkTextIsSearchableWithoutSpaces) {
  Add({Doc("m1", "東京都に行きます"), Doc("m2", "京都が好き")});
  EXPECT_THAT(Find("東京"), ElementsAre("m1"));
  EXPECT_THAT(Find("京都"), UnorderedElementsAre("m1", "m2"));
}

TEST_F(SearchIndexTest, EditReplacesTheWords) {
  Add({Doc("m1", "old words here")});
  auto edited = index_->ReplaceContent("m1", "brand new text");
  ASSERT_TRUE(edited.ok());
  EXPECT_TRUE(*edited);
  ASSERT_TRUE(index_->Commit({2}).ok());
  EXPECT_THAT(Find("old"), IsEmpty());
  EXPECT_THAT(Find("brand"), ElementsAre("m1"));
  auto missing = index_->ReplaceContent("nope", "x");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
}

// ULIDs are stored in 17 bytes, other ids as text; both come back exactly as given, and an
// edit keeps the guild and channel (read back from the document's terms).
TEST_F(SearchIndexTest, UlidAndTextIdsRoundTripThroughEdits) {
  const std::string ulid = "01HZY3K8Q6W9X2V4T7R5M1N0PB";
  const std::string lower = "01hzy3k8q6w9x2v4t7r5m1n0pc";  // not canonical: kept as text
  const std::string sixteen = "0123456789abcdef";
  Add({Doc(ulid, "alpha", kOtherChannel), Doc(lower, "alpha"), Doc(sixteen, "alpha")});
  EXPECT_THAT(Find("alpha"), UnorderedElementsAre(ulid, lower, sixteen));
  auto edited = index_->ReplaceContent(ulid, "beta");
  ASSERT_TRUE(edited.ok());
  EXPECT_TRUE(*edited);
  ASSERT_TRUE(index_->Commit({2}).ok());
  EXPECT_THAT(Find("beta", kOtherChannel), ElementsAre(ulid));
  EXPECT_THAT(Find("beta", kChannel), IsEmpty());
  EXPECT_THAT(Find("beta", "", kOtherGuild), IsEmpty());
  auto ids = index_->GuildMessageIds(kGuild, 10);
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, UnorderedElementsAre(ulid, lower, sixteen));
}

TEST_F(SearchIndexTest, EditAndRemoveSeeUncommittedUpserts) {
  ASSERT_TRUE(index_->Upsert(Doc("m1", "first")).ok());
  auto edited = index_->ReplaceContent("m1", "second");
  ASSERT_TRUE(edited.ok() && *edited);
  ASSERT_TRUE(index_->Upsert(Doc("m2", "gone soon")).ok());
  auto removed = index_->Remove("m2");
  ASSERT_TRUE(removed.ok() && *removed);
  ASSERT_TRUE(index_->Commit({3}).ok());
  EXPECT_THAT(Find("second"), ElementsAre("m1"));
  EXPECT_THAT(Find("first"), IsEmpty());
  EXPECT_THAT(Find("gone"), IsEmpty());
}

TEST_F(SearchIndexTest, RemoveIsIdempotent) {
  Add({Doc("m1", "bye")});
  auto first = index_->Remove("m1");
  auto second = index_->Remove("m1");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  ASSERT_TRUE(index_->Commit({2}).ok());
  EXPECT_THAT(Find("bye"), IsEmpty());
}

// A rebuild writes without fsync and then switches to fsynced commits: nothing committed
// before the switch is lost, the uncommitted rest is dropped, and writing goes on.
TEST_F(SearchIndexTest, StartSyncingKeepsCommitsAndGoesOn) {
  index_.reset();
  std::filesystem::remove_all(dir_);
  auto opened = SearchIndex::Open(dir_, Mode::kReadWrite, /*fsync=*/false);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  index_ = std::move(*opened);
  Add({Doc("m1", "before the switch")}, {1});
  ASSERT_TRUE(index_->Upsert(Doc("m2", "uncommitted before the switch")).ok());
  ASSERT_TRUE(index_->StartSyncing().ok());
  ASSERT_TRUE(index_->StartSyncing().ok());  // again: a no-op
  Add({Doc("m3", "after the switch")}, {3});
  EXPECT_THAT(Find("switch"), UnorderedElementsAre("m1", "m3"));
  index_.reset();
  index_ = OpenOrDie(dir_, Mode::kReadWrite);
  EXPECT_EQ(index_->Position(), std::vector<int64_t>{3});
  EXPECT_THAT(Find("switch"), UnorderedElementsAre("m1", "m3"));
  auto reader = OpenOrDie(dir_, Mode::kReadOnly);
  EXPECT_FALSE(reader->StartSyncing().ok());
}

TEST_F(SearchIndexTest, ReadersSeeOnlyCommittedChanges) {
  Add({Doc("m1", "visible")});
  ASSERT_TRUE(index_->Upsert(Doc("m2", "visible later")).ok());
  EXPECT_THAT(Find("visible"), ElementsAre("m1"));
  ASSERT_TRUE(index_->Commit({2}).ok());
  EXPECT_THAT(Find("visible"), UnorderedElementsAre("m1", "m2"));
}

TEST_F(SearchIndexTest, PositionIsCommittedWithTheDocuments) {
  EXPECT_THAT(index_->Position(), IsEmpty());
  Add({Doc("m1", "kept")}, {5, 0, 7});
  EXPECT_THAT(index_->Position(), ElementsAre(5, 0, 7));
  // A batch abandoned without Commit (a crash) leaves neither its documents nor its position.
  ASSERT_TRUE(index_->Upsert(Doc("m2", "lost")).ok());
  ASSERT_TRUE(index_->Remove("m1").ok());
  index_.reset();
  index_ = OpenOrDie(dir_, Mode::kReadWrite);
  EXPECT_THAT(index_->Position(), ElementsAre(5, 0, 7));
  EXPECT_THAT(Find("kept"), ElementsAre("m1"));
  EXPECT_THAT(Find("lost"), IsEmpty());
}

TEST_F(SearchIndexTest, DiscardDropsTheBatch) {
  Add({Doc("m1", "kept")}, {1});
  ASSERT_TRUE(index_->Upsert(Doc("m2", "dropped")).ok());
  index_->Discard();
  ASSERT_TRUE(index_->Commit({2}).ok());
  EXPECT_THAT(Find("dropped"), IsEmpty());
  EXPECT_THAT(index_->Position(), ElementsAre(2));
}

TEST_F(SearchIndexTest, OneWriterManyReaders) {
  Add({Doc("m1", "shared")});
  auto second = SearchIndex::Open(dir_, Mode::kReadWrite);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, core::ErrorCode::kUnavailable);
  auto reader = OpenOrDie(dir_, Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  EXPECT_THAT(reader->Position(), ElementsAre(1));
  EXPECT_EQ(reader->Upsert(Doc("m2", "x")).error().code, core::ErrorCode::kFailedPrecondition);
  auto found = reader->Query(SearchRequest{.guild_id = kGuild, .query = "shared"});
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(*found, ElementsAre("m1"));
}

TEST_F(SearchIndexTest, ReadOnlyOpenOfAMissingIndexIsNotFound) {
  auto missing = SearchIndex::Open(dir_ + "/absent", Mode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
}

TEST_F(SearchIndexTest, InvalidQueriesAreInvalidArgument) {
  Add({Doc("m1", "x")});
  for (const std::string& q :
       std::vector<std::string>{"", "author:bob", "\"open", "*x", std::string(300, 'a')}) {
    auto found = index_->Query(SearchRequest{.guild_id = kGuild, .query = q});
    ASSERT_FALSE(found.ok()) << q;
    EXPECT_EQ(found.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(found.error().reason, kReasonInvalidQuery);
  }
}

TEST_F(SearchIndexTest, AQueryOverItsBudgetFails) {
  Add({Doc("m1", "slow")});
  auto found = index_->Query(
      SearchRequest{.guild_id = kGuild, .query = "slow", .budget = std::chrono::milliseconds(0)});
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(found.error().reason, kReasonQueryTimeout);
}

TEST_F(SearchIndexTest, TheBudgetStopsALongMatch) {
  std::vector<MessageDoc> docs;
  for (int i = 0; i < 20000; ++i) docs.push_back(Doc("m" + std::to_string(i), "common word"));
  Add(docs);
  auto found = index_->Query(
      SearchRequest{.guild_id = kGuild, .query = "common", .budget = std::chrono::milliseconds(1)});
  // Either the match finished inside 1 ms (fast machine) or it was stopped with the reason.
  if (!found.ok()) {
    EXPECT_EQ(found.error().reason, kReasonQueryTimeout);
  }
  auto generous = index_->Query(SearchRequest{.guild_id = kGuild, .query = "common"});
  ASSERT_TRUE(generous.ok());
  EXPECT_EQ(generous->size(), 20u);
}

TEST_F(SearchIndexTest, GuildMessageIdsListsTheGuildsDocuments) {
  Add({Doc("m2", "a"), Doc("m1", "b"), Doc("m3", "c", kChannel, kOtherGuild)});
  auto ids = index_->GuildMessageIds(kGuild, 10);
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ElementsAre("m1", "m2"));
  auto capped = index_->GuildMessageIds(kGuild, 1);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, core::ErrorCode::kResourceExhausted);
}

TEST_F(SearchIndexTest, DigestIgnoresHistoryButNotContent) {
  std::string other_dir = TempDir();
  auto other = OpenOrDie(other_dir, Mode::kReadWrite);
  // Live: posted, edited, a deleted message in between. Rebuild: only the end state.
  Add({Doc("m1", "first draft"), Doc("m2", "to delete"), Doc("m3", "stays")});
  ASSERT_TRUE(index_->ReplaceContent("m1", "final text").ok());
  ASSERT_TRUE(index_->Remove("m2").ok());
  ASSERT_TRUE(index_->Commit({4}).ok());
  ASSERT_TRUE(other->Upsert(Doc("m3", "stays")).ok());
  ASSERT_TRUE(other->Upsert(Doc("m1", "final text")).ok());
  ASSERT_TRUE(other->Commit({4}).ok());
  auto a = index_->Digest();
  auto b = other->Digest();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->documents, 2u);
  EXPECT_THAT(a->position, ElementsAre(4));
  EXPECT_EQ(*a, *b);
  auto same = index_->DiffDocuments(*other, 10);
  ASSERT_TRUE(same.ok());
  EXPECT_THAT(*same, IsEmpty());

  ASSERT_TRUE(other->ReplaceContent("m3", "changed").ok());
  ASSERT_TRUE(other->Upsert(Doc("m9", "extra")).ok());
  ASSERT_TRUE(other->Commit({4}).ok());
  auto changed = other->Digest();
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(*a, *changed);
  auto diff = index_->DiffDocuments(*other, 10);
  ASSERT_TRUE(diff.ok());
  EXPECT_THAT(*diff, ElementsAre("m3", "m9"));
  other.reset();
  std::filesystem::remove_all(other_dir);
}

TEST_F(SearchIndexTest, RemoveIndexDirDeletesIt) {
  index_.reset();
  ASSERT_TRUE(RemoveIndexDir(dir_).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_));
  EXPECT_TRUE(RemoveIndexDir(dir_).ok());
}

}  // namespace
}  // namespace filament::search
