// PgBlobStore against a real PostgreSQL (label pg): byte-for-byte round trips across chunk
// boundaries, atomic replace, delete, and failed puts that must leave nothing behind.
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/crypto/primitives.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/pg_blob_store.hpp"
#include "adapters/pgstore/testing/blob_test_content.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::pgstore {
namespace {

using core::BlobInfo;
using core::ErrorCode;
using core::StringByteSource;
using testing::BlobTestContent;

constexpr size_t kSmallChunk = 4096;

BlobInfo InfoOf(const std::string& bytes, std::string mime = "application/pdf") {
  return BlobInfo{static_cast<int64_t>(bytes.size()), crypto::Sha256Hex(bytes), std::move(mime)};
}

// A source that yields `bytes` in pieces of `piece` and then fails, if `fail_at` is reached.
class PiecewiseSource final : public core::ByteSource {
 public:
  PiecewiseSource(std::string bytes, size_t piece, size_t fail_at = SIZE_MAX)
      : bytes_(std::move(bytes)), piece_(piece), fail_at_(fail_at) {}
  core::Result<size_t> Read(std::span<char> buffer) override {
    if (offset_ >= fail_at_) return core::Internal("source failed");
    size_t n = std::min({buffer.size(), piece_, bytes_.size() - offset_});
    std::copy_n(bytes_.data() + offset_, n, buffer.data());
    offset_ += n;
    return n;
  }

 private:
  std::string bytes_;
  size_t piece_;
  size_t fail_at_;
  size_t offset_ = 0;
};

class PgBlobStoreTest : public ::testing::Test {
 protected:
  PgBlobStoreTest()
      : conninfo_(filament::testing::CreateMigratedDatabase()),
        pool_(conninfo_, 8),
        store_(pool_, PgBlobStoreOptions{kSmallChunk}) {}

  int64_t Count(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  // Reads `key` through a reader in pieces of `piece` bytes.
  std::string ReadInPieces(PgBlobStore& store, const std::string& key, size_t piece) {
    auto reader = store.Open(key);
    EXPECT_TRUE(reader.ok());
    if (!reader.ok()) return {};
    std::string out;
    std::vector<char> buffer(piece);
    while (true) {
      auto n = (*reader)->Read(buffer);
      EXPECT_TRUE(n.ok());
      if (!n.ok() || *n == 0) return out;
      out.append(buffer.data(), *n);
    }
  }

  std::string conninfo_;
  ConnectionPool pool_;
  PgBlobStore store_;
};

TEST_F(PgBlobStoreTest, RoundTripsByteForByteAcrossChunkBoundaries) {
  for (size_t size :
       {size_t{0}, size_t{1}, kSmallChunk - 1, kSmallChunk, kSmallChunk + 1, 3 * kSmallChunk + 5}) {
    std::string key = "attachments/size-" + std::to_string(size);
    std::string bytes = BlobTestContent(size, size);
    PiecewiseSource source(bytes, 1000);
    ASSERT_TRUE(store_.Put(key, source, InfoOf(bytes)).ok()) << size;
    EXPECT_EQ(ReadInPieces(store_, key, 777), bytes) << size;
    auto info = store_.Stat(key);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, static_cast<int64_t>(size));
    EXPECT_EQ(info->sha256_hex, crypto::Sha256Hex(bytes));
    EXPECT_EQ(info->mime_type, "application/pdf");
  }
}

TEST_F(PgBlobStoreTest, A25MiBObjectRoundTripsInDefaultChunks) {
  PgBlobStore store(pool_);
  std::string bytes = BlobTestContent(25, 25 * 1024 * 1024);
  StringByteSource source(bytes);
  ASSERT_TRUE(store.Put("attachments/big", source, InfoOf(bytes)).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM blob_chunks"), 100);
  EXPECT_EQ(ReadInPieces(store, "attachments/big", 64 * 1024), bytes);
  core::BlobInfo info;
  auto whole = core::ReadWholeBlob(store, "attachments/big", 25 * 1024 * 1024, &info);
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE(*whole == bytes);
  EXPECT_EQ(info.sha256_hex, crypto::Sha256Hex(bytes));
}

TEST_F(PgBlobStoreTest, ReplaceSwapsTheWholeObjectAndFreesTheOldChunks) {
  std::string old_bytes = BlobTestContent(1, 3 * kSmallChunk);
  std::string new_bytes = BlobTestContent(2, kSmallChunk + 10);
  StringByteSource first(old_bytes);
  ASSERT_TRUE(store_.Put("avatars/u", first, InfoOf(old_bytes, "image/png")).ok());
  auto old_reader = store_.Open("avatars/u");
  ASSERT_TRUE(old_reader.ok());
  StringByteSource second(new_bytes);
  ASSERT_TRUE(store_.Put("avatars/u", second, InfoOf(new_bytes, "image/gif")).ok());

  EXPECT_EQ(ReadInPieces(store_, "avatars/u", 4096), new_bytes);
  EXPECT_EQ(store_.Stat("avatars/u")->mime_type, "image/gif");
  EXPECT_EQ(Count("SELECT count(*) FROM blob_chunks"), 2);
  // The reader opened before the replace holds chunk 0 of the old object, then must stop.
  std::vector<char> buffer(kSmallChunk);
  auto n = (*old_reader)->Read(buffer);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buffer.data(), *n), old_bytes.substr(0, kSmallChunk));
  EXPECT_EQ((*old_reader)->Read(buffer).error().code, ErrorCode::kAborted);
}

TEST_F(PgBlobStoreTest, DeleteRemovesBytesAndIsIdempotent) {
  std::string bytes = BlobTestContent(3, 2 * kSmallChunk + 1);
  StringByteSource source(bytes);
  ASSERT_TRUE(store_.Put("attachments/d", source, InfoOf(bytes)).ok());
  EXPECT_TRUE(store_.Delete("attachments/d").ok());
  EXPECT_TRUE(store_.Delete("attachments/d").ok());
  EXPECT_TRUE(store_.Delete("attachments/never").ok());
  EXPECT_EQ(store_.Open("attachments/d").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_.Stat("attachments/d").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Count("SELECT count(*) FROM blobs") + Count("SELECT count(*) FROM blob_chunks"), 0);
}

TEST_F(PgBlobStoreTest, AFailedReplaceKeepsTheOldObjectAndLeavesNoChunks) {
  std::string old_bytes = BlobTestContent(4, kSmallChunk * 2);
  StringByteSource old_source(old_bytes);
  ASSERT_TRUE(store_.Put("banners/u", old_source, InfoOf(old_bytes)).ok());
  std::string new_bytes = BlobTestContent(5, kSmallChunk * 3);

  BlobInfo wrong_hash = InfoOf(new_bytes);
  wrong_hash.sha256_hex = crypto::Sha256Hex("something else");
  StringByteSource s1(new_bytes);
  EXPECT_EQ(store_.Put("banners/u", s1, wrong_hash).error().code, ErrorCode::kInternal);
  BlobInfo wrong_size = InfoOf(new_bytes);
  wrong_size.size -= 1;
  StringByteSource s2(new_bytes);
  EXPECT_EQ(store_.Put("banners/u", s2, wrong_size).error().code, ErrorCode::kInternal);
  PiecewiseSource failing(new_bytes, 1000, 2 * kSmallChunk + 100);
  EXPECT_EQ(store_.Put("banners/u", failing, InfoOf(new_bytes)).error().message, "source failed");

  EXPECT_EQ(ReadInPieces(store_, "banners/u", 5000), old_bytes);
  EXPECT_EQ(Count("SELECT count(*) FROM blob_chunks"), 2);
}

TEST_F(PgBlobStoreTest, BadArgumentsAreRejectedBeforeTouchingTheDatabase) {
  StringByteSource source("x");
  EXPECT_EQ(store_.Put("../x", source, InfoOf("x")).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_.Put("k", source, InfoOf("x", "")).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_.Open("a//b").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_.Stat("").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_.Delete("a/..").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PgBlobStoreTest, ConcurrentReplacesLeaveExactlyOneWholeObject) {
  constexpr int kWriters = 6;
  std::vector<std::string> contents;
  for (int i = 0; i < kWriters; ++i) contents.push_back(BlobTestContent(100 + i, 5 * kSmallChunk));
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      for (int round = 0; round < 5; ++round) {
        StringByteSource source(contents[i]);
        if (!store_.Put("avatars/contended", source, InfoOf(contents[i])).ok()) ++failures;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  std::string stored = ReadInPieces(store_, "avatars/contended", 9000);
  EXPECT_NE(std::find(contents.begin(), contents.end(), stored), contents.end());
  EXPECT_EQ(Count("SELECT count(*) FROM blob_chunks"), 5);
}

TEST_F(PgBlobStoreTest, ChunksAreStoredOutOfLineUncompressed) {
  pqxx::connection c(conninfo_);
  pqxx::nontransaction tx(c);
  auto storage = tx.exec1(
      "SELECT attstorage FROM pg_attribute "
      "WHERE attrelid = 'blob_chunks'::regclass AND attname = 'data'");
  EXPECT_EQ(storage[0].as<std::string>(), "e");
}

}  // namespace
}  // namespace filament::pgstore
