// blob_bench: PgBlobStore put and get throughput (MiB/s) with W concurrent clients and the
// process's RSS, on an embedded PostgreSQL (durable, or fsync off). Loopback only; each phase
// moves a fixed number of objects; prints a Markdown table.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include "adapters/crypto/primitives.hpp"
#include "adapters/pgstore/connection_pool.hpp"
#include "adapters/pgstore/pg_blob_store.hpp"
#include "adapters/postgres/embedded_cluster.hpp"
#include "tools/bench/bench_util.hpp"

namespace filament::bench {
namespace {

struct Options {
  std::vector<int> sizes_kib = {256, 2048, 25600};
  std::vector<int> writers = {1, 8};
  int64_t mib_per_phase = 400;
  bool fsync_off = false;
};

int64_t RssKiB() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int64_t PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Runs `work(index)` for indexes [0, count) on `threads` threads; returns seconds taken.
template <typename Work>
double Timed(int count, int threads, Work work) {
  std::atomic<int> next{0};
  int64_t start = NowNs();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < count; i = next++) work(i);
    });
  }
  for (auto& thread : pool) thread.join();
  return static_cast<double>(NowNs() - start) / 1e9;
}

// One phase: `count` objects of `size` bytes put, then streamed back in 64 KiB reads.
std::vector<std::string> Phase(pgstore::PgBlobStore& store, size_t size, int writers,
                               int64_t mib_per_phase) {
  int count = static_cast<int>(std::max<int64_t>(writers, (mib_per_phase << 20) / size));
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 2654435761u >> 13);
  core::BlobInfo info{static_cast<int64_t>(size), crypto::Sha256Hex(bytes), "image/png"};
  auto key = [&](int i) {
    return "attachments/bench-" + std::to_string(size) + "-" + std::to_string(i);
  };
  double put_s = Timed(count, writers, [&](int i) {
    core::StringByteSource source(bytes);
    CheckOk(store.Put(key(i), source, info), "put");
  });
  double get_s = Timed(count, writers, [&](int i) {
    auto reader = Unwrap(store.Open(key(i)), "open");
    std::vector<char> buffer(64 * 1024);
    while (Unwrap(reader->Read(buffer), "read") > 0) {
    }
  });
  Timed(count, writers, [&](int i) { CheckOk(store.Delete(key(i)), "delete"); });
  double mib = static_cast<double>(count) * static_cast<double>(size) / (1 << 20);
  return {Fixed(static_cast<double>(size) / 1024, 0) + " KiB",
          std::to_string(writers),
          std::to_string(count),
          Fixed(mib / put_s, 1),
          Fixed(mib / get_s, 1),
          Fixed(static_cast<double>(RssKiB()) / 1024, 1),
          Fixed(static_cast<double>(PeakRssKiB()) / 1024, 1)};
}

int Run(const Options& options) {
  std::string dir = MakeTempDir("filament-blobbench-");
  auto cluster = StartMigratedCluster(dir, !options.fsync_off);
  int max_writers = *std::max_element(options.writers.begin(), options.writers.end());
  Table table(
      {"object", "clients", "objects", "put MiB/s", "get MiB/s", "RSS MiB", "peak RSS MiB"});
  {
    pgstore::ConnectionPool pool(cluster->ConnectionString(), static_cast<size_t>(max_writers));
    pgstore::PgBlobStore store(pool);
    for (int kib : options.sizes_kib) {
      for (int writers : options.writers) {
        table.Add(Phase(store, static_cast<size_t>(kib) * 1024, writers, options.mib_per_phase));
      }
    }
  }
  std::cout << "PgBlobStore on an embedded PostgreSQL ("
            << (options.fsync_off ? "fsync off" : "durable") << "), 256 KiB chunks\n\n";
  table.Print();
  (void)cluster->Stop();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) {
  filament::bench::Options options;
  CLI::App app{"PgBlobStore put/get throughput and RSS"};
  app.add_option("--sizes-kib", options.sizes_kib, "object sizes in KiB")->delimiter(',');
  app.add_option("--clients", options.writers, "concurrent clients per phase")->delimiter(',');
  app.add_option("--mib", options.mib_per_phase,
                 "MiB moved per phase (at least one object "
                 "per client)");
  app.add_flag("--fsync-off", options.fsync_off, "run the cluster with fsync off");
  CLI11_PARSE(app, argc, argv);
  return filament::bench::Run(options);
}
