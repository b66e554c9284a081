// Test-only child process for pg_blob_store_kill_test.cpp: puts the 20 kill-test objects of
// `--round R` concurrently (20 threads, 20 connections), each through a source that trickles
// its bytes, so that a SIGKILL from the parent lands while most puts are mid-transaction.
// Exits 0 when all 20 are stored, 2 when a put failed, 3 on bad arguments.
//   blob_kill_child --conninfo C --round R
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/primitives.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/pg_blob_store.hpp"
#include "adapters/pgstore/testing/blob_test_content.hpp"

namespace {

using namespace filament;

constexpr int kObjects = 20;

// Yields at most 64 KiB per Read and sleeps 3 ms before each, so a 2 MiB put takes ~0.1 s.
class TricklingSource final : public core::ByteSource {
 public:
  explicit TricklingSource(const std::string& bytes) : bytes_(bytes) {}
  core::Result<size_t> Read(std::span<char> buffer) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    size_t n = std::min({buffer.size(), size_t{64 * 1024}, bytes_.size() - offset_});
    std::copy_n(bytes_.data() + offset_, n, buffer.data());
    offset_ += n;
    return n;
  }

 private:
  const std::string& bytes_;
  size_t offset_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 || std::string(argv[1]) != "--conninfo" || std::string(argv[3]) != "--round") {
    std::fprintf(stderr, "usage: blob_kill_child --conninfo C --round R\n");
    return 3;
  }
  int round = std::stoi(argv[4]);
  pgstore::ConnectionPool pool(std::string(argv[2]) + " application_name=blob_kill_child",
                               kObjects);
  pgstore::PgBlobStore store(pool);
  std::vector<int> results(kObjects, 1);
  std::vector<std::thread> writers;
  for (int i = 0; i < kObjects; ++i) {
    writers.emplace_back([&, i] {
      std::string bytes = pgstore::testing::KillTestContent(i, round);
      core::BlobInfo info{static_cast<int64_t>(bytes.size()), crypto::Sha256Hex(bytes),
                          "application/octet-stream"};
      TricklingSource source(bytes);
      auto status = store.Put(pgstore::testing::KillTestKey(i), source, info);
      if (!status.ok()) std::fprintf(stderr, "put %d: %s\n", i, status.error().message.c_str());
      results[i] = status.ok() ? 0 : 2;
    });
  }
  for (auto& writer : writers) writer.join();
  for (int result : results) {
    if (result != 0) return 2;
  }
  return 0;
}
