// Fuzz target: the search query validator and parser (adapters/search/query_syntax.*).
// Input: [limits selector][query...].
// Invariants: an accepted query is trimmed, valid UTF-8, within max_bytes, free of `:`, and
// valid again as it is (idempotent); the parse has at most max_bytes atoms, atoms of the
// documented shapes (fuzzy distance 1..2, no excluded atom inside an OR group).

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/search/query_syntax.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

namespace search = filament::search;

void CheckParsed(const search::ParsedQuery& parsed, const search::QueryLimits& limits) {
  size_t atoms = 0;
  for (const auto& clause : parsed.clauses) {
    FUZZ_CHECK(!clause.any.empty());
    for (const auto& atom : clause.any) {
      ++atoms;
      FUZZ_CHECK(filament::fuzz::ReferenceUtf8(atom.text));
      if (atom.kind == search::QueryAtom::Kind::kFuzzy) {
        FUZZ_CHECK(atom.distance >= 1 && atom.distance <= 2);
      }
      if (atom.kind == search::QueryAtom::Kind::kPhrase) FUZZ_CHECK(atom.distance >= 0);
      if (atom.kind != search::QueryAtom::Kind::kPhrase) FUZZ_CHECK(!atom.text.empty());
    }
  }
  // Not <= max_terms: quotes split a whitespace term (`"a""b"` is one term, two phrases); the
  // byte cap bounds the atoms instead (each takes at least one byte).
  FUZZ_CHECK(atoms <= static_cast<size_t>(limits.max_bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  filament::fuzz::InputReader in(data, size);
  const uint8_t selector = in.Byte();
  search::QueryLimits limits;
  if (selector & 1) limits = {.max_bytes = 16, .max_terms = 3, .max_wildcards = 1, .max_fuzzy = 1};
  const std::string_view raw = in.Rest();

  auto valid = search::ValidateQuery(raw, limits);
  if (!valid.ok()) return 0;
  const std::string& query = *valid;
  FUZZ_CHECK(!query.empty() && query.size() <= static_cast<size_t>(limits.max_bytes));
  FUZZ_CHECK(filament::fuzz::ReferenceUtf8(query) && query.find(':') == std::string::npos);
  auto again = search::ValidateQuery(query, limits);
  FUZZ_CHECK(again.ok() && *again == query);
  size_t i = 0;
  char32_t c = 0;
  FUZZ_CHECK(search::DecodeUtf8(query, i, c) && !search::IsUnicodeSpace(c));

  auto parsed = search::ParseQuery(query);
  if (parsed.ok()) CheckParsed(*parsed, limits);
  return 0;
}
