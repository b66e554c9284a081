// SearchIndex queries: the parsed query language (query_syntax.hpp) turned into a Xapian query,
// scoped to a guild (and channel), ranked by BM25, inside a time budget.

#include <algorithm>

#include "adapters/search/xapian_internal.hpp"

namespace filament::search {
namespace {

using Clock = std::chrono::steady_clock;

// Completions kept for one prefix, pattern or fuzzy term (the most frequent ones).
constexpr Xapian::termcount kMaxExpansion = 64;
// Vocabulary entries a pattern or fuzzy term may scan before it stops looking.
constexpr size_t kMaxScannedTerms = 100'000;

struct TimedOut {};

void CheckDeadline(Clock::time_point deadline) {
  if (Clock::now() >= deadline) throw TimedOut{};
}

// Xapian 1.4 can bound only check_at_least by time (Enquire::set_time_limit), not the match
// itself. This decider sees every candidate document inside the match loop and abandons the
// match (by throwing through get_mset) once the budget is spent.
class DeadlineDecider final : public Xapian::MatchDecider {
 public:
  explicit DeadlineDecider(Clock::time_point deadline) : deadline_(deadline) {}
  bool operator()(const Xapian::Document&) const override {
    if ((++calls_ & 7) == 0) CheckDeadline(deadline_);
    return true;
  }

 private:
  Clock::time_point deadline_;
  mutable uint32_t calls_ = 0;
};

std::u32string CodePoints(std::string_view text) {
  std::u32string out;
  char32_t c = 0;
  for (size_t i = 0; i < text.size();) {
    if (!DecodeUtf8(text, i, c)) break;
    out.push_back(c);
  }
  return out;
}

// The terms the index stores for `text`, in text order; `positional` is false when some lack
// positions (CJK n-grams), so they can only be ANDed, not phrased.
struct Words {
  std::vector<std::string> terms;
  bool positional = true;
};

Words Tokenize(std::string_view text) {
  Xapian::TermGenerator generator;
  ConfigureTermGenerator(generator);
  Xapian::Document doc;
  generator.set_document(doc);
  generator.index_text(std::string(text));
  std::vector<std::pair<Xapian::termpos, std::string>> ordered;
  Words words;
  for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term) {
    if (term.positionlist_begin() == term.positionlist_end()) {
      words.positional = false;
      ordered.emplace_back(0, *term);
    }
    for (auto pos = term.positionlist_begin(); pos != term.positionlist_end(); ++pos) {
      ordered.emplace_back(*pos, *term);
    }
  }
  std::sort(ordered.begin(), ordered.end());
  for (auto& entry : ordered) words.terms.push_back(std::move(entry.second));
  return words;
}

std::optional<Xapian::Query> WordsQuery(const Words& words, int slop) {
  const auto& t = words.terms;
  if (t.empty()) return std::nullopt;
  if (t.size() == 1) return Xapian::Query(t[0]);
  if (!words.positional) return Xapian::Query(Xapian::Query::OP_AND, t.begin(), t.end());
  auto window = static_cast<Xapian::termcount>(t.size() + static_cast<size_t>(slop));
  return Xapian::Query(Xapian::Query::OP_PHRASE, t.begin(), t.end(), window);
}

// `*` any run, `?` one code point.
bool GlobMatch(const std::u32string& text, const std::u32string& pattern) {
  size_t t = 0, p = 0, star = std::u32string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == U'?' || pattern[p] == text[t])) {
      ++t, ++p;
    } else if (p < pattern.size() && pattern[p] == U'*') {
      star = p++, resume = t;
    } else if (star != std::u32string::npos) {
      p = star + 1, t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == U'*') ++p;
  return p == pattern.size();
}

// Levenshtein distance, or max + 1 once it must exceed `max`.
size_t BoundedDistance(const std::u32string& a, const std::u32string& b, size_t max) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > max) return max + 1;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > max) return max + 1;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The most frequent vocabulary terms starting with `prefix` that `accept`, as one synonym
// group (matches nothing when none qualifies).
Xapian::Query Expand(Xapian::Database& db, const std::string& prefix,
                     const std::function<bool(const std::string&)>& accept,
                     Clock::time_point deadline) {
  std::vector<std::pair<Xapian::doccount, std::string>> found;
  size_t scanned = 0;
  for (auto it = db.allterms_begin(prefix); it != db.allterms_end(prefix); ++it) {
    if ((++scanned & 255) == 0) CheckDeadline(deadline);
    if (scanned > kMaxScannedTerms) break;
    if (accept(*it)) found.emplace_back(it.get_termfreq(), *it);
  }
  auto keep = std::min<size_t>(found.size(), kMaxExpansion);
  std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(keep), found.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> terms;
  for (size_t i = 0; i < keep; ++i) terms.push_back(std::move(found[i].second));
  if (terms.empty()) return Xapian::Query::MatchNothing;
  return Xapian::Query(Xapian::Query::OP_SYNONYM, terms.begin(), terms.end());
}

std::optional<Xapian::Query> PrefixQuery(const std::string& text) {
  Words words = Tokenize(text);
  if (words.terms.empty()) return std::nullopt;
  Xapian::Query wildcard(Xapian::Query::OP_WILDCARD, words.terms.back(), kMaxExpansion,
                         Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
  if (words.terms.size() == 1) return wildcard;
  words.terms.pop_back();
  return Xapian::Query(Xapian::Query::OP_AND, *WordsQuery(words, 0), wildcard);
}

Xapian::Query PatternQuery(Xapian::Database& db, const std::string& text,
                           Clock::time_point deadline) {
  const std::string lowered = Xapian::Unicode::tolower(text);
  const std::u32string pattern = CodePoints(lowered);
  const std::string literal = lowered.substr(0, lowered.find_first_of("*?"));
  return Expand(
      db, literal, [&](const std::string& term) { return GlobMatch(CodePoints(term), pattern); },
      deadline);
}

std::optional<Xapian::Query> FuzzyQuery(Xapian::Database& db, const QueryAtom& atom,
                                        Clock::time_point deadline) {
  Words words = Tokenize(atom.text);
  if (words.terms.size() != 1) return WordsQuery(words, 0);
  const std::u32string base = CodePoints(words.terms[0]);
  std::string first;
  Xapian::Unicode::append_utf8(first, base[0]);
  const auto max = static_cast<size_t>(atom.distance);
  return Expand(
      db, first,
      [&](const std::string& term) { return BoundedDistance(CodePoints(term), base, max) <= max; },
      deadline);
}

std::optional<Xapian::Query> AtomQuery(Xapian::Database& db, const QueryAtom& atom,
                                       Clock::time_point deadline) {
  switch (atom.kind) {
    case QueryAtom::Kind::kWord:
      return WordsQuery(Tokenize(atom.text), 0);
    case QueryAtom::Kind::kPhrase:
      return WordsQuery(Tokenize(atom.text), atom.distance);
    case QueryAtom::Kind::kPrefix:
      return PrefixQuery(atom.text);
    case QueryAtom::Kind::kPattern:
      return PatternQuery(db, atom.text, deadline);
    case QueryAtom::Kind::kFuzzy:
      return FuzzyQuery(db, atom, deadline);
  }
  return std::nullopt;
}

// The text part of the query; nullopt when nothing positive is left to match.
std::optional<Xapian::Query> TextQuery(Xapian::Database& db, const ParsedQuery& parsed,
                                       Clock::time_point deadline) {
  std::vector<Xapian::Query> required;
  std::vector<Xapian::Query> excluded;
  for (const QueryClause& clause : parsed.clauses) {
    std::vector<Xapian::Query> any;
    for (const QueryAtom& atom : clause.any) {
      if (auto q = AtomQuery(db, atom, deadline)) any.push_back(std::move(*q));
    }
    if (any.empty()) continue;  // no indexable characters (e.g. "!!!")
    Xapian::Query group =
        any.size() == 1 ? any[0] : Xapian::Query(Xapian::Query::OP_OR, any.begin(), any.end());
    (clause.excluded ? excluded : required).push_back(std::move(group));
  }
  if (required.empty()) return std::nullopt;
  Xapian::Query query(Xapian::Query::OP_AND, required.begin(), required.end());
  if (excluded.empty()) return query;
  return Xapian::Query(Xapian::Query::OP_AND_NOT, query,
                       Xapian::Query(Xapian::Query::OP_OR, excluded.begin(), excluded.end()));
}

Xapian::Query Scope(const SearchRequest& request) {
  Xapian::Query guild(kGuildPrefix + request.guild_id);
  if (request.channel_id.empty()) return guild;
  return Xapian::Query(Xapian::Query::OP_AND, guild,
                       Xapian::Query(kChannelPrefix + request.channel_id));
}

core::Error Timeout() {
  return core::InvalidArgument("search query exceeded its time budget",
                               std::string(kReasonQueryTimeout));
}

}  // namespace

core::Result<std::vector<std::string>> RunQuery(Xapian::Database& db, const SearchRequest& request,
                                                Clock::time_point deadline) {
  auto validated = ValidateQuery(request.query, request.limits);
  if (!validated.ok()) return validated.error();
  auto parsed = ParseQuery(*validated);
  if (!parsed.ok()) return parsed.error();
  try {
    CheckDeadline(deadline);
    auto text = TextQuery(db, *parsed, deadline);
    if (!text || request.limit == 0) return std::vector<std::string>{};
    Xapian::Enquire enquire(db);
    enquire.set_query(Xapian::Query(Xapian::Query::OP_FILTER, *text, Scope(request)));
    // Among equal scores, newer messages (higher document numbers) first.
    enquire.set_docid_order(Xapian::Enquire::DESCENDING);
    DeadlineDecider decider(deadline);
    auto limit = static_cast<Xapian::doccount>(request.limit);
    Xapian::MSet mset = enquire.get_mset(0, limit, 0, nullptr, &decider);
    std::vector<std::string> ids;
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      auto id = DecodeDocData(it.get_document().get_data());
      if (!id) return core::Internal("search index: unreadable document");
      ids.push_back(std::move(*id));
    }
    return ids;  // a match that finished is answered, even if it finished late
  } catch (const TimedOut&) {
    return Timeout();
  }
}

}  // namespace filament::search
