#include "commands/attachment_quota.hpp"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace filament::commands {
namespace {

const std::string kUser = "01J000000000000000000000B1";

events::AttachmentUploaded Upload(std::string id, int64_t size) {
  return events::AttachmentUploaded{.guild_id = "01J00000000000000000000001",
                                    .channel_id = "01J000000000000000000000C1",
                                    .attachment_id = std::move(id),
                                    .owner_id = kUser,
                                    .filename = "f",
                                    .mime_type = "text/plain",
                                    .size_bytes = size,
                                    .sha256_hex = std::string(64, 'a'),
                                    .uploaded_at_unix = 1};
}

TEST(AttachmentQuota, ReservationsAndUsedShareTheQuota) {
  AttachmentQuota quota(100);
  quota.Apply(Upload("A", 60));
  EXPECT_EQ(quota.Used(kUser), 60u);
  EXPECT_TRUE(quota.Reserve(kUser, 40));
  EXPECT_FALSE(quota.Reserve(kUser, 1));
  quota.Release(kUser, 40);
  EXPECT_TRUE(quota.Reserve(kUser, 1));
}

TEST(AttachmentQuota, DeletesReclaim) {
  AttachmentQuota quota(100);
  quota.Apply(Upload("A", 60));
  quota.Apply(Upload("B", 40));
  quota.Apply(Upload("B", 40));  // a repeated fact counts once
  EXPECT_EQ(quota.Used(kUser), 100u);
  quota.Apply(events::AttachmentDeleted{.guild_id = "G",
                                        .channel_id = "C",
                                        .attachment_id = "A",
                                        .owner_id = kUser,
                                        .deleted_by = kUser,
                                        .deleted_at_unix = 2});
  EXPECT_EQ(quota.Used(kUser), 40u);
  events::MessageDeleted gone{.guild_id = "G",
                              .channel_id = "C",
                              .message_id = "M",
                              .deleted_by = kUser,
                              .deleted_at_unix = 3};
  gone.attachment_ids = std::vector<std::string>{"B"};
  quota.Apply(gone);
  EXPECT_EQ(quota.Used(kUser), 0u);
}

TEST(AttachmentQuota, ParallelReservationsNeverPassTheQuota) {
  AttachmentQuota quota(1000);
  std::atomic<uint64_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (quota.Reserve(kUser, 7)) granted += 7;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(granted.load(), 1000u);
  EXPECT_EQ(granted.load(), quota.Reserved(kUser));
  EXPECT_GT(granted.load(), 1000u - 7);
}

// Several writers (ADR 0096): reservations go to the shared store, which reads `used` from the
// fold only after the catch-up ran; nothing is reserved in memory.
class RecordingReservations final : public UploadReservations {
 public:
  core::Result<uint64_t> Reserve(const std::string& user_id, const std::string& hold_id,
                                 uint64_t at_least, uint64_t at_most, uint64_t quota,
                                 const std::function<core::Result<uint64_t>()>& used) override {
    calls.push_back(user_id + "/" + hold_id + "/" + std::to_string(at_least) + "-" +
                    std::to_string(at_most));
    auto folded = used();
    if (!folded.ok()) return folded.error();
    uint64_t left = quota - std::min(quota, *folded + held);
    return left < at_least ? 0 : std::min(left, at_most);
  }
  core::Status Release(const std::string& hold_id) override {
    calls.push_back("release " + hold_id);
    return core::OkStatus();
  }
  uint64_t held = 0;
  std::vector<std::string> calls;
};

TEST(AttachmentQuota, SharedReservationsReadUsedAfterTheCatchUp) {
  AttachmentQuota quota(100);
  RecordingReservations shared;
  int catch_ups = 0;
  quota.ShareReservations(&shared, [&]() -> core::Status {
    ++catch_ups;
    quota.Apply(Upload("X", 50));  // another process's upload, folded by the catch-up
    return core::OkStatus();
  });
  shared.held = 30;
  EXPECT_TRUE(quota.shares_reservations());
  auto granted = quota.ReserveUpload(kUser, "H1", 1, 40);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 20u);  // 100 - 50 used - 30 held
  granted = quota.ReserveUpload(kUser, "H1", 21, 21);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 0u);
  EXPECT_EQ(catch_ups, 2);
  EXPECT_EQ(quota.Reserved(kUser), 0u);  // nothing in memory
  EXPECT_TRUE(quota.ReleaseUpload(kUser, "H1", 20).ok());
  EXPECT_EQ(shared.calls,
            (std::vector<std::string>{kUser + "/H1/1-40", kUser + "/H1/21-21", "release H1"}));
}

TEST(AttachmentQuota, SharedReservationsFailWhenTheCatchUpFails) {
  AttachmentQuota quota(100);
  RecordingReservations shared;
  quota.ShareReservations(&shared, [] { return core::Unavailable("log down"); });
  auto granted = quota.ReserveUpload(kUser, "H1", 1, 1);
  ASSERT_FALSE(granted.ok());
  EXPECT_EQ(granted.error().code, core::ErrorCode::kUnavailable);
}

TEST(AttachmentQuota, OneWriterReservesUploadsInMemory) {
  AttachmentQuota quota(100);
  EXPECT_FALSE(quota.shares_reservations());
  quota.Apply(Upload("A", 30));
  auto granted = quota.ReserveUpload(kUser, "H1", 50, 50);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 50u);
  granted = quota.ReserveUpload(kUser, "H2", 1, 100);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 20u);  // what is left
  granted = quota.ReserveUpload(kUser, "H3", 1, 1);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 0u);
  EXPECT_EQ(quota.Reserved(kUser), 70u);
  EXPECT_TRUE(quota.ReleaseUpload(kUser, "H1", 50).ok());
  EXPECT_EQ(quota.Reserved(kUser), 20u);
}

}  // namespace
}  // namespace filament::commands
