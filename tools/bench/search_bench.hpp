#pragma once

// Internal to search_bench: the query workload and the PostgreSQL full-text side.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tools/bench/bench_util.hpp"
#include "tools/bench/search_corpus.hpp"

namespace filament::bench {

enum class QueryKind { kOneWord, kCommonWord, kTwoWords, kPhrase, kPrefix };
inline constexpr QueryKind kQueryKinds[] = {QueryKind::kOneWord, QueryKind::kCommonWord,
                                            QueryKind::kTwoWords, QueryKind::kPhrase,
                                            QueryKind::kPrefix};
std::string KindName(QueryKind kind);

// One query as the search route would run it: scoped to a guild, top 20 by relevance.
struct QueryCase {
  QueryKind kind = QueryKind::kOneWord;
  std::string guild_id;
  std::vector<std::string> words;   // the words (kPrefix: the prefix alone)
  std::string XapianQuery() const;  // in the search query language
};

// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; 0 = self.
double ProcessCpuSeconds(int pid = 0);

std::vector<QueryCase> MakeQueries(const Corpus& corpus, QueryKind kind, size_t count,
                                   uint64_t seed);

struct BuildResult {
  double bulk_seconds = 0;      // first part, large commits (rebuild / replay)
  double bulk_cpu_seconds = 0;  // CPU the indexer spent on it (less noisy than wall time)
  double live_seconds = 0;      // last part, one commit per small batch (following the log)
  size_t bulk_messages = 0;
  size_t live_messages = 0;
  double disk_mib = 0;
};

struct QueryResult {
  LatencySummary latency;
  double mean_hits = 0;
};

// Runs every latency sample through `run` (which returns the number of hits), stopping early
// after `max_seconds`; the first `warmup` cases are run but not measured.
template <typename Run>
QueryResult MeasureQueries(const std::vector<QueryCase>& cases, size_t warmup, double max_seconds,
                           Run&& run) {
  for (size_t i = 0; i < std::min(warmup, cases.size()); ++i) run(cases[i]);
  std::vector<int64_t> samples;
  uint64_t hits = 0;
  const int64_t stop_at = NowNs() + static_cast<int64_t>(max_seconds * 1e9);
  for (const auto& query : cases) {
    int64_t start = NowNs();
    hits += run(query);
    samples.push_back(NowNs() - start);
    if (NowNs() > stop_at) break;
  }
  QueryResult result;
  result.latency = Summarize(samples);
  result.mean_hits = samples.empty() ? 0 : static_cast<double>(hits) / samples.size();
  return result;
}

// PostgreSQL full-text search over the same corpus: tsvector ('simple' config: lower-case,
// no stemming, like the Xapian index) with a GIN index on (guild_id, tsv) (btree_gin).
class PgFts {
 public:
  // Starts an embedded PostgreSQL under `data_dir` and creates the table and index.
  explicit PgFts(const std::string& data_dir);
  ~PgFts();
  BuildResult Load(const std::vector<search::MessageDoc>& messages, size_t live_messages,
                   size_t bulk_batch, size_t live_batch);
  // Runs one query; returns the number of hits (at most 20).
  size_t Run(const QueryCase& query);
  // Latency of `n` one-message transactions (what a POST waits for with read-your-writes).
  LatencySummary CommitLatency(size_t n);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::bench
