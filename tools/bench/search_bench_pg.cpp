// search_bench: the PostgreSQL full-text search side (tsvector + GIN), same corpus and queries.
#include <pqxx/pqxx>

#include "adapters/postgres/embedded_cluster.hpp"
#include "core/ulid.hpp"
#include "tools/bench/search_bench.hpp"

namespace filament::bench {
namespace {

constexpr char kSchema[] = R"sql(
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE TABLE fts_messages (
  message_id text PRIMARY KEY,
  guild_id text NOT NULL,
  channel_id text NOT NULL,
  content text NOT NULL,
  created_at_unix bigint NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED);
CREATE INDEX fts_messages_guild_tsv ON fts_messages USING gin (guild_id, tsv);
)sql";

// Top 20 by ts_rank inside one guild: what the search route needs.
std::string RankedQuery(const std::string& tsquery) {
  return "SELECT message_id FROM fts_messages, " + tsquery +
         " q WHERE guild_id = $1 AND tsv @@ q ORDER BY ts_rank(tsv, q) DESC LIMIT 20";
}

double Seconds(int64_t start_ns) { return static_cast<double>(NowNs() - start_ns) / 1e9; }

}  // namespace

struct PgFts::Impl {
  std::unique_ptr<postgres::EmbeddedCluster> cluster;
  std::unique_ptr<pqxx::connection> conn;

  void Insert(const std::vector<search::MessageDoc>& messages, size_t begin, size_t end) {
    pqxx::work tx(*conn);
    pqxx::stream_to stream(tx, "fts_messages",
                           std::vector<std::string>{"message_id", "guild_id", "channel_id",
                                                    "content", "created_at_unix"});
    for (size_t i = begin; i < end; ++i) {
      const auto& m = messages[i];
      stream << std::make_tuple(m.message_id, m.guild_id, m.channel_id, m.content,
                                static_cast<int64_t>(core::Ulid::Parse(m.message_id)->UnixMs()));
    }
    stream.complete();
    tx.commit();
  }

  // Wall seconds; `cpu` gets the CPU of this process plus its PostgreSQL backend (tsvector
  // parsing and GIN maintenance happen there).
  double Load(const std::vector<search::MessageDoc>& messages, size_t begin, size_t end,
              size_t batch, double* cpu = nullptr) {
    int64_t start = NowNs();
    const double cpu_start = ProcessCpuSeconds() + ProcessCpuSeconds(backend_pid);
    for (size_t i = begin; i < end; i += batch) Insert(messages, i, std::min(end, i + batch));
    if (cpu) *cpu = ProcessCpuSeconds() + ProcessCpuSeconds(backend_pid) - cpu_start;
    return Seconds(start);
  }

  int backend_pid = 0;
};

PgFts::PgFts(const std::string& data_dir) : impl_(std::make_unique<Impl>()) {
  impl_->cluster = Unwrap(postgres::EmbeddedCluster::Start({.data_dir = data_dir, .durable = true}),
                          "start embedded PostgreSQL in " + data_dir);
  impl_->conn = std::make_unique<pqxx::connection>(impl_->cluster->ConnectionString());
  impl_->backend_pid = impl_->conn->backendpid();
  pqxx::work tx(*impl_->conn);
  tx.exec(kSchema);
  tx.commit();
  impl_->conn->prepare("one", RankedQuery("plainto_tsquery('simple', $2)"));
  impl_->conn->prepare("phrase", RankedQuery("phraseto_tsquery('simple', $2)"));
  impl_->conn->prepare("prefix", RankedQuery("to_tsquery('simple', $2 || ':*')"));
}

PgFts::~PgFts() {
  impl_->conn.reset();
  (void)impl_->cluster->Stop();
}

BuildResult PgFts::Load(const std::vector<search::MessageDoc>& messages, size_t live_messages,
                        size_t bulk_batch, size_t live_batch) {
  BuildResult result;
  const size_t split = messages.size() - live_messages;
  result.bulk_messages = split;
  result.live_messages = live_messages;
  result.bulk_seconds = impl_->Load(messages, 0, split, bulk_batch, &result.bulk_cpu_seconds);
  result.live_seconds = impl_->Load(messages, split, messages.size(), live_batch);
  pqxx::work tx(*impl_->conn);
  tx.exec("ANALYZE fts_messages");
  auto size = tx.exec1("SELECT pg_total_relation_size('fts_messages')");
  result.disk_mib = size[0].as<double>() / (1024.0 * 1024.0);
  tx.commit();
  return result;
}

size_t PgFts::Run(const QueryCase& query) {
  std::string text;
  for (const auto& word : query.words) text += (text.empty() ? "" : " ") + word;
  const char* statement = query.kind == QueryKind::kPhrase   ? "phrase"
                          : query.kind == QueryKind::kPrefix ? "prefix"
                                                             : "one";
  pqxx::nontransaction tx(*impl_->conn);
  return tx.exec_prepared(statement, query.guild_id, text).size();
}

LatencySummary PgFts::CommitLatency(size_t n) {
  std::vector<int64_t> samples;
  for (size_t i = 0; i < n; ++i) {
    int64_t start = NowNs();
    pqxx::work tx(*impl_->conn);
    tx.exec_params(
        "INSERT INTO fts_messages (message_id, guild_id, channel_id, content, "
        "created_at_unix) VALUES ($1, 'probe', 'probe', $2, 0)",
        "commit-probe-" + std::to_string(i), "one new message about kafka consumers");
    tx.commit();
    samples.push_back(NowNs() - start);
  }
  return Summarize(samples);
}

}  // namespace filament::bench
