// search_bench: the query workload, drawn from the corpus so that queries look like users'.
#include <fstream>
#include <random>
#include <sstream>
#include <unordered_map>

#include <unistd.h>

#include "tools/bench/search_bench.hpp"

namespace filament::bench {
namespace {

// Nobody searches for the most frequent words ("the", "and"): draw query words from the same
// Zipf distribution above this rank. kCommonWord measures the worst case below it.
constexpr size_t kStopwordRanks = 100;
constexpr size_t kCommonRanks = 10;

std::vector<std::string> Words(const std::string& content) {
  std::vector<std::string> words;
  std::istringstream in(content);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string QueryWord(const Corpus& corpus, const ZipfSampler& zipf, std::mt19937_64& rng) {
  for (;;) {
    size_t rank = zipf.Sample(rng);
    if (rank >= kStopwordRanks) return corpus.words[rank];
  }
}

// Two different words of one message, preferring words above the stopword ranks.
std::optional<std::vector<std::string>> TwoWordsOf(
    const std::string& content, const std::unordered_map<std::string, size_t>& ranks,
    std::mt19937_64& rng) {
  std::vector<std::string> candidates;
  for (auto& w : Words(content)) {
    auto it = ranks.find(w);
    if (it != ranks.end() && it->second < kStopwordRanks) continue;
    if (std::find(candidates.begin(), candidates.end(), w) == candidates.end()) {
      candidates.push_back(w);
    }
  }
  if (candidates.size() < 2) return std::nullopt;
  std::shuffle(candidates.begin(), candidates.end(), rng);
  return std::vector<std::string>{candidates[0], candidates[1]};
}

QueryCase MakeQuery(const Corpus& corpus, const ZipfSampler& zipf,
                    const std::unordered_map<std::string, size_t>& ranks, QueryKind kind,
                    std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> any(0, corpus.messages.size() - 1);
  for (;;) {
    const auto& message = corpus.messages[any(rng)];  // traffic follows guild sizes
    QueryCase q{kind, message.guild_id, {}};
    switch (kind) {
      case QueryKind::kOneWord:
        q.words = {QueryWord(corpus, zipf, rng)};
        return q;
      case QueryKind::kCommonWord:
        q.words = {corpus.words[std::uniform_int_distribution<size_t>(0, kCommonRanks - 1)(rng)]};
        return q;
      case QueryKind::kTwoWords: {
        auto two = TwoWordsOf(message.content, ranks, rng);
        if (!two) continue;
        q.words = std::move(*two);
        return q;
      }
      case QueryKind::kPhrase: {
        auto words = Words(message.content);
        if (words.size() < 2) continue;
        size_t at = std::uniform_int_distribution<size_t>(0, words.size() - 2)(rng);
        q.words = {words[at], words[at + 1]};
        return q;
      }
      case QueryKind::kPrefix:
        q.words = {QueryWord(corpus, zipf, rng).substr(0, 3)};
        return q;
    }
  }
}

}  // namespace

std::string KindName(QueryKind kind) {
  switch (kind) {
    case QueryKind::kOneWord:
      return "one word";
    case QueryKind::kCommonWord:
      return "one word, top-10 frequent";
    case QueryKind::kTwoWords:
      return "two words (AND, from one message)";
    case QueryKind::kPhrase:
      return "phrase (2 words)";
    case QueryKind::kPrefix:
      return "prefix (3 letters*)";
  }
  return "?";
}

std::string QueryCase::XapianQuery() const {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  if (kind == QueryKind::kPhrase) return "\"" + text + "\"";
  if (kind == QueryKind::kPrefix) return text + "*";
  return text;
}

std::vector<QueryCase> MakeQueries(const Corpus& corpus, QueryKind kind, size_t count,
                                   uint64_t seed) {
  std::mt19937_64 rng(seed);
  ZipfSampler zipf(corpus.words.size(), 1.0);
  std::unordered_map<std::string, size_t> ranks;
  for (size_t r = 0; r < kStopwordRanks && r < corpus.words.size(); ++r) {
    ranks[corpus.words[r]] = r;
  }
  std::vector<QueryCase> cases;
  for (size_t i = 0; i < count; ++i) cases.push_back(MakeQuery(corpus, zipf, ranks, kind, rng));
  return cases;
}

double ProcessCpuSeconds(int pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat")
                            : "/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x && f.size() < 13;) f.push_back(x);
  if (f.size() < 13) return 0;
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace filament::bench
