#include "adapters/upload/upload_spool.hpp"

#include <cstdio>
#include <thread>
#include <vector>

#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "adapters/crypto/primitives.hpp"
#include "adapters/upload/testing/sample_media.hpp"
#include "core/testing/process_memory.hpp"

namespace filament::upload {
namespace {

namespace samples = testing;

// A fresh directory for the spool files, removed (it must be empty by then) at the end.
class UploadSpoolTest : public ::testing::Test {
 protected:
  UploadSpoolTest() {
    char pattern[] = "/tmp/filament-spool-test-XXXXXX";
    FILAMENT_CHECK(mkdtemp(pattern) != nullptr);
    dir_ = pattern;
  }
  ~UploadSpoolTest() override { rmdir(dir_.c_str()); }

  UploadSpool NewSpool(int64_t max_bytes) {
    auto spool = UploadSpool::Create(SpoolOptions{dir_, max_bytes});
    FILAMENT_CHECK(spool.ok());
    return std::move(*spool);
  }

  int EntriesInDir() const {
    int entries = 0;
    DIR* dir = opendir(dir_.c_str());
    while (dirent* entry = readdir(dir)) {
      if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..") ++entries;
    }
    closedir(dir);
    return entries;
  }

  std::string dir_;
};

std::string ReadAll(core::ByteSource& source) {
  std::string out;
  char buffer[1000];
  while (true) {
    auto n = source.Read(buffer);
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) return out;
    out.append(buffer, *n);
  }
}

TEST_F(UploadSpoolTest, SpoolsCountsHashesAndSniffs) {
  std::string body = samples::Png() + std::string(20000, 'x');  // trailing bytes are fine here
  UploadSpool spool = NewSpool(1 << 20);
  for (size_t at = 0; at < body.size(); at += 4099) {
    ASSERT_TRUE(spool.Append(std::string_view(body).substr(at, 4099)).ok());
  }
  EXPECT_EQ(spool.size(), static_cast<int64_t>(body.size()));
  auto upload = spool.Finish();
  ASSERT_TRUE(upload.ok());
  EXPECT_EQ(upload->size(), static_cast<int64_t>(body.size()));
  EXPECT_EQ(upload->sha256_hex(), crypto::Sha256Hex(body));
  EXPECT_EQ(upload->sniffed_mime(), "image/png");
  EXPECT_EQ(upload->head(), body.substr(0, 8192));
  auto source = upload->NewSource();
  EXPECT_EQ(ReadAll(*source), body);
  core::BlobInfo info = upload->Info("image/png");
  EXPECT_EQ(info.size, upload->size());
  EXPECT_EQ(info.sha256_hex, upload->sha256_hex());
}

TEST_F(UploadSpoolTest, TheTempFileIsNeverVisible) {
  UploadSpool spool = NewSpool(100);
  EXPECT_EQ(EntriesInDir(), 0);
  ASSERT_TRUE(spool.Append("hello").ok());
  EXPECT_EQ(EntriesInDir(), 0);
}

TEST_F(UploadSpoolTest, TheCapIsExactAndNothingPastItIsWritten) {
  UploadSpool spool = NewSpool(10);
  ASSERT_TRUE(spool.Append("12345").ok());
  ASSERT_TRUE(spool.Append("67890").ok());  // exactly at the cap
  auto over = spool.Append("1");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(over.error().reason, "payload_too_large");
  EXPECT_EQ(spool.size(), 10);
  EXPECT_EQ(spool.Append("x").error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(spool.Finish().error().code, core::ErrorCode::kFailedPrecondition);
}

TEST_F(UploadSpoolTest, AChunkThatWouldCrossTheCapIsRefusedWhole) {
  UploadSpool spool = NewSpool(8);
  ASSERT_TRUE(spool.Append("1234").ok());
  EXPECT_EQ(spool.Append("56789").error().reason, "payload_too_large");
  EXPECT_EQ(spool.size(), 4);
}

TEST_F(UploadSpoolTest, AnEmptyUploadFinishesUnrecognised) {
  auto upload = NewSpool(10).Finish();
  ASSERT_TRUE(upload.ok());
  EXPECT_EQ(upload->size(), 0);
  EXPECT_EQ(upload->sniffed_mime(), "");
  EXPECT_EQ(upload->sha256_hex(), crypto::Sha256Hex(""));
}

TEST_F(UploadSpoolTest, FinishIsOnce) {
  UploadSpool spool = NewSpool(10);
  ASSERT_TRUE(spool.Finish().ok());
  EXPECT_EQ(spool.Finish().error().code, core::ErrorCode::kFailedPrecondition);
}

TEST(UploadSpool, AMissingDirectoryIsAnInternalError) {
  auto spool = UploadSpool::Create(SpoolOptions{"/nonexistent/filament", 10});
  EXPECT_EQ(spool.error().code, core::ErrorCode::kInternal);
}

// 20 concurrent uploads of 2 MiB each: the bytes go to disk, not to memory.
TEST_F(UploadSpoolTest, MemoryStaysFlatWithTwentyConcurrentUploads) {
  constexpr int kUploads = 20;
  constexpr int64_t kBytes = 2 << 20;
  std::vector<UploadSpool> spools;
  for (int i = 0; i < kUploads; ++i) spools.push_back(NewSpool(kBytes));
  std::string piece(64 * 1024, 'z');
  int64_t before = core::testing::ResidentKiB();
  std::vector<std::thread> writers;
  for (int i = 0; i < kUploads; ++i) {
    writers.emplace_back([&, i] {
      for (int64_t sent = 0; sent < kBytes; sent += static_cast<int64_t>(piece.size())) {
        FILAMENT_CHECK(spools[i].Append(piece).ok());
      }
    });
  }
  for (auto& writer : writers) writer.join();
  int64_t growth = core::testing::ResidentKiB() - before;
  std::printf("RSS growth for %d x %lld KiB uploads: %lld KiB\n", kUploads,
              static_cast<long long>(kBytes / 1024), static_cast<long long>(growth));
  EXPECT_LT(growth, 8 * 1024);  // 40 MiB of uploads; thread stacks and 8 KiB heads only
  for (auto& spool : spools) {
    auto upload = spool.Finish();
    ASSERT_TRUE(upload.ok());
    EXPECT_EQ(upload->size(), kBytes);
  }
}

}  // namespace
}  // namespace filament::upload
