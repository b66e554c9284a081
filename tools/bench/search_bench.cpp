// search_bench: the search index (adapters/search, Xapian) against PostgreSQL full-text search
// (tsvector + GIN) on the same generated corpus, in the same run: index build rate, then
// p50/p99 latency of one-word, two-word, phrase and prefix queries scoped to a guild, top 20
// by relevance (what GET /guilds/{id}/search runs). `--small` is a seconds-long smoke run that
// also checks both engines return the same hits (CTest search_bench_smoke).
#include "tools/bench/search_bench.hpp"

#include <filesystem>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "adapters/search/search_index.hpp"

namespace filament::bench {
namespace {

struct Options {
  CorpusOptions corpus;
  size_t live_messages = 20'000;  // indexed last, one commit per `live_batch`
  size_t bulk_batch = 5000;
  size_t live_batch = 128;
  bool bulk_fsync = false;  // true: fsync every bulk commit (what rebuilds did before ADR 0046)
  size_t queries = 500;     // per kind
  double max_seconds_per_kind = 60;
  bool pg = true;
  bool small = false;
  std::string dir;  // empty = temporary, removed at the end
};

double DirMiB(const std::string& dir) {
  uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void IndexRange(search::SearchIndex& index, const std::vector<search::MessageDoc>& messages,
                size_t begin, size_t end, size_t batch) {
  for (size_t i = begin; i < end; ++i) {
    CheckOk(index.Upsert(messages[i]), "upsert");
    if ((i + 1 - begin) % batch == 0 || i + 1 == end) {
      CheckOk(index.Commit({static_cast<int64_t>(i + 1)}), "commit");
    }
  }
}

BuildResult BuildXapian(search::SearchIndex& index, const Options& o, const Corpus& corpus) {
  BuildResult result;
  const size_t split = corpus.messages.size() - o.live_messages;
  result.bulk_messages = split;
  result.live_messages = o.live_messages;
  int64_t start = NowNs();
  double cpu = ProcessCpuSeconds();
  IndexRange(index, corpus.messages, 0, split, o.bulk_batch);
  CheckOk(index.StartSyncing(), "sync");  // a rebuild's one fsync before it goes live
  result.bulk_seconds = static_cast<double>(NowNs() - start) / 1e9;
  result.bulk_cpu_seconds = ProcessCpuSeconds() - cpu;
  start = NowNs();
  IndexRange(index, corpus.messages, split, corpus.messages.size(), o.live_batch);
  result.live_seconds = static_cast<double>(NowNs() - start) / 1e9;
  result.disk_mib = DirMiB(index.Dir());
  return result;
}

// Hits per query (for the cross-check) and the measured latencies.
struct EngineRun {
  QueryResult result;
  std::vector<size_t> hits;
  size_t errors = 0;
};

template <typename Run>
EngineRun RunKind(const std::vector<QueryCase>& cases, const Options& o, Run&& run) {
  EngineRun out;
  out.result = MeasureQueries(cases, std::min<size_t>(50, cases.size()), o.max_seconds_per_kind,
                              [&](const QueryCase& q) {
                                size_t hits = run(q, out.errors);
                                out.hits.push_back(hits);
                                return hits;
                              });
  return out;
}

size_t XapianHits(search::SearchIndex& index, const QueryCase& q, size_t& errors) {
  auto found = index.Query(search::SearchRequest{.guild_id = q.guild_id,
                                                 .query = q.XapianQuery(),
                                                 .limit = 20,
                                                 .budget = std::chrono::milliseconds(200)});
  if (!found.ok()) {
    ++errors;
    return 0;
  }
  return found->size();
}

void PrintBuild(Table& table, const std::string& engine, const BuildResult& b) {
  auto rate = [](size_t n, double s) { return Fixed(s > 0 ? static_cast<double>(n) / s : 0, 0); };
  table.Add({engine, Fixed(b.bulk_seconds, 1), rate(b.bulk_messages, b.bulk_seconds),
             Fixed(b.bulk_cpu_seconds, 1), rate(b.bulk_messages, b.bulk_cpu_seconds),
             rate(b.live_messages, b.live_seconds), Fixed(b.disk_mib, 0)});
}

// Latency of `n` commits of one message each: what a message POST waits for.
LatencySummary XapianCommitLatency(search::SearchIndex& index, size_t n, const std::string& tag) {
  std::vector<int64_t> samples;
  for (size_t i = 0; i < n; ++i) {
    int64_t start = NowNs();
    CheckOk(index.Upsert({"commit-probe-" + tag + std::to_string(i), "probe", "probe",
                          "one new message about kafka consumers"}),
            "upsert");
    CheckOk(index.Commit({static_cast<int64_t>(i)}), "commit");
    samples.push_back(NowNs() - start);
  }
  return Summarize(samples);
}

// Reopens `index` without fsync for the second measurement (same index, same size).
void PrintCommitLatency(std::unique_ptr<search::SearchIndex>& index, PgFts* pg, size_t n) {
  Table table({"one-message commit", "n", "p50 ms", "p99 ms"});
  auto add = [&](const std::string& what, const LatencySummary& l) {
    table.Add({what, std::to_string(l.count), Fixed(l.p50_ms, 2), Fixed(l.p99_ms, 2)});
  };
  add("Xapian, fsync (default)", XapianCommitLatency(*index, n, "a"));
  const std::string dir = index->Dir();
  index.reset();
  index = Unwrap(search::SearchIndex::Open(dir, search::SearchIndex::Mode::kReadWrite, false),
                 "reopen index");
  add("Xapian, fsync off", XapianCommitLatency(*index, n, "b"));
  if (pg != nullptr) add("PostgreSQL (synchronous_commit on)", pg->CommitLatency(n));
  table.Print();
}

// Same hits (capped at 20) from both engines for every query whose semantics agree.
int CrossCheck(QueryKind kind, const EngineRun& xapian, const EngineRun& pg) {
  if (kind == QueryKind::kPrefix) return 0;  // Xapian keeps the 64 most frequent completions
  int mismatches = 0;
  for (size_t i = 0; i < std::min(xapian.hits.size(), pg.hits.size()); ++i) {
    if (xapian.hits[i] != pg.hits[i]) ++mismatches;
  }
  if (kind == QueryKind::kPhrase) {
    for (size_t h : xapian.hits) mismatches += h == 0 ? 1 : 0;  // taken from real messages
  }
  return mismatches;
}

// Runs every query kind on both engines; returns the number of hit-count disagreements.
int RunQueries(const Options& o, const Corpus& corpus, search::SearchIndex& index, PgFts* pg) {
  Table queries({"query", "engine", "n", "p50 ms", "p99 ms", "max ms", "mean hits", "errors"});
  int mismatches = 0;
  for (QueryKind kind : kQueryKinds) {
    auto cases = MakeQueries(corpus, kind, o.queries, o.corpus.seed + static_cast<int>(kind));
    auto row = [&](const std::string& engine, const EngineRun& r) {
      queries.Add({KindName(kind), engine, std::to_string(r.result.latency.count),
                   Fixed(r.result.latency.p50_ms, 2), Fixed(r.result.latency.p99_ms, 2),
                   Fixed(r.result.latency.max_ms, 1), Fixed(r.result.mean_hits, 1),
                   std::to_string(r.errors)});
    };
    auto x =
        RunKind(cases, o, [&](const QueryCase& q, size_t& e) { return XapianHits(index, q, e); });
    row("Xapian", x);
    if (pg != nullptr) {
      auto p = RunKind(cases, o, [&](const QueryCase& q, size_t&) { return pg->Run(q); });
      row("PostgreSQL FTS", p);
      mismatches += CrossCheck(kind, x, p);
    }
  }
  queries.Print();
  std::cout << "hit-count mismatches between the engines: " << mismatches << "\n";
  return mismatches;
}

int Run(const Options& o) {
  std::cout << "generating " << o.corpus.messages << " messages...\n" << std::flush;
  int64_t gen_start = NowNs();
  Corpus corpus = GenerateCorpus(o.corpus);
  std::cout << "generated in " << Fixed(static_cast<double>(NowNs() - gen_start) / 1e9, 1)
            << " s\n";
  const std::string root = o.dir.empty() ? MakeTempDir("search-bench-") : o.dir;
  auto index = Unwrap(search::SearchIndex::Open(
                          root + "/xapian", search::SearchIndex::Mode::kReadWrite, o.bulk_fsync),
                      "open index");
  Table build({"engine", "bulk s (wall)", "bulk msg/s (wall)", "bulk CPU s", "bulk msg/CPU-s",
               "live msg/s (wall)", "MiB on disk"});
  PrintBuild(build, "Xapian", BuildXapian(*index, o, corpus));
  std::unique_ptr<PgFts> pg;
  if (o.pg) {
    pg = std::make_unique<PgFts>(root + "/pg");
    PrintBuild(build, "PostgreSQL FTS",
               pg->Load(corpus.messages, o.live_messages, o.bulk_batch, o.live_batch));
  }
  build.Print();
  int mismatches = RunQueries(o, corpus, *index, pg.get());
  PrintCommitLatency(index, pg.get(), o.small ? 10 : 50);
  index.reset();
  pg.reset();
  if (o.dir.empty()) std::filesystem::remove_all(root);
  return o.small && mismatches > 0 ? 1 : 0;
}

}  // namespace
}  // namespace filament::bench

int main(int argc, char** argv) {
  using filament::bench::Options;
  Options o;
  CLI::App app{"search_bench: Xapian search index vs PostgreSQL full-text search"};
  app.add_option("--messages", o.corpus.messages, "messages in the corpus");
  app.add_option("--vocabulary", o.corpus.vocabulary, "distinct Zipf words");
  app.add_option("--guilds", o.corpus.guilds, "guilds (sizes Zipf-distributed)");
  app.add_option("--live-messages", o.live_messages, "last messages, indexed in small commits");
  app.add_option("--bulk-batch", o.bulk_batch, "messages per commit while bulk indexing");
  app.add_option("--live-batch", o.live_batch, "messages per commit for the live part");
  app.add_flag("--bulk-fsync", o.bulk_fsync, "fsync every bulk commit (rebuilds before ADR 0046)");
  app.add_option("--queries", o.queries, "queries per kind");
  app.add_option("--max-seconds-per-kind", o.max_seconds_per_kind, "stop a kind after this");
  app.add_option("--seed", o.corpus.seed, "corpus and query seed");
  app.add_option("--dir", o.dir, "work directory (kept); default: a temporary one");
  app.add_flag("!--no-pg", o.pg, "skip PostgreSQL");
  app.add_flag("--small", o.small,
               "smoke run: 20k messages, 50 queries per kind; fails on engine disagreement");
  CLI11_PARSE(app, argc, argv);
  if (o.small) {
    o.corpus.messages = 20'000;
    o.corpus.vocabulary = 20'000;
    o.corpus.guilds = 20;
    o.live_messages = 1000;
    o.queries = 50;
    o.max_seconds_per_kind = 10;
  }
  if (o.live_messages > o.corpus.messages) o.live_messages = o.corpus.messages;
  return filament::bench::Run(o);
}
