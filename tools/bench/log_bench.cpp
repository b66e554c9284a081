// log_bench: append throughput and append→consumer latency of the EventLog adapters
// (PostgreSQL durable / non-durable on an embedded cluster, Kafka on the in-process mock).
// Loopback only; every phase is bounded by --seconds; prints Markdown tables.
#include <atomic>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/mock_cluster.hpp"
#include "adapters/postgres/embedded_cluster.hpp"
#include "adapters/postgres/pg_event_log.hpp"
#include "tools/bench/bench_util.hpp"

namespace filament::bench {
namespace {

constexpr int32_t kPartitions = 4;
constexpr std::string_view kStampTag = "bench-ts:";

// One log under test and whatever hosts it; destroys the log before its host.
struct LogUnderTest {
  std::string name;
  std::string dir;
  std::unique_ptr<postgres::EmbeddedCluster> cluster;
  std::unique_ptr<adapters::MockCluster> mock;
  std::unique_ptr<events::EventLog> log;
  std::unique_ptr<events::EventLog> reader_log;  // null: read through `log`
  ~LogUnderTest() {
    reader_log.reset();
    log.reset();
    if (cluster) (void)cluster->Stop();
    cluster.reset();
    mock.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

// --fenced (ADR 0082): the handle is a fenced partition writer that acquired every partition.
void AcquireAll(LogUnderTest& lut) {
  for (int32_t p = 0; p < kPartitions; ++p) {
    (void)Unwrap(lut.log->AcquirePartition(p), "acquire partition");
  }
  lut.name += ", fenced writer";
}

std::unique_ptr<LogUnderTest> OpenPg(bool durable, events::WriterMode mode) {
  auto out = std::make_unique<LogUnderTest>();
  out->name = durable ? "postgres (durable: fsync on" : "postgres (fsync off";
  out->dir = MakeTempDir("filament-logbench-");
  out->cluster = StartMigratedCluster(out->dir, durable);
  out->log = Unwrap(postgres::PgEventLog::Open(out->cluster->ConnectionString(), kPartitions, mode),
                    "open PgEventLog");
  if (mode == events::WriterMode::kFenced) AcquireAll(*out);
  out->name += ")";
  return out;
}

struct KafkaKnobs {
  int linger_ms = 0;  // KafkaLogOptions' default
  int fetch_wait_ms = 20;
  bool remote_reader = false;  // read through a second handle: as a reader in another process
};

std::unique_ptr<LogUnderTest> OpenKafka(const KafkaKnobs& knobs, events::WriterMode mode) {
  auto out = std::make_unique<LogUnderTest>();
  out->name =
      "kafka (librdkafka mock, 3 brokers, linger " + std::to_string(knobs.linger_ms) +
      " ms, fetch wait " + std::to_string(knobs.fetch_wait_ms) + " ms, " +
      (knobs.remote_reader ? "reader in another handle" : "reader in the appender's handle");
  out->mock = Unwrap(adapters::MockCluster::Start(3, "filament.events", kPartitions), "mock");
  adapters::KafkaLogOptions options{.brokers = out->mock->Bootstraps(), .partitions = kPartitions};
  options.linger_ms = knobs.linger_ms;
  options.fetch_wait_max_ms = knobs.fetch_wait_ms;
  if (knobs.remote_reader) {
    out->reader_log = Unwrap(adapters::KafkaEventLog::Open(options), "open reader handle");
  }
  options.writer_mode = mode;
  out->log = Unwrap(adapters::KafkaEventLog::Open(options), "open KafkaEventLog");
  if (mode == events::WriterMode::kFenced) AcquireAll(*out);
  out->name += ")";
  return out;
}

// A MessagePosted in `stream_guild` whose content carries the send time.
events::LogRecord StampedMessage(RecordFactory& factory, const std::string& guild_id,
                                 int64_t version, int64_t stamp_ns) {
  events::MessagePosted posted{.guild_id = guild_id,
                               .channel_id = guild_id,
                               .message_id = factory.NewId(),
                               .author_id = guild_id,
                               .content = std::string(kStampTag) + std::to_string(stamp_ns) +
                                          " hello, **world**, a typical short chat line",
                               .created_at_unix = 1700000000};
  return factory.Make(posted, version, 1700000000000, guild_id);
}

struct ThroughputResult {
  int64_t batches = 0;
  int64_t errors = 0;
  double seconds = 0;
  std::vector<int64_t> append_ns;
  std::string first_error;
};

void AppendLoop(events::EventLog& log, int batch_size, int64_t deadline_ns, ThroughputResult& total,
                std::mutex& mu) {
  RecordFactory factory;
  const std::string guild_id = factory.NewId();
  ThroughputResult mine;
  int64_t version = 0;
  while (NowNs() < deadline_ns) {
    events::AppendBatch batch{"guild:" + guild_id, version, {}};
    for (int i = 0; i < batch_size; ++i) {
      batch.records.push_back(StampedMessage(factory, guild_id, version + i + 1, 0));
    }
    int64_t start = NowNs();
    auto positions = log.Append(batch);
    mine.append_ns.push_back(NowNs() - start);
    if (positions.ok()) {
      version += batch_size;
      ++mine.batches;
    } else {
      if (mine.errors++ == 0) mine.first_error = positions.error().message;
    }
  }
  std::lock_guard lock(mu);
  total.batches += mine.batches;
  total.errors += mine.errors;
  total.append_ns.insert(total.append_ns.end(), mine.append_ns.begin(), mine.append_ns.end());
  if (total.first_error.empty()) total.first_error = mine.first_error;
}

ThroughputResult RunThroughput(events::EventLog& log, int threads, int batch_size, double seconds) {
  ThroughputResult total;
  std::mutex mu;
  int64_t start = NowNs();
  int64_t deadline = start + static_cast<int64_t>(seconds * 1e9);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] { AppendLoop(log, batch_size, deadline, total, mu); });
  }
  for (auto& w : workers) w.join();
  total.seconds = static_cast<double>(NowNs() - start) / 1e9;
  return total;
}

int64_t ParseStamp(const std::string& payload) {
  auto at = payload.find(kStampTag);
  if (at == std::string::npos) return -1;
  const char* begin = payload.data() + at + kStampTag.size();
  int64_t value = -1;
  std::from_chars(begin, payload.data() + payload.size(), value);
  return value;
}

struct LatencyResult {
  std::vector<int64_t> ack_ns;
  std::vector<int64_t> consume_ns;
  int sent = 0;
};

// The reader thread: every stamped record read gives one append→consumer sample.
void ReadStamps(events::LogReader& reader, int expected, int64_t deadline_ns,
                std::vector<int64_t>& out) {
  while (static_cast<int>(out.size()) < expected && NowNs() < deadline_ns) {
    auto records = reader.Poll(500, std::chrono::milliseconds(100));
    int64_t now = NowNs();
    if (!records.ok()) continue;
    for (const auto& r : *records) {
      int64_t stamp = ParseStamp(r.record.payload);
      if (stamp > 0) out.push_back(now - stamp);
    }
  }
}

LatencyResult RunLatency(events::EventLog& log, events::EventLog& reader_log, int count,
                         int rate_per_s) {
  auto ends = Unwrap(log.EndOffsets(), "end offsets");
  std::vector<events::Position> start;
  for (int32_t p = 0; p < static_cast<int32_t>(ends.size()); ++p) start.push_back({p, ends[p]});
  auto reader = Unwrap(reader_log.OpenReader(start), "open reader");
  LatencyResult result;
  int64_t deadline =
      NowNs() + static_cast<int64_t>(count) * 1'000'000'000 / rate_per_s + 15'000'000'000;
  std::thread consumer([&] { ReadStamps(*reader, count, deadline, result.consume_ns); });
  RecordFactory factory;
  const std::string guild_id = factory.NewId();
  const int64_t interval = 1'000'000'000 / rate_per_s;
  int64_t next = NowNs();
  for (int i = 0; i < count; ++i) {
    while (NowNs() < next) std::this_thread::sleep_for(std::chrono::microseconds(100));
    next += interval;
    int64_t stamp = NowNs();
    events::AppendBatch batch{
        "guild:" + guild_id, i, {StampedMessage(factory, guild_id, i + 1, stamp)}};
    auto positions = log.Append(batch);
    if (positions.ok()) result.ack_ns.push_back(NowNs() - stamp);
    ++result.sent;
  }
  consumer.join();
  return result;
}

struct Options {
  double seconds = 3;
  events::WriterMode mode = events::WriterMode::kSingle;
  std::vector<std::string> logs = {"pg-durable", "pg-fast", "kafka"};
  std::vector<int> threads = {1, 8, 32};
  std::vector<int> batches = {1, 10};
  int latency_count = 1000;
  int latency_rate = 200;
  KafkaKnobs kafka;
};

void BenchOne(const std::string& which, const Options& options, Table& throughput, Table& latency) {
  std::cerr << "log_bench: " << which << " ...\n";
  auto lut = which == "kafka" ? OpenKafka(options.kafka, options.mode)
                              : OpenPg(which == "pg-durable", options.mode);
  for (int threads : options.threads) {
    for (int batch : options.batches) {
      auto r = RunThroughput(*lut->log, threads, batch, options.seconds);
      auto s = Summarize(r.append_ns);
      double batches_per_s = static_cast<double>(r.batches) / r.seconds;
      throughput.Add({lut->name, std::to_string(threads), std::to_string(batch),
                      Fixed(batches_per_s, 0), Fixed(batches_per_s * batch, 0), Fixed(s.p50_ms, 2),
                      Fixed(s.p99_ms, 2),
                      std::to_string(r.errors) + (r.errors ? " (" + r.first_error + ")" : "")});
      std::cerr << "  " << threads << "x" << batch << ": " << Fixed(batches_per_s * batch, 0)
                << " records/s\n";
    }
  }
  auto l = RunLatency(*lut->log, lut->reader_log ? *lut->reader_log : *lut->log,
                      options.latency_count, options.latency_rate);
  auto ack = Summarize(l.ack_ns);
  auto e2e = Summarize(l.consume_ns);
  latency.Add({lut->name, std::to_string(options.latency_rate),
               std::to_string(e2e.count) + "/" + std::to_string(l.sent), Fixed(ack.p50_ms, 2),
               Fixed(ack.p99_ms, 2), Fixed(e2e.p50_ms, 2), Fixed(e2e.p99_ms, 2),
               Fixed(e2e.max_ms, 2)});
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) {
  using namespace filament::bench;
  Options options;
  CLI::App app{"EventLog append throughput and append→consumer latency"};
  app.add_option("--seconds", options.seconds, "duration of each throughput cell")
      ->check(CLI::Range(0.2, 60.0));
  app.add_option("--logs", options.logs, "pg-durable, pg-fast, kafka")->delimiter(',');
  app.add_option("--threads", options.threads, "appender counts")->delimiter(',');
  app.add_option("--batches", options.batches, "records per batch")->delimiter(',');
  app.add_option("--latency-count", options.latency_count, "latency samples")
      ->check(CLI::Range(10, 100000));
  app.add_option("--latency-rate", options.latency_rate, "appends/s in the latency test")
      ->check(CLI::Range(1, 100000));
  app.add_option("--kafka-linger-ms", options.kafka.linger_ms, "producer linger.ms")
      ->check(CLI::Range(0, 1000));
  app.add_option("--kafka-fetch-wait-ms", options.kafka.fetch_wait_ms, "fetch.wait.max.ms")
      ->check(CLI::Range(1, 10000));
  app.add_flag("--kafka-remote-reader", options.kafka.remote_reader,
               "latency reader on a second log handle (no local wake-up, ADR 0072)");
  bool fenced = false;
  app.add_flag("--fenced", fenced,
               "append as a fenced partition writer that acquired every partition (ADR 0082)");
  CLI11_PARSE(app, argc, argv);
  if (fenced) options.mode = filament::events::WriterMode::kFenced;

  Table throughput({"log", "appenders", "records/batch", "batches/s", "records/s", "append p50 ms",
                    "append p99 ms", "errors"});
  Table latency({"log", "appends/s", "samples", "ack p50 ms", "ack p99 ms",
                 "append->consumer p50 ms", "p99 ms", "max ms"});
  for (const auto& which : options.logs) BenchOne(which, options, throughput, latency);
  std::cout << "\n### Append throughput (" << options.seconds << " s per cell)\n\n";
  throughput.Print();
  std::cout << "\n### Append -> consumer latency (1 appender, 1-record batches, reader thread)\n\n";
  latency.Print();
  return 0;
}
