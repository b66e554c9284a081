#include "adapters/search/query_syntax.hpp"

#include <algorithm>
#include <utility>

namespace filament::search {
namespace {

core::Error Invalid(std::string message) {
  return core::InvalidArgument("search query: " + std::move(message),
                               std::string(kReasonInvalidQuery));
}

// Byte offset just past the code point starting at `i` (input already known to be valid).
size_t NextCodePoint(std::string_view text, size_t i) {
  char32_t c = 0;
  DecodeUtf8(text, i, c);
  return i;
}

bool SpaceAt(std::string_view text, size_t i) {
  char32_t c = 0;
  return DecodeUtf8(text, i, c) && IsUnicodeSpace(c);
}

size_t CountTerms(std::string_view text) {
  size_t terms = 0;
  bool in_term = false;
  for (size_t i = 0; i < text.size(); i = NextCodePoint(text, i)) {
    bool space = SpaceAt(text, i);
    if (!space && !in_term) ++terms;
    in_term = !space;
  }
  return terms;
}

// A word token (no whitespace, no quote) after its +/- modifier: word, prefix, pattern, fuzzy.
core::Result<QueryAtom> ClassifyWord(std::string_view token) {
  size_t tilde = token.find('~');
  size_t wild = token.find_first_of("*?");
  if (tilde != std::string_view::npos) {
    if (wild != std::string_view::npos) return Invalid("`~` and a wildcard in one term");
    std::string_view distance = token.substr(tilde + 1);
    if (tilde == 0) return Invalid("`~` needs a word before it");
    if (distance.empty())
      return QueryAtom{QueryAtom::Kind::kFuzzy, std::string(token.substr(0, tilde)), 1};
    if (distance != "1" && distance != "2") return Invalid("fuzzy distance must be 1 or 2");
    return QueryAtom{QueryAtom::Kind::kFuzzy, std::string(token.substr(0, tilde)),
                     distance[0] - '0'};
  }
  if (wild == std::string_view::npos) return QueryAtom{QueryAtom::Kind::kWord, std::string(token)};
  if (wild == 0) return Invalid("a wildcard needs a character before it");
  if (wild == token.size() - 1 && token.back() == '*') {
    return QueryAtom{QueryAtom::Kind::kPrefix, std::string(token.substr(0, wild))};
  }
  return QueryAtom{QueryAtom::Kind::kPattern, std::string(token)};
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  core::Result<ParsedQuery> Run() {
    while (SkipSpace()) {
      bool excluded = false;
      if ((Peek() == '-' || Peek() == '+') && pos_ + 1 < text_.size() &&
          !SpaceAt(text_, pos_ + 1)) {
        excluded = Peek() == '-';
        ++pos_;
      }
      auto atom = Peek() == '"' ? ReadPhrase() : ReadWordToken(excluded);
      if (!atom.ok()) return atom.error();
      if (atom->text.empty() && atom->kind == QueryAtom::Kind::kWord) continue;  // operator
      FILAMENT_RETURN_IF_ERROR(Add(std::move(*atom), excluded || std::exchange(not_, false)));
    }
    if (or_ || not_) return Invalid("OR/NOT at the end of the query");
    return std::move(query_);
  }

 private:
  char Peek() const { return text_[pos_]; }

  // Skips whitespace; false at the end of the text.
  bool SkipSpace() {
    while (pos_ < text_.size() && SpaceAt(text_, pos_)) pos_ = NextCodePoint(text_, pos_);
    return pos_ < text_.size();
  }

  std::string_view ReadUntilSpaceOrQuote() {
    size_t start = pos_;
    while (pos_ < text_.size() && Peek() != '"' && !SpaceAt(text_, pos_)) {
      pos_ = NextCodePoint(text_, pos_);
    }
    return text_.substr(start, pos_ - start);
  }

  core::Result<QueryAtom> ReadPhrase() {
    size_t close = text_.find('"', pos_ + 1);
    if (close == std::string_view::npos) return Invalid("unterminated quote");
    QueryAtom atom{QueryAtom::Kind::kPhrase, std::string(text_.substr(pos_ + 1, close - pos_ - 1))};
    pos_ = close + 1;
    if (pos_ < text_.size() && Peek() == '~') {
      ++pos_;
      std::string_view slop = ReadUntilSpaceOrQuote();
      if (slop.empty()) {
        atom.distance = 1;
      } else if (slop.size() <= 2 && std::all_of(slop.begin(), slop.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; })) {
        atom.distance = std::stoi(std::string(slop));
      } else {
        return Invalid("phrase slop must be a number up to 99");
      }
    }
    return atom;
  }

  // A word, or an operator (returned as an empty kWord after updating the parser's state).
  core::Result<QueryAtom> ReadWordToken(bool has_modifier) {
    std::string_view token = ReadUntilSpaceOrQuote();
    if (!has_modifier && (token == "OR" || token == "AND" || token == "NOT")) {
      if (token == "OR") {
        if (query_.clauses.empty() || or_ || not_) return Invalid("OR needs a term on each side");
        or_ = true;
      } else if (token == "NOT") {
        if (or_ || not_) return Invalid("NOT needs a term after it");
        not_ = true;
      } else if (or_ || not_) {
        return Invalid("AND after OR/NOT");
      }
      return QueryAtom{};
    }
    if (token.empty() || token == "-" || token == "+") return QueryAtom{};  // a lone sign
    return ClassifyWord(token);
  }

  core::Status Add(QueryAtom atom, bool excluded) {
    if (std::exchange(or_, false)) {
      QueryClause& last = query_.clauses.back();
      if (excluded || last.excluded) return Invalid("an excluded term inside OR");
      last.any.push_back(std::move(atom));
      return core::OkStatus();
    }
    query_.clauses.push_back(QueryClause{{std::move(atom)}, excluded});
    return core::OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
  bool or_ = false;
  bool not_ = false;
  ParsedQuery query_;
};

}  // namespace

bool IsUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool DecodeUtf8(std::string_view text, size_t& i, char32_t& out) {
  if (i >= text.size()) return false;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    out = lead;
    ++i;
    return true;
  }
  size_t extra = 0;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
  } else {
    return false;
  }
  if (text.size() - i <= extra) return false;
  char32_t c = lead & (0x3F >> extra);
  for (size_t k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return false;
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (c < kMin[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
  out = c;
  i += extra + 1;
  return true;
}

core::Result<std::string> ValidateQuery(std::string_view raw, const QueryLimits& limits) {
  size_t begin = raw.size();
  size_t end = 0;
  for (size_t i = 0; i < raw.size();) {
    size_t start = i;
    char32_t c = 0;
    if (!DecodeUtf8(raw, i, c)) return Invalid("not valid UTF-8");
    if (IsUnicodeSpace(c)) continue;
    begin = std::min(begin, start);
    end = i;
  }
  std::string_view q = begin < end ? raw.substr(begin, end - begin) : std::string_view();
  auto count = [&](char c) { return static_cast<int64_t>(std::count(q.begin(), q.end(), c)); };
  if (q.empty()) return Invalid("empty");
  if (static_cast<int64_t>(q.size()) > limits.max_bytes) return Invalid("too long");
  if (static_cast<int64_t>(CountTerms(q)) > limits.max_terms) return Invalid("too many terms");
  if (count('*') + count('?') > limits.max_wildcards) return Invalid("too many wildcards");
  if (count('~') > limits.max_fuzzy) return Invalid("too many `~`");
  if (count(':') > 0) return Invalid("`:` is not allowed");
  return std::string(q);
}

core::Result<ParsedQuery> ParseQuery(std::string_view query) {
  size_t i = 0;
  while (i < query.size()) {
    char32_t c = 0;
    if (!DecodeUtf8(query, i, c)) return Invalid("not valid UTF-8");
  }
  return Parser(query).Run();
}

}  // namespace filament::search
