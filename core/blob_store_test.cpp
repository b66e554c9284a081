#include "core/blob_store.hpp"

#include <gtest/gtest.h>

#include "core/in_memory_blob_store.hpp"

namespace filament::core {
namespace {

const std::string kSha(64, 'a');

BlobInfo Info(int64_t size, std::string mime = "image/png") {
  return BlobInfo{size, kSha, std::move(mime)};
}

TEST(BlobKey, ContractKeysAreValid) {
  EXPECT_EQ(AvatarBlobKey("01ARZ3NDEKTSV4RRFFQ69G5FAV"), "avatars/01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_TRUE(IsValidBlobKey(AvatarBlobKey("01ARZ3NDEKTSV4RRFFQ69G5FAV")));
  EXPECT_TRUE(IsValidBlobKey(BannerBlobKey("01ARZ3NDEKTSV4RRFFQ69G5FAV")));
  EXPECT_TRUE(IsValidBlobKey(AttachmentBlobKey("01ARZ3NDEKTSV4RRFFQ69G5FAV")));
  EXPECT_TRUE(IsValidBlobKey("a.b_c-d/E9"));
}

TEST(BlobKey, UnsafeKeysAreRejected) {
  for (std::string_view key :
       {"", "/a", "a/", "a//b", "a/../b", "..", ".", "a b", "a\\b", "ä", "a?b"}) {
    EXPECT_FALSE(IsValidBlobKey(key)) << key;
  }
  EXPECT_FALSE(IsValidBlobKey("attachments/" + std::string("\0", 1)));
  EXPECT_TRUE(IsValidBlobKey(std::string(kMaxBlobKeyBytes, 'a')));
  EXPECT_FALSE(IsValidBlobKey(std::string(kMaxBlobKeyBytes + 1, 'a')));
}

TEST(BlobPut, ArgumentsAreValidated) {
  EXPECT_TRUE(ValidateBlobPut("k", Info(0)).ok());
  EXPECT_FALSE(ValidateBlobPut("k", Info(-1)).ok());
  EXPECT_FALSE(ValidateBlobPut("k", BlobInfo{1, std::string(64, 'A'), "a/b"}).ok());
  EXPECT_FALSE(ValidateBlobPut("k", BlobInfo{1, std::string(63, 'a'), "a/b"}).ok());
  EXPECT_FALSE(ValidateBlobPut("k", Info(1, "")).ok());
  EXPECT_FALSE(ValidateBlobPut("k", Info(1, "text/plain; charset=x")).ok());
  EXPECT_FALSE(ValidateBlobPut("k", Info(1, std::string(256, 'a'))).ok());
  EXPECT_EQ(ValidateBlobPut("../k", Info(1)).error().code, ErrorCode::kInvalidArgument);
}

TEST(InMemoryBlobStore, PutThenReadWholeRoundTrips) {
  InMemoryBlobStore store;
  StringByteSource source("hello");
  ASSERT_TRUE(store.Put("avatars/u1", source, Info(5)).ok());
  BlobInfo info;
  auto bytes = ReadWholeBlob(store, "avatars/u1", 5, &info);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "hello");
  EXPECT_EQ(info.mime_type, "image/png");
  EXPECT_EQ(ReadWholeBlob(store, "avatars/u1", 4).error().code, ErrorCode::kResourceExhausted);
}

TEST(InMemoryBlobStore, SizeMismatchStoresNothing) {
  InMemoryBlobStore store;
  StringByteSource longer("hello!");
  EXPECT_EQ(store.Put("k", longer, Info(5)).error().code, ErrorCode::kInternal);
  StringByteSource shorter("hell");
  EXPECT_EQ(store.Put("k", shorter, Info(5)).error().code, ErrorCode::kInternal);
  EXPECT_EQ(store.Stat("k").error().code, ErrorCode::kNotFound);
}

TEST(InMemoryBlobStore, ReplaceAbortsAnOpenReader) {
  InMemoryBlobStore store;
  StringByteSource first("first");
  ASSERT_TRUE(store.Put("k", first, Info(5)).ok());
  auto reader = store.Open("k");
  ASSERT_TRUE(reader.ok());
  StringByteSource second("second");
  ASSERT_TRUE(store.Put("k", second, Info(6, "image/gif")).ok());
  char buffer[8];
  EXPECT_EQ((*reader)->Read(buffer).error().code, ErrorCode::kAborted);
  EXPECT_EQ(store.Stat("k")->mime_type, "image/gif");
  EXPECT_EQ(*ReadWholeBlob(store, "k", 100), "second");
}

TEST(InMemoryBlobStore, DeleteIsIdempotent) {
  InMemoryBlobStore store;
  StringByteSource bytes("x");
  ASSERT_TRUE(store.Put("k", bytes, Info(1)).ok());
  EXPECT_TRUE(store.Delete("k").ok());
  EXPECT_TRUE(store.Delete("k").ok());
  EXPECT_EQ(store.Open("k").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.size(), 0u);
}

}  // namespace
}  // namespace filament::core
