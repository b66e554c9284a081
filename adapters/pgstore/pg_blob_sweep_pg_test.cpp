// The orphan-blob sweep (ADR 0042) against a real PostgreSQL (label pg): PgBlobStore::ListStale
// by the database's clock and in byte order, and SweepOrphanAttachments deleting an old orphan
// while keeping live attachments, a fresh upload in flight and other kinds of blob.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/crypto/primitives.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/pg_blob_store.hpp"
#include "commands/attachment_sweep.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::pgstore {
namespace {

constexpr int64_t kGraceSecs = 3600;

events::AttachmentUploaded Uploaded(std::string id) {
  return events::AttachmentUploaded{.guild_id = "01J00000000000000000000001",
                                    .channel_id = "01J000000000000000000000C1",
                                    .attachment_id = std::move(id),
                                    .owner_id = "01J000000000000000000000B1",
                                    .filename = "f.txt",
                                    .mime_type = "text/plain",
                                    .size_bytes = 5,
                                    .sha256_hex = std::string(64, 'a'),
                                    .uploaded_at_unix = 1};
}

class PgBlobSweepTest : public ::testing::Test {
 protected:
  PgBlobSweepTest()
      : conninfo_(filament::testing::CreateMigratedDatabase()),
        pool_(conninfo_, 4),
        store_(pool_, PgBlobStoreOptions{4096}) {}

  void Put(const std::string& key, const std::string& bytes = std::string(10'000, 'x')) {
    core::StringByteSource source(bytes);
    core::BlobInfo info{static_cast<int64_t>(bytes.size()), crypto::Sha256Hex(bytes), "text/plain"};
    ASSERT_TRUE(store_.Put(key, source, info).ok()) << key;
  }
  // Makes `key` look stored two hours ago.
  void Age(const std::string& key) {
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    tx.exec_params("UPDATE blobs SET created_at = now() - interval '2 hours' WHERE key = $1", key);
    tx.commit();
  }
  int64_t Count(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }
  bool Has(const std::string& key) { return store_.Stat(key).ok(); }

  std::string conninfo_;
  ConnectionPool pool_;
  PgBlobStore store_;
  commands::AttachmentQuota ledger_{1'000'000'000};
};

TEST_F(PgBlobSweepTest, OldOrphanIsSweptFreshInFlightAndLiveOnesKept) {
  const std::string live = core::AttachmentBlobKey("01J0000000000000000000LIVE");
  const std::string orphan = core::AttachmentBlobKey("01J000000000000000000RPHAN");
  const std::string in_flight = core::AttachmentBlobKey("01J00000000000000000FLIGHT");
  const std::string avatar = core::AvatarBlobKey("01J000000000000000000000B1");
  ledger_.Apply(Uploaded("01J0000000000000000000LIVE"));
  for (const auto& key : {live, orphan, in_flight, avatar}) Put(key);
  for (const auto& key : {live, orphan, avatar}) Age(key);  // in_flight: Put just now

  auto report = commands::SweepOrphanAttachments(store_, ledger_, kGraceSecs);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->examined, 2);  // live and orphan; in_flight is too young
  EXPECT_EQ(report->deleted, 1);
  EXPECT_FALSE(Has(orphan));
  EXPECT_TRUE(Has(live));
  EXPECT_TRUE(Has(in_flight));
  EXPECT_TRUE(Has(avatar));
  // The orphan's chunks went with it.
  EXPECT_EQ(Count("SELECT count(*) FROM blob_chunks WHERE object_id NOT IN "
                  "(SELECT object_id FROM blobs)"),
            0);
  // Once its append lands, the in-flight upload is live: later sweeps keep it too.
  ledger_.Apply(Uploaded("01J00000000000000000FLIGHT"));
  Age(in_flight);
  auto again = commands::SweepOrphanAttachments(store_, ledger_, kGraceSecs);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->deleted, 0);
  EXPECT_TRUE(Has(in_flight));
}

TEST_F(PgBlobSweepTest, ListStalePagesInByteOrderWithinThePrefix) {
  // Byte order: '-' < 'B' < '_' < 'a' (a locale's collation would order them otherwise).
  for (const char* id : {"a1", "B1", "_1", "-1"}) Put(core::AttachmentBlobKey(id), "12345");
  Put(core::AvatarBlobKey("a1"), "12345");
  Put(core::BannerBlobKey("a1"), "12345");
  for (const char* id : {"a1", "B1", "_1", "-1"}) Age(core::AttachmentBlobKey(id));
  Age(core::AvatarBlobKey("a1"));
  Age(core::BannerBlobKey("a1"));
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto keys = store_.ListStale("attachments/", kGraceSecs, after, 1);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    if (keys->empty()) break;
    seen.push_back(keys->front());
    after = keys->front();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"attachments/-1", "attachments/B1", "attachments/_1",
                                            "attachments/a1"}));
  auto young = store_.ListStale("attachments/", 3 * kGraceSecs, "", 100);
  ASSERT_TRUE(young.ok());
  EXPECT_TRUE(young->empty());
}

}  // namespace
}  // namespace filament::pgstore
