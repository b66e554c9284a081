// FileSnapshotStore (ADR 0092) on a temporary directory: what Save writes is what List and Load
// give back, newest first, with only `keep` kept; files that do not parse are not listed.
#include "adapters/localfs/file_snapshot_store.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace filament::localfs {
namespace {

namespace fs = std::filesystem;

class FileSnapshotStoreTest : public ::testing::Test {
 protected:
  FileSnapshotStoreTest() {
    char pattern[] = "/tmp/filament-snapshots-XXXXXX";
    root_ = ::mkdtemp(pattern);
    dir_ = root_ + "/data/snapshots";  // created by the first Save
  }
  ~FileSnapshotStoreTest() override { fs::remove_all(root_); }

  std::string File(int64_t id) {
    std::string digits = std::to_string(id);
    return dir_ + "/snapshot-" + std::string(20 - digits.size(), '0') + digits + ".bin";
  }

  std::string root_;
  std::string dir_;
};

TEST_F(FileSnapshotStoreTest, NothingSavedListsNothing) {
  FileSnapshotStore store(dir_);
  auto entries = store.List();
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty());
  EXPECT_EQ(store.Load(1).error().code, core::ErrorCode::kNotFound);
}

TEST_F(FileSnapshotStoreTest, SavedSnapshotsComeBackNewestFirstAndOnlyKeepAreKept) {
  FileSnapshotStore store(dir_);
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(store.Save("first", {1, 2, 3, 4}, 2).ok());
  ASSERT_TRUE(store.Save(big, {5, 6, 7, 8}, 2).ok());
  ASSERT_TRUE(store.Save("", {9, 10, 11, 12}, 2).ok());
  auto entries = store.List();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].id, 3);
  EXPECT_EQ((*entries)[0].ends, (std::vector<int64_t>{9, 10, 11, 12}));
  EXPECT_EQ((*entries)[0].size_bytes, 0);
  EXPECT_EQ((*entries)[1].id, 2);
  EXPECT_EQ((*entries)[1].size_bytes, static_cast<int64_t>(big.size()));
  EXPECT_EQ(*store.Load(2), big);
  EXPECT_EQ(*store.Load(3), "");
  EXPECT_EQ(store.Load(1).error().code, core::ErrorCode::kNotFound);  // beyond keep
  EXPECT_FALSE(fs::exists(File(1)));
  // A new instance (the next start) sees the same, and numbers on.
  FileSnapshotStore again(dir_);
  ASSERT_TRUE(again.Save("fourth", {1}, 5).ok());
  EXPECT_EQ(again.List()->front().id, 4);
  EXPECT_EQ(*again.Load(4), "fourth");
}

TEST_F(FileSnapshotStoreTest, MalformedAndTruncatedFilesAreNotListed) {
  FileSnapshotStore store(dir_);
  ASSERT_TRUE(store.Save("payload", {1, 2}, 5).ok());
  ASSERT_TRUE(store.Save("payload two", {3, 4}, 5).ok());
  fs::resize_file(File(2), fs::file_size(File(2)) - 1);  // a torn write
  std::ofstream(File(3)) << "not a snapshot";
  std::ofstream(dir_ + "/snapshot-x.bin") << "ignored name";
  auto entries = store.List();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].id, 1);
  EXPECT_EQ(store.Load(2).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(store.Load(3).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(*store.Load(1), "payload");
}

TEST_F(FileSnapshotStoreTest, ACrashedSavesTemporaryFileIsNeverListedAndIsCleanedUp) {
  FileSnapshotStore store(dir_);
  ASSERT_TRUE(store.Save("one", {1}, 5).ok());
  std::ofstream(dir_ + "/.tmp-2") << "half written";
  ASSERT_EQ(store.List()->size(), 1u);
  ASSERT_TRUE(store.Save("two", {2}, 5).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/.tmp-2"));
  EXPECT_EQ(store.List()->size(), 2u);
}

TEST_F(FileSnapshotStoreTest, APositionWithoutPartitionsIsRefused) {
  FileSnapshotStore store(dir_);
  EXPECT_EQ(store.Save("x", {}, 2).error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(FileSnapshotStoreTest, AnUnwritableDirectoryIsUnavailable) {
  std::ofstream(root_ + "/file") << "x";
  FileSnapshotStore store(root_ + "/file/snapshots");  // a path through a file
  EXPECT_EQ(store.Save("x", {1}, 2).error().code, core::ErrorCode::kUnavailable);
  EXPECT_TRUE(store.List()->empty());
}

}  // namespace
}  // namespace filament::localfs
