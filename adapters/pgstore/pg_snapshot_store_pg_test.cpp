// PgSnapshotStore against a real PostgreSQL (label pg): bytes of every value across several
// chunks come back exactly (read in binary format, ADR 0095), the newest `keep` are kept, a
// deleted snapshot is kNotFound, and an inconsistent row or chunk set is refused, never
// over-read. Prints the binary read's time beside the text (hex) read it replaced.
#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/pg_snapshot_store.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::pgstore {
namespace {

class PgSnapshotStoreTest : public ::testing::Test {
 protected:
  PgSnapshotStoreTest()
      : conninfo_(filament::testing::CreateMigratedDatabase()),
        pool_(conninfo_, 2),
        store_(pool_) {}

  void Exec(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }

  // Every byte value, `size` bytes.
  static std::string Bytes(size_t size, unsigned seed) {
    std::string out(size, '\0');
    for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + seed) & 0xff);
    return out;
  }

  int64_t NewestId() { return (*store_.List()).front().id; }

  std::string conninfo_;
  ConnectionPool pool_;
  PgSnapshotStore store_;
};

TEST_F(PgSnapshotStoreTest, BytesOfEveryValueAcrossChunksComeBackExactly) {
  for (size_t size : {size_t{0}, size_t{1}, (size_t{8} << 20) + 3, size_t{17} << 20}) {
    const std::string bytes = Bytes(size, static_cast<unsigned>(size));
    ASSERT_TRUE(store_.Save(bytes, {static_cast<int64_t>(size), 7}, 2).ok());
    auto listed = store_.List();
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->front().ends, (std::vector<int64_t>{static_cast<int64_t>(size), 7}));
    EXPECT_EQ(listed->front().size_bytes, static_cast<int64_t>(size));
    auto loaded = store_.Load(listed->front().id);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_TRUE(*loaded == bytes) << "size " << size;
  }
  EXPECT_EQ(store_.List()->size(), 2u);  // the newest two are kept
}

TEST_F(PgSnapshotStoreTest, ADeletedSnapshotIsNotFound) {
  ASSERT_TRUE(store_.Save("a", {1}, 1).ok());
  const int64_t first = NewestId();
  ASSERT_TRUE(store_.Save("b", {2}, 1).ok());
  auto gone = store_.Load(first);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(*store_.Load(NewestId()), "b");
}

TEST_F(PgSnapshotStoreTest, AnInconsistentRowOrChunkSetIsRefused) {
  ASSERT_TRUE(store_.Save(Bytes(100, 1), {1}, 2).ok());
  const std::string id = std::to_string(NewestId());
  auto refused = [&] {
    auto loaded = store_.Load(std::stoll(id));
    return !loaded.ok() && loaded.error().code == core::ErrorCode::kInvalidArgument;
  };
  Exec("UPDATE command_snapshots SET size_bytes = 99 WHERE snapshot_id = " + id);
  EXPECT_TRUE(refused()) << "more bytes than the row says";
  Exec("UPDATE command_snapshots SET size_bytes = 101 WHERE snapshot_id = " + id);
  EXPECT_TRUE(refused()) << "fewer bytes than the row says";
  Exec("UPDATE command_snapshots SET size_bytes = 100, chunks = 2 WHERE snapshot_id = " + id);
  EXPECT_TRUE(refused()) << "a chunk missing";
  Exec("UPDATE command_snapshots SET size_bytes = 1 << 40, chunks = 1 WHERE snapshot_id = " + id);
  EXPECT_TRUE(refused()) << "a size beyond the chunks";
}

// Exact bytes on 1 (the default), 2 and 3 connections, and the time of each beside the text
// (hex) read through libpqxx that the binary read replaced (printed, not asserted: the box is
// shared).
TEST_F(PgSnapshotStoreTest, BinaryReadsOnSeveralConnectionsBesideTheTextRead) {
  const std::string bytes = Bytes(size_t{32} << 20, 5);
  ASSERT_TRUE(store_.Save(bytes, {1}, 1).ok());
  const int64_t id = NewestId();
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point start) {
    return static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  };
  ASSERT_TRUE(store_.Load(id).ok());  // warms the server's cache for every read
  for (int connections : {1, 2, 3}) {
    PgSnapshotStore store(pool_, connections);
    const auto start = Clock::now();
    auto loaded = store.Load(id);
    const long long ms = ms_since(start);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_TRUE(*loaded == bytes) << connections;
    std::printf("32 MiB snapshot: binary read on %d connection(s) %lld ms\n", connections, ms);
  }
  const auto start = Clock::now();
  std::string text_read;
  pqxx::connection c(conninfo_);
  pqxx::read_transaction tx(c);
  for (int seq = 0; seq < 4; ++seq) {
    auto rows = tx.exec_params(
        "SELECT data FROM command_snapshot_chunks WHERE snapshot_id = $1 AND seq = $2", id, seq);
    pqxx::binarystring data(rows[0][0]);
    text_read.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  const long long text_ms = ms_since(start);
  EXPECT_TRUE(text_read == bytes);
  std::printf("32 MiB snapshot: text (hex) read %lld ms\n", text_ms);
}

}  // namespace
}  // namespace filament::pgstore
