#include "commands/attachment_sweep.hpp"

#include <gtest/gtest.h>

#include "core/in_memory_blob_store.hpp"

namespace filament::commands {
namespace {

constexpr int64_t kGraceSecs = 600;

events::AttachmentUploaded Upload(std::string id) {
  return events::AttachmentUploaded{.guild_id = "01J00000000000000000000001",
                                    .channel_id = "01J000000000000000000000C1",
                                    .attachment_id = std::move(id),
                                    .owner_id = "01J000000000000000000000B1",
                                    .filename = "f",
                                    .mime_type = "text/plain",
                                    .size_bytes = 3,
                                    .sha256_hex = std::string(64, 'a'),
                                    .uploaded_at_unix = 1};
}

class AttachmentSweepTest : public ::testing::Test {
 protected:
  void Put(const std::string& key) {
    core::StringByteSource source("abc");
    ASSERT_TRUE(store_.Put(key, source, {3, std::string(64, 'a'), "text/plain"}).ok());
  }
  bool Has(const std::string& key) { return store_.Stat(key).ok(); }

  core::FakeClock clock_;
  core::InMemoryBlobStore store_{&clock_};
  AttachmentQuota ledger_{1'000'000};
};

TEST_F(AttachmentSweepTest, OldOrphansGoLiveAndFreshOnesStay) {
  ledger_.Apply(Upload("LIVE"));
  Put("attachments/LIVE");
  Put("attachments/ORPHAN");
  Put("avatars/01J000000000000000000000B1");  // another kind: never swept here
  clock_.Advance(kGraceSecs * 1000);
  Put("attachments/INFLIGHT");  // Put done a moment ago, its append still pending
  auto report = SweepOrphanAttachments(store_, ledger_, kGraceSecs);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->examined, 2);
  EXPECT_EQ(report->deleted, 1);
  EXPECT_TRUE(Has("attachments/LIVE"));
  EXPECT_FALSE(Has("attachments/ORPHAN"));
  EXPECT_TRUE(Has("attachments/INFLIGHT"));
  EXPECT_TRUE(Has("avatars/01J000000000000000000000B1"));
}

TEST_F(AttachmentSweepTest, DeletedAttachmentsBlobIsSweptOnceOld) {
  ledger_.Apply(Upload("GONE"));
  Put("attachments/GONE");
  ledger_.Apply(events::AttachmentDeleted{.guild_id = "01J00000000000000000000001",
                                          .channel_id = "01J000000000000000000000C1",
                                          .attachment_id = "GONE",
                                          .owner_id = "01J000000000000000000000B1",
                                          .deleted_by = "01J000000000000000000000B1",
                                          .deleted_at_unix = 2});
  clock_.Advance(kGraceSecs * 1000);
  auto report = SweepOrphanAttachments(store_, ledger_, kGraceSecs);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deleted, 1);
  EXPECT_FALSE(Has("attachments/GONE"));
}

TEST_F(AttachmentSweepTest, PagesThroughEveryKey) {
  for (int i = 0; i < 25; ++i) {
    const std::string id = "A" + std::to_string(100 + i);
    if (i % 2 == 0) ledger_.Apply(Upload(id));
    Put("attachments/" + id);
  }
  clock_.Advance(kGraceSecs * 1000);
  auto report = SweepOrphanAttachments(store_, ledger_, kGraceSecs, /*page=*/4);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->examined, 25);
  EXPECT_EQ(report->deleted, 12);
  EXPECT_EQ(store_.size(), 13u);
}

}  // namespace
}  // namespace filament::commands
