// PgUploadReservations against a real PostgreSQL (label pg, ADR 0096): two instances stand
// for two api processes on one database. Parallel holds never pass the quota together, the
// fold's `used` counts, the sum is read before `used()`, and a hold dies with its session.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/pgstore/upload_reservations.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::pgstore {
namespace {

constexpr uint64_t kMiB = 1u << 20;

class UploadReservationsTest : public ::testing::Test {
 protected:
  UploadReservationsTest()
      : conninfo_(filament::testing::CreateMigratedDatabase()),
        a_(std::make_unique<PgUploadReservations>(conninfo_)),
        b_(std::make_unique<PgUploadReservations>(conninfo_)) {}

  // Reserves exactly `bytes`.
  bool Reserve(PgUploadReservations& r, const std::string& hold, uint64_t bytes, uint64_t used = 0,
               const std::string& user = "U1") {
    auto granted = r.Reserve(user, hold, bytes, bytes, 4 * kMiB,
                             [used]() -> core::Result<uint64_t> { return used; });
    EXPECT_TRUE(granted.ok()) << granted.error().message;
    if (granted.ok() && *granted != 0) {
      EXPECT_EQ(*granted, bytes);
    }
    return granted.ok() && *granted == bytes;
  }
  static core::Result<uint64_t> None() { return uint64_t{0}; }

  int64_t Rows() {
    if (a_) a_->Flush();
    b_->Flush();
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT count(*) FROM upload_reservations")[0].as<int64_t>();
  }

  std::string conninfo_;
  std::unique_ptr<PgUploadReservations> a_;
  std::unique_ptr<PgUploadReservations> b_;
};

TEST_F(UploadReservationsTest, ParallelHoldsOfTwoProcessesNeverPassTheQuotaTogether) {
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      auto& r = i % 2 == 0 ? *a_ : *b_;
      if (Reserve(r, "H" + std::to_string(i), kMiB)) ++admitted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 4);
  EXPECT_EQ(Rows(), 4);
}

TEST_F(UploadReservationsTest, TheFoldsUsedBytesCountAndAHoldGrows) {
  EXPECT_TRUE(Reserve(*a_, "H1", kMiB, /*used=*/2 * kMiB));
  EXPECT_FALSE(Reserve(*b_, "H2", kMiB + 1, /*used=*/2 * kMiB));
  EXPECT_TRUE(Reserve(*a_, "H1", kMiB / 2, /*used=*/2 * kMiB));  // the same upload, more bytes
  EXPECT_FALSE(Reserve(*a_, "H1", kMiB / 2 + 1, /*used=*/2 * kMiB));
  EXPECT_TRUE(Reserve(*b_, "H3", kMiB, /*used=*/0, "U2"));  // another user's quota
}

// A chunked body reserves what the quota leaves, up to the size cap, in one go.
TEST_F(UploadReservationsTest, AtLeastAndAtMostGrantWhatIsLeft) {
  ASSERT_TRUE(Reserve(*a_, "H1", 3 * kMiB));
  auto granted = b_->Reserve("U1", "H2", 1, 2 * kMiB, 4 * kMiB, None);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, kMiB);  // all that is left
  granted = b_->Reserve("U1", "H3", 1, 2 * kMiB, 4 * kMiB, None);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 0u);
  granted = b_->Reserve("U2", "H4", 1, 2 * kMiB, 4 * kMiB, None);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 2 * kMiB);  // at most
}

TEST_F(UploadReservationsTest, ReleaseFreesTheHoldAndIsIdempotent) {
  EXPECT_TRUE(Reserve(*a_, "H1", 4 * kMiB));
  EXPECT_FALSE(Reserve(*b_, "H2", 1));
  EXPECT_TRUE(a_->Release("H1").ok());
  EXPECT_TRUE(a_->Release("H1").ok());
  EXPECT_TRUE(a_->Release("never held").ok());
  a_->Flush();  // releases are deleted by a's own thread
  EXPECT_TRUE(Reserve(*b_, "H2", 4 * kMiB));
  EXPECT_EQ(Rows(), 1);
}

// The order that keeps a finished upload counted: the other process appends its upload, then
// drops its hold. If the drop lands while this reservation waits for the fold, the sum (read
// before) still holds those bytes, so the upload is counted once either way.
TEST_F(UploadReservationsTest, TheSumIsReadBeforeTheFoldSoADroppedHoldStillCounts) {
  ASSERT_TRUE(Reserve(*b_, "B", 3 * kMiB));
  auto granted =
      a_->Reserve("U1", "A", 2 * kMiB, 2 * kMiB, 4 * kMiB, [&]() -> core::Result<uint64_t> {
        EXPECT_TRUE(b_->Release("B").ok());  // b's upload was appended; this fold missed it
        b_->Flush();
        return uint64_t{0};
      });
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, 0u);
}

TEST_F(UploadReservationsTest, AHoldDiesWithTheProcessThatMadeIt) {
  ASSERT_TRUE(Reserve(*a_, "H1", 4 * kMiB));
  EXPECT_FALSE(Reserve(*b_, "H2", 1));
  a_.reset();  // its session ends without a release (a crash, as far as the database knows)
  bool admitted = false;
  for (int i = 0; i < 100 && !admitted; ++i) {  // the backend exits a moment after the close
    auto granted = b_->Reserve("U1", "H2", 4 * kMiB, 4 * kMiB, 4 * kMiB, None);
    ASSERT_TRUE(granted.ok());
    admitted = *granted == 4 * kMiB;
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(admitted);
  EXPECT_EQ(Rows(), 1);  // the dead hold was deleted
}

TEST_F(UploadReservationsTest, AfterALostSessionItsHoldsAreTakenOverByTheNextOne) {
  ASSERT_TRUE(Reserve(*a_, "H1", 3 * kMiB));
  {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    tx.exec("SELECT pg_terminate_backend(holder_pid) FROM upload_reservations");
  }
  core::Result<uint64_t> granted = uint64_t{0};
  for (int i = 0; i < 3; ++i) {  // the first call may find the connection broken
    granted = a_->Reserve("U1", "H2", kMiB, kMiB, 4 * kMiB, None);
    if (granted.ok()) break;
    EXPECT_EQ(granted.error().code, core::ErrorCode::kUnavailable);
  }
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(*granted, kMiB);
  EXPECT_FALSE(Reserve(*b_, "H3", 1));  // H1 counts again, now under a's new session
  EXPECT_EQ(Rows(), 2);
}

TEST_F(UploadReservationsTest, UsedErrorsRefuseWithTheError) {
  auto granted = a_->Reserve("U1", "H1", 1, 1, 4 * kMiB, []() -> core::Result<uint64_t> {
    return core::Unavailable("log down");
  });
  ASSERT_FALSE(granted.ok());
  EXPECT_EQ(granted.error().code, core::ErrorCode::kUnavailable);
  EXPECT_EQ(Rows(), 0);
}

}  // namespace
}  // namespace filament::pgstore
