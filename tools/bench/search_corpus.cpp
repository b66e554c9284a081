#include "tools/bench/search_corpus.hpp"

#include <algorithm>
#include <cmath>

#include "core/ulid.hpp"

namespace filament::bench {
namespace {

constexpr char kConsonants[] = "bcdfghjklmnprstv";  // 16
constexpr char kVowels[] = "aeiou";                 // 5
constexpr size_t kSyllables = 16 * 5;

std::string RandomToken(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> length(5, 10);
  std::uniform_int_distribution<int> letter(0, 25);
  std::string token;
  for (int i = length(rng); i > 0; --i) token += static_cast<char>('a' + letter(rng));
  return token;
}

std::string MessageText(const Corpus& corpus, const ZipfSampler& words, const CorpusOptions& o,
                        std::mt19937_64& rng) {
  std::lognormal_distribution<double> length(2.0, 0.6);  // median ~7 words, mean ~9
  std::bernoulli_distribution rare(o.rare_token_rate);
  auto count = std::clamp(static_cast<int>(length(rng)), 1, 60);
  std::string text;
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += ' ';
    text += rare(rng) ? RandomToken(rng) : corpus.words[words.Sample(rng)];
  }
  return text;
}

}  // namespace

ZipfSampler::ZipfSampler(size_t n, double s) : cdf_(n) {
  double total = 0;
  for (size_t k = 0; k < n; ++k) {
    total += 1.0 / std::pow(static_cast<double>(k + 1), s);
    cdf_[k] = total;
  }
  for (double& c : cdf_) c /= total;
}

size_t ZipfSampler::Sample(std::mt19937_64& rng) const {
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
  return std::min(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1);
}

std::string WordForRank(size_t rank) {
  // Ranks are spelled in base-80 syllables: the 80 most frequent words have 2 letters, the
  // next 6400 have 4, then 6, ... (frequent words are short, as in natural language).
  size_t digits = 1;
  size_t first_of_length = 0;
  size_t span = kSyllables;
  while (rank >= first_of_length + span) {
    first_of_length += span;
    span *= kSyllables;
    ++digits;
  }
  size_t value = rank - first_of_length;
  std::string word;
  for (size_t d = 0; d < digits; ++d) {
    size_t syllable = value % kSyllables;
    value /= kSyllables;
    word += kConsonants[syllable / 5];
    word += kVowels[syllable % 5];
  }
  return word;
}

Corpus GenerateCorpus(const CorpusOptions& o) {
  Corpus corpus;
  std::mt19937_64 rng(o.seed);
  core::UlidGenerator ids;
  for (size_t r = 0; r < o.vocabulary; ++r) corpus.words.push_back(WordForRank(r));
  std::vector<std::vector<std::string>> channels(o.guilds);
  for (size_t g = 0; g < o.guilds; ++g) {
    corpus.guild_ids.push_back(ids.Next(1700000000000).ToString());
    for (size_t c = 0; c < o.channels_per_guild; ++c) {
      channels[g].push_back(ids.Next(1700000000000).ToString());
    }
  }
  ZipfSampler words(o.vocabulary, o.zipf_s);
  ZipfSampler guilds(o.guilds, 1.0);
  std::uniform_int_distribution<size_t> channel(0, o.channels_per_guild - 1);
  corpus.messages.reserve(o.messages);
  for (size_t i = 0; i < o.messages; ++i) {
    const size_t g = guilds.Sample(rng);
    const int64_t unix = 1700000000 + static_cast<int64_t>(i);
    corpus.messages.push_back(search::MessageDoc{ids.Next(unix * 1000).ToString(),
                                                 corpus.guild_ids[g], channels[g][channel(rng)],
                                                 MessageText(corpus, words, o, rng)});
  }
  return corpus;
}

}  // namespace filament::bench
