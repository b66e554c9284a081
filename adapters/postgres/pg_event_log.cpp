#include "adapters/postgres/pg_event_log.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "adapters/postgres/pg_codec.hpp"
#include "adapters/postgres/pg_connection.hpp"
#include "adapters/postgres/pg_log_reader.hpp"
#include "core/blocking.hpp"
#include "core/thread_name.hpp"

namespace filament::postgres {
namespace {

using internal::LazyConnection;

constexpr int32_t kMaxPartitions = 1024;
// Bounds of one group commit: enough to amortise the commit, small enough to keep latency low.
constexpr size_t kMaxBatchesPerCommit = 512;
constexpr size_t kMaxRecordsPerCommit = 20'000;
constexpr size_t kMaxBytesPerCommit = 16 << 20;
// Groups of up to this many batches run as prepared statements (one per size and mode on the
// appending connection); larger ones, which come only under load, are planned each time.
constexpr size_t kPreparedGroupSizes = 16;

core::Error Precondition(std::string message) {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, std::move(message));
}

core::Error Fenced(std::string message) {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, "fenced: " + std::move(message),
                         events::kPartitionFencedReason);
}

// filament_log_append_owned's verdict for an append whose epoch is not the partition's.
constexpr int64_t kFencedVerdict = -3;

// One caller's batch, encoded by the caller's thread, waiting for the appender's verdict.
struct PendingAppend {
  int32_t partition = 0;
  int64_t epoch = 0;  // the writer epoch it was appended under (WriterMode::kFenced only)
  const events::AppendBatch* batch = nullptr;
  // The statement parameters of its VALUES row, as text: partition, [epoch,] stream, expected
  // version, then the nine column arrays as array literals.
  std::vector<std::string> params;
  size_t bytes = 0;  // of `params`
  std::optional<core::Result<std::vector<events::Position>>> result;
};

std::vector<std::string> EncodeParams(int32_t partition, std::optional<int64_t> epoch,
                                      const events::AppendBatch& batch) {
  std::vector<std::string_view> ids, types, actors, correlations, causations, payloads;
  std::vector<int64_t> schema_versions, stream_versions, times;
  for (const auto& r : batch.records) {
    ids.push_back(r.meta.event_id);
    types.push_back(r.meta.type);
    schema_versions.push_back(r.meta.schema_version);
    stream_versions.push_back(r.meta.stream_version);
    times.push_back(r.meta.time_unix_ms);
    actors.push_back(r.meta.actor_user_id);
    correlations.push_back(r.meta.correlation_id);
    causations.push_back(r.meta.causation_id);
    payloads.push_back(r.payload);
  }
  using internal::IntArrayLiteral;
  using internal::TextArrayLiteral;
  std::vector<std::string> params;
  params.reserve(epoch ? 14 : 13);
  params.push_back(std::to_string(partition));
  if (epoch) params.push_back(std::to_string(*epoch));
  params.push_back(batch.stream);
  params.push_back(std::to_string(batch.expected_version));
  params.push_back(TextArrayLiteral(ids));
  params.push_back(TextArrayLiteral(types));
  params.push_back(IntArrayLiteral(schema_versions));
  params.push_back(IntArrayLiteral(stream_versions));
  params.push_back(IntArrayLiteral(times));
  params.push_back(TextArrayLiteral(actors));
  params.push_back(TextArrayLiteral(correlations));
  params.push_back(TextArrayLiteral(causations));
  params.push_back(TextArrayLiteral(payloads));
  return params;
}

// One statement for the whole group, so a group costs one round trip and one (implicit)
// transaction. Each call is its own subtransaction inside filament_log_append; volatile
// calls are evaluated after the sort, i.e. in `ord` order (ascending partition). A fenced
// writer's rows carry the epoch and go through filament_log_append_owned (migration 0058).
// The rows are parameters, not literals: PostgreSQL does not scan the payloads as SQL text,
// and a group of up to kPreparedGroupSizes batches is a prepared statement, parsed and planned
// once per connection (ADR 0107).
std::string GroupSql(size_t batches, bool fenced) {
  std::string sql = fenced ? "SELECT v.ord, filament_log_append_owned(v.p, v.ep, "
                           : "SELECT v.ord, filament_log_append(v.p, ";
  sql += "v.s, v.e, v.c0, v.c1, v.c2, v.c3, v.c4, v.c5, v.c6, v.c7, v.c8) FROM (VALUES ";
  std::vector<const char*> types = {"int"};
  if (fenced) types.push_back("bigint");
  types.insert(types.end(), {"text", "bigint", "text[]", "text[]", "int[]", "bigint[]", "bigint[]",
                             "text[]", "text[]", "text[]", "text[]"});
  size_t n = 0;
  for (size_t i = 0; i < batches; ++i) {
    sql += i == 0 ? "(" : ",(";
    sql += std::to_string(i);
    for (const char* type : types) {
      sql += ",$";
      sql += std::to_string(++n);
      sql += "::";
      sql += type;
    }
    sql += ")";
  }
  return sql +
         (fenced ? ") AS v(ord, p, ep, s, e, c0, c1, c2, c3, c4, c5, c6, c7, c8)"
                 : ") AS v(ord, p, s, e, c0, c1, c2, c3, c4, c5, c6, c7, c8)") +
         " ORDER BY v.ord";
}

// The name and text of the prepared statement for a group of `batches` (1..kPreparedGroupSizes),
// built once per process rather than at every commit.
struct PreparedGroup {
  std::string name;
  std::string sql;
};
const PreparedGroup& PreparedGroupFor(size_t batches, bool fenced) {
  static const auto kTable = [] {
    std::array<std::array<PreparedGroup, kPreparedGroupSizes>, 2> table;
    for (int f = 0; f < 2; ++f) {
      for (size_t n = 1; n <= kPreparedGroupSizes; ++n) {
        table[f][n - 1] = {
            std::string(f == 1 ? "filament_log_append_owned_" : "filament_log_append_") +
                std::to_string(n),
            GroupSql(n, f == 1)};
      }
    }
    return table;
  }();
  return kTable[fenced ? 1 : 0][batches - 1];
}

// filament_log_append_group (migration 0062, ADR 0114) takes a group whose batches all check
// their expected version and name distinct streams: the whole group in one call. Other groups
// (kAnyVersion batches, a stream twice: tools and tests) call filament_log_append per batch.
bool WholeGroupAppendable(const std::vector<PendingAppend*>& group) {
  std::vector<std::string_view> streams;
  streams.reserve(group.size());
  for (const PendingAppend* p : group) {
    if (p->batch->expected_version < 0) return false;
    streams.push_back(p->batch->stream);
  }
  std::sort(streams.begin(), streams.end());
  return std::adjacent_find(streams.begin(), streams.end()) == streams.end();
}

constexpr const char* kWholeGroupSql =
    "SELECT ord, verdict FROM filament_log_append_group($1::int[], NULL::bigint[], $2::text[], "
    "$3::bigint[], $4::int[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::bigint[], "
    "$10::text[], $11::text[], $12::text[], $13::text[]) ORDER BY ord";
constexpr const char* kWholeGroupFencedSql =
    "SELECT ord, verdict FROM filament_log_append_group($1::int[], $2::bigint[], $3::text[], "
    "$4::bigint[], $5::int[], $6::text[], $7::text[], $8::int[], $9::bigint[], $10::bigint[], "
    "$11::text[], $12::text[], $13::text[], $14::text[]) ORDER BY ord";

// The parameters of kWholeGroup(Fenced)Sql: the per-batch arrays (partition, [epoch,] stream,
// expected version, record count), then each record column of every batch in group order,
// joined from the batches' own array literals (each batch has at least one record).
std::vector<std::string> WholeGroupParams(const std::vector<PendingAppend*>& group, bool fenced) {
  std::vector<int64_t> partitions, epochs, expected, counts;
  std::vector<std::string_view> streams;
  for (const PendingAppend* p : group) {
    partitions.push_back(p->partition);
    epochs.push_back(p->epoch);
    streams.push_back(p->batch->stream);
    expected.push_back(p->batch->expected_version);
    counts.push_back(static_cast<int64_t>(p->batch->records.size()));
  }
  using internal::IntArrayLiteral;
  std::vector<std::string> params;
  params.push_back(IntArrayLiteral(partitions));
  if (fenced) params.push_back(IntArrayLiteral(epochs));
  params.push_back(internal::TextArrayLiteral(streams));
  params.push_back(IntArrayLiteral(expected));
  params.push_back(IntArrayLiteral(counts));
  const size_t first_column = fenced ? 4 : 3;  // of PendingAppend::params
  for (size_t column = first_column; column < first_column + 9; ++column) {
    size_t size = 2;
    for (const PendingAppend* p : group) size += p->params[column].size();
    std::string joined;
    joined.reserve(size);
    joined.push_back('{');
    for (const PendingAppend* p : group) {
      const std::string& literal = p->params[column];  // "{...}", never "{}"
      if (joined.size() > 1) joined.push_back(',');
      joined.append(literal, 1, literal.size() - 2);
    }
    joined.push_back('}');
    params.push_back(std::move(joined));
  }
  return params;
}

core::Result<std::vector<events::Position>> Verdict(const PendingAppend& p, int64_t first) {
  if (first == kFencedVerdict) {
    return Fenced("partition " + std::to_string(p.partition) + " is no longer owned at epoch " +
                  std::to_string(p.epoch));
  }
  if (first == -1) {
    return core::Aborted("stream " + p.batch->stream + " is not at expected version " +
                         std::to_string(p.batch->expected_version));
  }
  if (first < 0) return core::InvalidArgument("an event_id of the batch already exists");
  std::vector<events::Position> positions;
  for (size_t i = 0; i < p.batch->records.size(); ++i) {
    positions.push_back({p.partition, first + static_cast<int64_t>(i)});
  }
  return positions;
}

core::Status Configure(pqxx::connection& conn, int32_t partitions, events::WriterMode mode) {
  pqxx::work tx(conn);
  bool exists = tx.exec(
                      "SELECT to_regclass('event_log') IS NOT NULL AND "
                      "to_regprocedure('filament_log_append(int,text,bigint,text[],text[],"
                      "int[],bigint[],bigint[],text[],text[],text[],text[])') IS NOT NULL AND "
                      "to_regprocedure('filament_log_append_group(int[],bigint[],text[],"
                      "bigint[],int[],text[],text[],int[],bigint[],bigint[],text[],text[],"
                      "text[],text[])') IS NOT NULL")[0][0]
                    .as<bool>();
  if (exists && mode == events::WriterMode::kFenced) {
    exists = tx.exec(
                   "SELECT to_regprocedure('filament_log_append_owned(int,bigint,text,bigint,"
                   "text[],text[],int[],bigint[],bigint[],text[],text[],text[],text[])') IS NOT "
                   "NULL AND to_regprocedure('filament_log_acquire(int,text)') IS NOT NULL")[0][0]
                 .as<bool>();
  }
  if (!exists) return Precondition("event log schema missing: apply migrations first");
  tx.exec_params("INSERT INTO log_config (partitions) VALUES ($1) ON CONFLICT DO NOTHING",
                 partitions);
  auto recorded = tx.exec("SELECT partitions FROM log_config")[0][0].as<int32_t>();
  if (recorded != partitions) {
    return Precondition("the log has " + std::to_string(recorded) + " partitions, not " +
                        std::to_string(partitions));
  }
  tx.exec_params(
      "INSERT INTO log_partitions (partition_id) SELECT generate_series(0, $1 - 1) "
      "ON CONFLICT DO NOTHING",
      partitions);
  tx.commit();
  return core::OkStatus();
}

}  // namespace

struct PgEventLog::Impl {
  Impl(std::string conninfo_in, int32_t partitions_in, events::WriterMode mode_in)
      : conninfo(std::move(conninfo_in)),
        partitions(partitions_in),
        fenced(mode_in == events::WriterMode::kFenced),
        epochs(new std::atomic<int64_t>[static_cast<size_t>(partitions_in)]),
        append_conn(conninfo),
        query_conn(conninfo) {
    for (int32_t p = 0; p < partitions; ++p) epochs[static_cast<size_t>(p)] = 0;
  }

  void Run();
  void CommitGroup(const std::vector<PendingAppend*>& group);
  bool ResolveInDoubt(const std::vector<PendingAppend*>& group, int old_backend,
                      std::vector<core::Result<std::vector<events::Position>>>& verdicts);
  std::vector<PendingAppend*> TakeGroup();
  void ForgetEpoch(const PendingAppend& p) {
    int64_t expected = p.epoch;  // unless this handle re-acquired meanwhile
    epochs[static_cast<size_t>(p.partition)].compare_exchange_strong(expected, 0);
  }

  const std::string conninfo;
  const int32_t partitions;
  const bool fenced;  // WriterMode::kFenced
  // Per partition: the epoch this handle acquired, 0 when not owned (or lost to a later acquire).
  std::unique_ptr<std::atomic<int64_t>[]> epochs;
  LazyConnection append_conn;  // appender thread only
  std::mutex query_mu;         // guards query_conn
  LazyConnection query_conn;

  std::mutex mu;  // guards queue, stopping and every PendingAppend::result
  std::condition_variable work_cv;
  std::condition_variable done_cv;
  std::deque<PendingAppend*> queue;
  bool stopping = false;
  std::thread appender;
};

std::vector<PendingAppend*> PgEventLog::Impl::TakeGroup() {
  std::vector<PendingAppend*> group;
  size_t records = 0, bytes = 0;
  while (!queue.empty() && group.size() < kMaxBatchesPerCommit) {
    size_t more_records = queue.front()->batch->records.size();
    size_t more_bytes = queue.front()->bytes;
    bool fits =
        records + more_records <= kMaxRecordsPerCommit && bytes + more_bytes <= kMaxBytesPerCommit;
    if (!group.empty() && !fits) break;
    records += more_records;
    bytes += more_bytes;
    group.push_back(queue.front());
    queue.pop_front();
  }
  return group;
}

void PgEventLog::Impl::Run() {
  std::unique_lock lock(mu);
  while (true) {
    work_cv.wait(lock, [&] { return stopping || !queue.empty(); });
    if (stopping) break;
    std::vector<PendingAppend*> group = TakeGroup();
    lock.unlock();
    // Lock partition rows in ascending order in every process, so groups cannot deadlock.
    std::stable_sort(group.begin(), group.end(),
                     [](auto* a, auto* b) { return a->partition < b->partition; });
    CommitGroup(group);
    lock.lock();
    done_cv.notify_all();
  }
  for (PendingAppend* p : queue) p->result = core::Unavailable("event log closed");
  queue.clear();
  done_cv.notify_all();
}

void PgEventLog::Impl::CommitGroup(const std::vector<PendingAppend*>& group) {
  auto conn = append_conn.Get();
  std::vector<core::Result<std::vector<events::Position>>> verdicts;
  if (!conn.ok()) {
    verdicts.assign(group.size(), conn.error());
  } else {
    const int backend = (*conn)->backendpid();
    try {
      // Validated text holds no NUL, so each parameter passes as its C string.
      std::vector<const char*> params;
      const bool whole = WholeGroupAppendable(group);
      std::vector<std::string> whole_params;
      if (whole) {
        whole_params = WholeGroupParams(group, fenced);
        for (const std::string& param : whole_params) params.push_back(param.c_str());
      } else {
        for (const PendingAppend* p : group) {
          for (const std::string& param : p->params) params.push_back(param.c_str());
        }
      }
      pqxx::nontransaction tx(**conn);
      pqxx::result rows;
      const size_t first_ord = whole ? 1 : 0;
      if (whole) {
        const char* name = fenced ? "filament_log_append_group_owned" : "filament_log_append_group";
        (*conn)->prepare(name, fenced ? kWholeGroupFencedSql : kWholeGroupSql);
        rows = tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(params));
      } else if (group.size() <= kPreparedGroupSizes) {
        const PreparedGroup& prepared = PreparedGroupFor(group.size(), fenced);
        (*conn)->prepare(prepared.name, prepared.sql);  // once per connection; then a lookup
        rows = tx.exec_prepared(prepared.name, pqxx::prepare::make_dynamic_params(params));
      } else {
        rows = tx.exec_params(GroupSql(group.size(), fenced),
                              pqxx::prepare::make_dynamic_params(params));
      }
      if (rows.size() != group.size())
        throw std::runtime_error("append returned a wrong row count");
      for (size_t i = 0; i < group.size(); ++i) {
        if (rows[i][0].as<size_t>() != i + first_ord) {
          throw std::runtime_error("append rows out of order");
        }
        verdicts.push_back(Verdict(*group[i], rows[i][1].as<int64_t>()));
        if (rows[i][1].as<int64_t>() == kFencedVerdict) ForgetEpoch(*group[i]);
      }
    } catch (const std::exception& e) {
      core::Error error = append_conn.Fail(e, "append");
      if (error.code != core::ErrorCode::kUnavailable && group.size() > 1) {
        // Not the connection: one batch is bad. Retry alone so only that batch fails.
        for (PendingAppend* p : group) CommitGroup({p});
        return;
      }
      verdicts.clear();
      if (error.code != core::ErrorCode::kUnavailable ||
          !ResolveInDoubt(group, backend, verdicts)) {
        verdicts.assign(group.size(), error);
      }
    }
  }
  std::lock_guard lock(mu);
  for (size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(verdicts[i]);
}

// The connection broke while the group's statement ran: it may have committed. Once the old
// backend is gone its transaction is decided, so looking the batches up tells which were
// written; the others were not (kUnavailable: retry). False when that cannot be established.
bool PgEventLog::Impl::ResolveInDoubt(
    const std::vector<PendingAppend*>& group, int old_backend,
    std::vector<core::Result<std::vector<events::Position>>>& verdicts) {
  auto conn = append_conn.Get();
  if (!conn.ok()) return false;
  try {
    pqxx::nontransaction tx(**conn);
    for (int attempt = 0;; ++attempt) {
      auto alive = tx.exec_params("SELECT 1 FROM pg_stat_activity WHERE pid = $1", old_backend);
      if (alive.empty()) break;
      if (attempt == 50) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::vector<std::string_view> ids;
    for (PendingAppend* p : group) ids.push_back(p->batch->records[0].meta.event_id);
    std::map<std::string, std::pair<std::string, int64_t>> found;  // event_id -> stream, offset
    for (const auto& row : tx.exec_params("SELECT event_id, stream, log_offset FROM event_log "
                                          "WHERE event_id = ANY($1::text[])",
                                          internal::TextArrayLiteral(ids))) {
      found[row[0].as<std::string>()] = {row[1].as<std::string>(), row[2].as<int64_t>()};
    }
    for (PendingAppend* p : group) {
      auto it = found.find(p->batch->records[0].meta.event_id);
      bool written = it != found.end() && it->second.first == p->batch->stream;
      verdicts.push_back(written ? Verdict(*p, it->second.second)
                                 : core::Unavailable("append not written: connection lost"));
    }
    return true;
  } catch (const std::exception& e) {
    append_conn.Fail(e, "resolve append");
    verdicts.clear();
    return false;
  }
}

core::Result<std::unique_ptr<PgEventLog>> PgEventLog::Open(const std::string& conninfo,
                                                           int32_t partitions,
                                                           events::WriterMode mode) {
  if (partitions < 1 || partitions > kMaxPartitions) {
    return core::InvalidArgument("partitions must be in 1.." + std::to_string(kMaxPartitions));
  }
  auto impl = std::make_unique<Impl>(conninfo, partitions, mode);
  {
    auto conn = impl->query_conn.Get();
    if (!conn.ok()) return conn.error();
    try {
      FILAMENT_RETURN_IF_ERROR(Configure(**conn, partitions, mode));
    } catch (const std::exception& e) {
      return impl->query_conn.Fail(e, "open event log");
    }
  }
  Impl* raw = impl.get();
  impl->appender = core::NamedThread("log-appender", [raw] { raw->Run(); });
  return std::unique_ptr<PgEventLog>(new PgEventLog(std::move(impl)));
}

PgEventLog::PgEventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PgEventLog::~PgEventLog() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->work_cv.notify_all();
  impl_->appender.join();
}

int32_t PgEventLog::Partitions() const { return impl_->partitions; }

core::Result<std::vector<events::Position>> PgEventLog::Append(const events::AppendBatch& batch) {
  FILAMENT_RETURN_IF_ERROR(internal::ValidateBatch(batch));
  PendingAppend pending;
  pending.partition = events::PartitionFor(batch.stream, impl_->partitions);
  pending.batch = &batch;
  std::optional<int64_t> epoch;
  if (impl_->fenced) {
    pending.epoch = impl_->epochs[static_cast<size_t>(pending.partition)].load();
    if (pending.epoch == 0) {
      return Fenced("partition " + std::to_string(pending.partition) +
                    " is not owned by this writer");
    }
    epoch = pending.epoch;
  }
  pending.params = EncodeParams(pending.partition, epoch, batch);
  for (const auto& param : pending.params) pending.bytes += param.size();
  const core::ScopedBlocking waiting;  // for the appender's commit (ADR 0113)
  std::unique_lock lock(impl_->mu);
  if (impl_->stopping) return core::Unavailable("event log closed");
  impl_->queue.push_back(&pending);
  impl_->work_cv.notify_one();
  impl_->done_cv.wait(lock, [&] { return pending.result.has_value(); });
  return std::move(*pending.result);
}

core::Result<int64_t> PgEventLog::AcquirePartition(int32_t partition) {
  if (partition < 0 || partition >= impl_->partitions) {
    return core::InvalidArgument("no partition " + std::to_string(partition));
  }
  if (!impl_->fenced) return Precondition("acquire needs a log opened as a fenced writer");
  std::lock_guard lock(impl_->query_mu);
  auto conn = impl_->query_conn.Get();
  if (!conn.ok()) return conn.error();
  try {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    pqxx::work tx(**conn);
    auto epoch = tx.exec_params1("SELECT filament_log_acquire($1, $2)", partition,
                                 std::to_string(getpid()) + "@" + host)[0]
                     .as<int64_t>();
    tx.commit();
    impl_->epochs[static_cast<size_t>(partition)] = epoch;
    return epoch;
  } catch (const std::exception& e) {
    // A lost commit may still have bumped the epoch: then this handle is fenced too until it
    // acquires again, which is safe.
    return impl_->query_conn.Fail(e, "acquire partition");
  }
}

core::Result<std::unique_ptr<events::LogReader>> PgEventLog::OpenReader(
    const std::vector<events::Position>& start) {
  std::vector<bool> seen(static_cast<size_t>(impl_->partitions), false);
  for (const auto& p : start) {
    if (p.partition < 0 || p.partition >= impl_->partitions || p.offset < 0 ||
        seen[static_cast<size_t>(p.partition)]) {
      return core::InvalidArgument("bad reader start " + events::FormatPosition(p));
    }
    seen[static_cast<size_t>(p.partition)] = true;
  }
  return std::unique_ptr<events::LogReader>(
      std::make_unique<internal::PgLogReader>(impl_->conninfo, impl_->partitions, start));
}

core::Result<std::vector<int64_t>> PgEventLog::EndOffsets() {
  std::lock_guard lock(impl_->query_mu);
  auto conn = impl_->query_conn.Get();
  if (!conn.ok()) return conn.error();
  try {
    pqxx::nontransaction tx(**conn);
    auto rows = tx.exec("SELECT partition_id, next_offset FROM log_partitions ORDER BY 1");
    std::vector<int64_t> ends;
    for (const auto& row : rows) {
      if (row[0].as<int32_t>() != static_cast<int32_t>(ends.size())) break;
      ends.push_back(row[1].as<int64_t>());
    }
    if (ends.size() != static_cast<size_t>(impl_->partitions)) {
      return core::Internal("log_partitions does not match the partition count");
    }
    return ends;
  } catch (const std::exception& e) {
    return impl_->query_conn.Fail(e, "end offsets");
  }
}

}  // namespace filament::postgres
