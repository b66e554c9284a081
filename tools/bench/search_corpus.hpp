#pragma once

// A generated chat corpus for the search benchmark: Zipf-distributed words over a synthetic
// vocabulary (frequent words short, rare ones long), a few random rare tokens (names, typos),
// log-normal message lengths, guild sizes Zipf-distributed, ten channels per guild.
// Deterministic for a seed.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "adapters/search/search_index.hpp"

namespace filament::bench {

struct CorpusOptions {
  size_t messages = 1'000'000;
  size_t vocabulary = 100'000;
  size_t guilds = 200;
  size_t channels_per_guild = 10;
  double zipf_s = 1.0;            // word frequency exponent (natural language: about 1)
  double rare_token_rate = 0.02;  // share of tokens that are random one-off strings
  uint64_t seed = 42;
};

// Samples ranks 0..n-1 with P(rank) proportional to 1 / (rank + 1)^s.
class ZipfSampler {
 public:
  ZipfSampler(size_t n, double s);
  size_t Sample(std::mt19937_64& rng) const;

 private:
  std::vector<double> cdf_;
};

struct Corpus {
  std::vector<std::string> words;  // by rank: words[0] is the most frequent
  std::vector<std::string> guild_ids;
  std::vector<search::MessageDoc> messages;
};

Corpus GenerateCorpus(const CorpusOptions& options);

// The word of a given frequency rank (unique per rank; length grows with rank).
std::string WordForRank(size_t rank);

}  // namespace filament::bench
