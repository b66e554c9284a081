#pragma once

// The search query language (REST_API.md 4.13, LIMITS.md 1.5): validation and parsing into a
// small tree. Pure (std only); turning the tree into an index query is search_index.cpp's job.
//
//   hello world        both words (default operator AND)
//   "hello world"      phrase; "hello world"~2 allows up to 2 other words in between
//   deploy*            prefix (the 64 most frequent completions)
//   de?loy, dep*oy     pattern: `?` one character, `*` any run (needs a literal first char)
//   deploi~  deploi~2  fuzzy: edit distance 1 (default) or 2, same first character
//   a OR b             either (OR binds tighter than the implicit AND: `a OR b c` = (a|b) & c)
//   -word, NOT word    exclude; `+word` and `AND` are accepted and mean the default
// Matching is case-insensitive and word-based (no stemming): see docs/adr on search.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace filament::search {

// The contract's caps on a query (core::Limits carries the configured values).
struct QueryLimits {
  int64_t max_bytes = 256;    // search_query_max_chars, counted after trimming
  int64_t max_terms = 20;     // whitespace-separated terms
  int64_t max_wildcards = 4;  // `*` plus `?`
  int64_t max_fuzzy = 2;      // `~`
};

// The `reason` of every kInvalidArgument this adapter returns for a query the client sent
// (all map to 400 invalid_request).
inline constexpr std::string_view kReasonInvalidQuery = "search_invalid_query";
inline constexpr std::string_view kReasonQueryTimeout = "search_query_timeout";

// Trims Unicode whitespace and applies the contract's rules: valid UTF-8, 1..max_bytes bytes,
// at most max_terms whitespace-separated terms, at most max_wildcards `*`/`?`, at most
// max_fuzzy `~`, no `:` anywhere. Returns the trimmed query.
// Errors: kInvalidArgument (reason kReasonInvalidQuery) naming the rule broken.
core::Result<std::string> ValidateQuery(std::string_view raw, const QueryLimits& limits);

struct QueryAtom {
  enum class Kind { kWord, kPhrase, kPrefix, kPattern, kFuzzy };
  Kind kind = Kind::kWord;
  std::string text;  // as typed: the word, the phrase's inside, the prefix (no `*`), the pattern
  int distance = 0;  // kFuzzy: edit distance 1..2; kPhrase: extra words allowed (slop)
  bool operator==(const QueryAtom&) const = default;
};

// Atoms joined by OR; the whole group is required, or excluded.
struct QueryClause {
  std::vector<QueryAtom> any;
  bool excluded = false;
  bool operator==(const QueryClause&) const = default;
};

struct ParsedQuery {
  std::vector<QueryClause> clauses;  // all non-excluded clauses must match, no excluded one may
};

// Parses a query ValidateQuery accepted.
// Errors: kInvalidArgument (reason kReasonInvalidQuery): unterminated quote, a wildcard with
// no literal character before it, a misplaced `~` or a fuzzy distance outside 1..2, OR or NOT
// without an operand, an excluded term inside an OR group.
core::Result<ParsedQuery> ParseQuery(std::string_view query);

// True for the Unicode White_Space code points (what the contract's term count splits on).
bool IsUnicodeSpace(char32_t c);

// Decodes one UTF-8 code point at `text[i]`, advancing `i`. Returns false on invalid UTF-8
// (overlong forms, surrogates, > U+10FFFF, truncated sequences).
bool DecodeUtf8(std::string_view text, size_t& i, char32_t& out);

}  // namespace filament::search
