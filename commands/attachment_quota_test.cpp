#include "commands/attachment_quota.hpp"

#include <atomic>
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

}  // namespace
}  // namespace filament::commands
