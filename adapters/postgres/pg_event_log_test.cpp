// Registers the PostgreSQL harness for the behavioural log suite
// (tests/integration/event_log_contract.cpp) and tests what is specific to PgEventLog.

#include "adapters/postgres/pg_event_log.hpp"

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "adapters/postgres/pg_codec.hpp"
#include "core/ulid.hpp"
#include "events/testing/log_records.hpp"
#include "tests/integration/event_log_harness.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::postgres {
namespace {

using events::AppendBatch;
using events::testing::OneRecordBatch;
using std::chrono::milliseconds;

class PgHarness final : public testing::EventLogHarness {
 public:
  PgHarness() : conninfo_(testing::CreateMigratedDatabase()) {}
  std::string Name() const override { return "pg"; }
  std::unique_ptr<events::EventLog> Open(int32_t partitions) override {
    auto log = PgEventLog::Open(conninfo_, partitions);
    if (!log.ok()) {
      ADD_FAILURE() << log.error().message;
      return nullptr;
    }
    return std::move(*log);
  }

 private:
  std::string conninfo_;
};

[[maybe_unused]] const bool kRegistered = testing::RegisterEventLogHarness(
    "pg",
    []() -> std::unique_ptr<testing::EventLogHarness> { return std::make_unique<PgHarness>(); });

std::unique_ptr<PgEventLog> MustOpen(const std::string& conninfo, int32_t partitions) {
  auto log = PgEventLog::Open(conninfo, partitions);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
  return log.ok() ? std::move(*log) : nullptr;
}

TEST(PgEventLog, ReopeningWithAnotherPartitionCountFails) {
  std::string db = testing::CreateMigratedDatabase();
  ASSERT_NE(MustOpen(db, 4), nullptr);
  auto again = PgEventLog::Open(db, 8);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(MustOpen(db, 4), nullptr);
}

TEST(PgEventLog, OpeningWithoutTheSchemaFails) {
  auto log = PgEventLog::Open(testing::CreateFreshDatabase(), 4);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, core::ErrorCode::kFailedPrecondition);
}

TEST(PgEventLog, UnreachableServerIsUnavailable) {
  auto log = PgEventLog::Open("host=127.0.0.1 port=1 dbname=x connect_timeout=2", 4);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, core::ErrorCode::kUnavailable);
}

TEST(PgEventLog, TextPostgresCannotStoreIsInvalid) {
  auto log = MustOpen(testing::CreateMigratedDatabase(), 4);
  ASSERT_NE(log, nullptr);
  for (std::string bad : {std::string("{\"a\":\"\xC3\"}"), std::string("{\"a\":\"\0\"}", 9),
                          std::string("\xED\xA0\x80")}) {
    auto result = log->Append(OneRecordBatch("guild:01HBAD", 0, bad));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
  }
}

TEST(PgEventLog, AnyVersionNumbersRecordsFromTheStreamHead) {
  auto log = MustOpen(testing::CreateMigratedDatabase(), 1);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(OneRecordBatch("user:01HANY", 0)).ok());
  AppendBatch any = OneRecordBatch("user:01HANY", AppendBatch::kAnyVersion);
  any.records.push_back(any.records[0]);
  any.records[1].meta.event_id = core::UlidGenerator().Next(1).ToString();
  ASSERT_TRUE(log->Append(any).ok());
  auto reader = log->OpenReader({{0, 0}});
  ASSERT_TRUE(reader.ok());
  auto got = (*reader)->Poll(10, milliseconds(2000));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*got)[i].record.meta.stream_version, int64_t(i) + 1);
}

TEST(PgEventLog, DuplicateEventIdIsInvalid) {
  auto log = MustOpen(testing::CreateMigratedDatabase(), 2);
  ASSERT_NE(log, nullptr);
  AppendBatch first = OneRecordBatch("user:01HDUP1", 0);
  ASSERT_TRUE(log->Append(first).ok());
  AppendBatch second = OneRecordBatch("user:01HDUP2", 0);
  second.records[0].meta.event_id = first.records[0].meta.event_id;
  auto result = log->Append(second);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
}

// Appends `count` records to the one stream of a one-partition log through the append
// function itself, on the caller's session (whose plans the tests shape), expecting the stream
// at `version`; advances `version`.
void AppendThroughSql(pqxx::connection& conn, int64_t& version, int count) {
  pqxx::nontransaction tx(conn);
  auto first = tx.exec_params1(
                     "SELECT filament_log_append(0, 'guild:01HPROBE', $1::bigint, "
                     "ARRAY(SELECT 'probe-' || ($1::bigint + g) FROM generate_series(1, $2) g), "
                     "array_fill('t'::text, ARRAY[$2]), array_fill(1, ARRAY[$2]), "
                     "ARRAY(SELECT $1::bigint + g FROM generate_series(1, $2) g), "
                     "array_fill(0::bigint, ARRAY[$2]), array_fill(''::text, ARRAY[$2]), "
                     "array_fill(''::text, ARRAY[$2]), array_fill(''::text, ARRAY[$2]), "
                     "array_fill('{}'::text, ARRAY[$2]))",
                     version, count)[0]
                   .as<int64_t>();
  ASSERT_EQ(first, version);  // one partition: offsets follow stream versions from 0
  version += count;
}

struct IndexReads {
  int64_t scans = 0;
  int64_t entries = 0;
};

// What the statistics say of `index`; `conn`'s own counters are flushed first.
IndexReads ReadsOf(pqxx::connection& conn, const std::string& index) {
  pqxx::nontransaction tx(conn);
  tx.exec("SELECT pg_stat_force_next_flush()");  // flushed before the session goes idle
  tx.exec("SELECT pg_stat_clear_snapshot()");
  auto row = tx.exec_params1(
      "SELECT idx_scan, idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = $1", index);
  return {row[0].as<int64_t>(), row[1].as<int64_t>()};
}

// What the statistics say of `index` once they count at least `scans` scans more than `before`
// (a reader's session flushes its counters as it exits, a moment after), or after 15 s.
IndexReads ReadsOnceScanned(pqxx::connection& conn, const std::string& index,
                            const IndexReads& before, int64_t scans) {
  auto after = ReadsOf(conn, index);
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
       after.scans < before.scans + scans && std::chrono::steady_clock::now() < deadline;
       after = ReadsOf(conn, index)) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  return after;
}

// The expected-version check reads a couple of index entries, not the stream (ADR 0100). The
// session's plan for the check is made while event_log is one page, as on a fresh server,
// where a max() over the stream was planned as an aggregate over every entry of the stream
// and kept until the table was next analyzed.
TEST(PgEventLog, ExpectedVersionCheckDoesNotReadTheStream) {
  std::string db = testing::CreateMigratedDatabase();
  ASSERT_NE(MustOpen(db, 1), nullptr);
  pqxx::connection conn(db);
  int64_t version = 0;
  for (int i = 0; i < 10; ++i) AppendThroughSql(conn, version, 1);
  for (int i = 0; i < 20; ++i) AppendThroughSql(conn, version, 100);
  const auto before = ReadsOf(conn, "event_log_stream_version_key");
  for (int i = 0; i < 20; ++i) AppendThroughSql(conn, version, 1);
  const int64_t read = ReadsOf(conn, "event_log_stream_version_key").entries - before.entries;
  EXPECT_LE(read, 20 * 2) << "entries read by 20 appends to a stream of ~2 000 records";
  EXPECT_EQ(version, 2030);
}

// One batch of a direct filament_log_append_group call: records are named `ids`, stamped with
// the versions after `expected`.
struct GroupBatch {
  int32_t partition;
  std::string stream;
  int64_t expected;
  std::vector<std::string> ids;
  int64_t epoch = 0;
};

std::string Literal(const std::vector<std::string>& values) {
  return internal::TextArrayLiteral({values.begin(), values.end()});
}

// Calls filament_log_append_group (migration 0062) on `conn`; the verdicts in batch order.
// `fenced` passes the batches' epochs, else NULL.
std::vector<int64_t> AppendGroupThroughSql(pqxx::connection& conn,
                                           const std::vector<GroupBatch>& batches,
                                           bool fenced = false) {
  std::vector<std::string> partitions, epochs, streams, expected, counts, ids, types, schemas,
      versions, times, empties, payloads;
  for (const auto& b : batches) {
    partitions.push_back(std::to_string(b.partition));
    epochs.push_back(std::to_string(b.epoch));
    streams.push_back(b.stream);
    expected.push_back(std::to_string(b.expected));
    counts.push_back(std::to_string(b.ids.size()));
    for (size_t i = 0; i < b.ids.size(); ++i) {
      ids.push_back(b.ids[i]);
      types.push_back("t");
      schemas.push_back("1");
      versions.push_back(std::to_string(b.expected + 1 + static_cast<int64_t>(i)));
      times.push_back("0");
      empties.push_back("");
      payloads.push_back("{}");
    }
  }
  pqxx::nontransaction tx(conn);
  std::vector<int64_t> verdicts;
  for (const auto& row : tx.exec_params(
           "SELECT ord, verdict FROM filament_log_append_group($1::int[], $2::bigint[], "
           "$3::text[], $4::bigint[], $5::int[], $6::text[], $7::text[], $8::int[], "
           "$9::bigint[], $10::bigint[], $11::text[], $11::text[], $11::text[], $12::text[])",
           Literal(partitions), fenced ? std::optional<std::string>(Literal(epochs)) : std::nullopt,
           Literal(streams), Literal(expected), Literal(counts), Literal(ids), Literal(types),
           Literal(schemas), Literal(versions), Literal(times), Literal(empties),
           Literal(payloads))) {
    EXPECT_EQ(row[0].as<size_t>(), verdicts.size() + 1);
    verdicts.push_back(row[1].as<int64_t>());
  }
  return verdicts;
}

std::vector<int64_t> NextOffsets(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  std::vector<int64_t> next;
  for (const auto& row : tx.exec("SELECT next_offset FROM log_partitions ORDER BY partition_id")) {
    next.push_back(row[0].as<int64_t>());
  }
  return next;
}

// The whole-group append (ADR 0114) gives each batch the verdict the per-batch function would:
// a version conflict fails its batch alone and takes no offset; an event_id that exists sends
// the group batch by batch, where only its batch fails; offsets stay dense per partition.
TEST(PgEventLog, WholeGroupAppendGivesEachBatchItsVerdict) {
  std::string db = testing::CreateMigratedDatabase();
  ASSERT_NE(MustOpen(db, 2), nullptr);
  pqxx::connection conn(db);
  EXPECT_EQ(AppendGroupThroughSql(conn, {{0, "guild:A", 0, {"a1", "a2"}},
                                         {0, "guild:B", 3, {"b1"}},  // B is empty: conflict
                                         {1, "guild:C", 0, {"c1"}},
                                         {0, "guild:D", 0, {"d1"}},
                                         {1, "guild:E", 1, {"e1"}}}),  // conflict
            (std::vector<int64_t>{0, -1, 0, 2, -1}));
  EXPECT_EQ(NextOffsets(conn), (std::vector<int64_t>{3, 1}));
  // a1 exists: the group goes batch by batch.
  EXPECT_EQ(AppendGroupThroughSql(conn, {{1, "guild:C", 1, {"c2"}},
                                         {0, "guild:A", 2, {"a1"}},
                                         {0, "guild:D", 1, {"d2", "d3"}},
                                         {0, "guild:B", 0, {"b1"}}}),
            (std::vector<int64_t>{1, -2, 3, 5}));
  EXPECT_EQ(NextOffsets(conn), (std::vector<int64_t>{6, 2}));
  {
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec(
        "SELECT string_agg(event_id || '@' || partition_id || ':' || log_offset || 'v' || "
        "stream_version, ' ' ORDER BY partition_id, log_offset) FROM event_log");
    EXPECT_EQ(rows[0][0].as<std::string>(),
              "a1@0:0v1 a2@0:1v2 d1@0:2v1 d2@0:3v2 d3@0:4v3 b1@0:5v1 c1@1:0v1 c2@1:1v2");
  }
  // Malformed groups are refused whole, before anything is written.
  EXPECT_THROW(AppendGroupThroughSql(conn, {{0, "guild:F", -1, {"f1"}}}), pqxx::sql_error);
  EXPECT_THROW(AppendGroupThroughSql(conn, {{0, "guild:F", 0, {}}}), pqxx::sql_error);
  EXPECT_THROW(AppendGroupThroughSql(conn, {{7, "guild:F", 0, {"f1"}}}), pqxx::sql_error);
  {
    pqxx::nontransaction tx(conn);  // a NULL record column is refused, not inserted as NULLs
    EXPECT_THROW(tx.exec("SELECT * FROM filament_log_append_group('{0}', NULL, '{guild:F}', "
                         "'{0}', '{1}', '{f1}', NULL, '{1}', '{1}', '{0}', '{\"\"}', "
                         "'{\"\"}', '{\"\"}', '{x}')"),
                 pqxx::sql_error);
  }
  EXPECT_EQ(NextOffsets(conn), (std::vector<int64_t>{6, 2}));
  EXPECT_TRUE(AppendGroupThroughSql(conn, {}).empty());
}

// With epochs, a batch whose epoch is not its partition's writer's gets -3 and the others of
// the group are appended.
TEST(PgEventLog, WholeGroupAppendFencesStaleEpochs) {
  std::string db = testing::CreateMigratedDatabase();
  ASSERT_NE(MustOpen(db, 2), nullptr);
  pqxx::connection conn(db);
  {
    pqxx::nontransaction tx(conn);
    tx.exec(
        "SELECT filament_log_acquire(0, 'test'), filament_log_acquire(1, 'test'), "
        "filament_log_acquire(1, 'test')");
  }
  EXPECT_EQ(AppendGroupThroughSql(conn,
                                  {{0, "guild:A", 0, {"a1"}, 1},
                                   {1, "guild:B", 0, {"b1"}, 1},  // partition 1 is at epoch 2
                                   {1, "guild:C", 0, {"c1"}, 2}},
                                  /*fenced=*/true),
            (std::vector<int64_t>{0, -3, 0}));
  EXPECT_EQ(NextOffsets(conn), (std::vector<int64_t>{1, 1}));
}

// The whole-group append probes versions as filament_log_append does (ADR 0100): a couple of
// index entries per batch, whatever plan the session made while the log was small.
TEST(PgEventLog, WholeGroupVersionCheckDoesNotReadTheStream) {
  std::string db = testing::CreateMigratedDatabase();
  ASSERT_NE(MustOpen(db, 1), nullptr);
  pqxx::connection conn(db);
  int64_t version = 0;
  auto append = [&](int count) {
    std::vector<std::string> ids;
    for (int i = 1; i <= count; ++i) ids.push_back("probe-" + std::to_string(version + i));
    ASSERT_EQ(AppendGroupThroughSql(conn, {{0, "guild:01HPROBE", version, ids}}),
              (std::vector<int64_t>{version}));
    version += count;
  };
  auto seq_scans = [&] {
    ReadsOf(conn, "event_log_stream_version_key");  // flushes and clears the statistics
    pqxx::nontransaction tx(conn);
    return tx.exec("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'event_log'")[0][0]
        .as<int64_t>();
  };
  const int64_t seq_before = seq_scans();
  for (int i = 0; i < 10; ++i) append(1);
  for (int i = 0; i < 20; ++i) append(100);
  const auto before = ReadsOf(conn, "event_log_stream_version_key");
  for (int i = 0; i < 20; ++i) append(1);
  const auto after = ReadsOf(conn, "event_log_stream_version_key");
  EXPECT_LE(after.entries - before.entries, 20 * 2)
      << "entries read by 20 appends to a stream of ~2 000 records";
  EXPECT_GE(after.scans - before.scans, 20 * 2) << "two index probes per append";
  EXPECT_EQ(seq_scans(), seq_before) << "a probe scanned the log";
  EXPECT_EQ(version, 2030);
}

// A poll reads at most its limit of entries per partition, whatever plan its session made
// (ADR 0101). The log is not analyzed yet, as a young log or one filled faster than autovacuum
// looks: the planner's default guess is a few rows past the offset, fewer than the limit, so
// the plan read (and sorted) the whole rest of the partition to keep the first of them.
TEST(PgEventLog, APollReadsItsLimitNotTheRestOfThePartition) {
  std::string db = testing::CreateMigratedDatabase();
  auto log = MustOpen(db, 1);
  ASSERT_NE(log, nullptr);
  pqxx::connection conn(db);
  int64_t version = 0;
  while (version < 3100) AppendThroughSql(conn, version, 100);
  const auto before = ReadsOf(conn, "event_log_pkey");
  {
    auto reader = log->OpenReader({{0, 1500}});
    ASSERT_TRUE(reader.ok());
    for (int i = 0; i < 3; ++i) {
      auto got = (*reader)->Poll(100, milliseconds(2000));
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(got->size(), 100u);
      EXPECT_EQ(got->front().position.offset, 1500 + 100 * i);
    }
  }  // the reader's session ends, and flushes its statistics as it exits
  const auto after = ReadsOnceScanned(conn, "event_log_pkey", before, 3);
  ASSERT_GE(after.scans, before.scans + 3) << "the reader's statistics never arrived";
  EXPECT_LE(after.entries - before.entries, 3 * 100)
      << "entries read by 3 polls of 100 from the middle of a 3 100-record partition";
}

// Appends are grouped into one statement (ADR 0107: prepared up to 16 batches, planned each
// time beyond). 64 threads appending at once make groups of every size, both sides of that
// bound; every batch gets its own verdict, and a batch with a taken event id fails alone.
TEST(PgEventLog, GroupsOfEverySizeGiveEachBatchItsVerdict) {
  auto log = MustOpen(testing::CreateMigratedDatabase(), 4);
  ASSERT_NE(log, nullptr);
  AppendBatch taken = OneRecordBatch("user:01HTAKEN", 0);
  ASSERT_TRUE(log->Append(taken).ok());
  constexpr int kThreads = 64, kAppends = 12;
  std::atomic<int> failures{0}, refused{0};
  std::mutex mu;
  std::set<std::pair<int32_t, int64_t>> positions;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string stream = "guild:01HGROUP" + std::to_string(t);
      int64_t version = 0;
      for (int i = 0; i < kAppends; ++i) {
        if (i == 5 && t % 8 == 0) {  // a bad batch in the middle of others' groups
          AppendBatch bad = OneRecordBatch(stream, version, "{\"bad\":true}");
          bad.records[0].meta.event_id = taken.records[0].meta.event_id;
          auto r = log->Append(bad);
          if (r.ok() || r.error().code != core::ErrorCode::kInvalidArgument) ++failures;
          ++refused;
        }
        AppendBatch batch = OneRecordBatch(stream, version, "{\"i\":" + std::to_string(i) + "}");
        auto r = log->Append(batch);
        if (!r.ok() || r->size() != 1) {
          ++failures;
          return;
        }
        ++version;
        std::lock_guard lock(mu);
        if (!positions.insert({(*r)[0].partition, (*r)[0].offset}).second) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(refused.load(), kThreads / 8);
  EXPECT_EQ(positions.size(), static_cast<size_t>(kThreads * kAppends));
  auto ends = log->EndOffsets();
  ASSERT_TRUE(ends.ok());
  int64_t total = 0;
  for (int64_t end : *ends) total += end;
  EXPECT_EQ(total, kThreads * kAppends + 1);  // offsets stay dense: the refused took none
}

// A reader that read to the end of its partitions does not read again until a notification
// says there is more (ADR 0106): one read per record appended while it waits, not a second
// one that finds nothing right after each record. And it is woken by each append, not by the
// 250 ms fallback (20 appends 30 ms apart take ~0.6 s; on the fallback they take > 4 s).
TEST(PgEventLog, AReaderAtTheEndReadsOncePerWakeUp) {
  std::string db = testing::CreateMigratedDatabase();
  auto log = MustOpen(db, 1);
  ASSERT_NE(log, nullptr);
  pqxx::connection conn(db);
  const auto before = ReadsOf(conn, "event_log_pkey");
  constexpr int kRecords = 20;
  auto started = std::chrono::steady_clock::now();
  {
    auto reader = log->OpenReader({{0, 0}});
    ASSERT_TRUE(reader.ok());
    ASSERT_TRUE((*reader)->Poll(10, milliseconds(0)).ok());  // connected, listening, at the end
    std::thread writer([&] {
      for (int i = 0; i < kRecords; ++i) {
        std::this_thread::sleep_for(milliseconds(30));
        ASSERT_TRUE(log->Append(OneRecordBatch("guild:01HWAKE", i)).ok());
      }
    });
    started = std::chrono::steady_clock::now();
    int received = 0;
    for (int polls = 0; received < kRecords && polls < 10 * kRecords; ++polls) {
      auto got = (*reader)->Poll(10, milliseconds(2000));
      ASSERT_TRUE(got.ok());
      for (const auto& r : *got) EXPECT_EQ(r.position.offset, received++);
    }
    writer.join();
    EXPECT_EQ(received, kRecords);
  }  // the reader's session ends, and flushes its statistics as it exits
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const int64_t reads =
      ReadsOnceScanned(conn, "event_log_pkey", before, kRecords).scans - before.scans;
  EXPECT_GE(reads, kRecords);
  // Each record once, plus the first read and a few whose notification came for a record an
  // earlier read already had; reading again after each record would be ~2 × kRecords.
  EXPECT_LE(reads, kRecords + kRecords / 4) << "reads for " << kRecords << " records";
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(PgEventLog, UndecodableRowIsReturnedWithDecodeError) {
  std::string db = testing::CreateMigratedDatabase();
  auto log = MustOpen(db, 4);
  ASSERT_NE(log, nullptr);
  int32_t wrong = (events::PartitionFor("guild:01HODD", 4) + 1) % 4;
  {
    pqxx::connection conn(db);
    pqxx::work tx(conn);
    tx.exec_params("UPDATE log_partitions SET next_offset = 1 WHERE partition_id = $1", wrong);
    tx.exec_params(
        "INSERT INTO event_log (partition_id, log_offset, event_id, type, "
        "schema_version, stream, stream_version, time_unix_ms, actor_user_id, "
        "correlation_id, causation_id, payload) VALUES "
        "($1, 0, 'e1', '', 1, 'guild:01HODD', 1, 0, '', '', '', '{}')",
        wrong);
    tx.commit();
  }
  auto reader = log->OpenReader({{wrong, 0}});
  ASSERT_TRUE(reader.ok());
  auto got = (*reader)->Poll(10, milliseconds(2000));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].position, (events::Position{wrong, 0}));
  ASSERT_TRUE((*got)[0].decode_error.has_value());
  EXPECT_EQ((*got)[0].record.meta.stream, "guild:01HODD");
}

TEST(PgEventLog, BrokenConnectionsAreUnavailableThenReconnect) {
  std::string db = testing::CreateMigratedDatabase();
  auto log = MustOpen(db, 1);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(OneRecordBatch("user:01HRECON", 0)).ok());
  auto reader = log->OpenReader({{0, 0}});
  ASSERT_TRUE(reader.ok());
  ASSERT_EQ((*reader)->Poll(10, milliseconds(2000))->size(), 1u);
  {
    pqxx::connection admin(db);
    pqxx::nontransaction(admin).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  }
  auto append = log->Append(OneRecordBatch("user:01HRECON", 1));
  if (!append.ok()) {
    EXPECT_EQ(append.error().code, core::ErrorCode::kUnavailable);
    append = log->Append(OneRecordBatch("user:01HRECON", 1));
  }
  ASSERT_TRUE(append.ok()) << append.error().message;
  auto polled = (*reader)->Poll(10, milliseconds(2000));
  if (!polled.ok()) {
    EXPECT_EQ(polled.error().code, core::ErrorCode::kUnavailable);
    polled = (*reader)->Poll(10, milliseconds(2000));
  }
  ASSERT_TRUE(polled.ok()) << polled.error().message;
  ASSERT_EQ(polled->size(), 1u);
  EXPECT_EQ((*polled)[0].position.offset, 1);
}

}  // namespace
}  // namespace filament::postgres
