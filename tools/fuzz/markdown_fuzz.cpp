// Fuzz target: the markdown tokenizer (adapters/markdown TokenizeMarkdown and
// MarkdownTokensToJson), the whole input as message content.
// Invariants (LIMITS.md §1.5 and the header's rules): at most kMaxTokens tokens, balanced
// start/end tokens, text and code within kMaxInlineBytes, fenced code within
// kMaxFencedBlockBytes, at most kMaxFencedBlocks blocks, languages of <= 32 lower-case
// characters, links only http/https/mailto schemes, every string valid UTF-8; the JSON is valid, an
// array of exactly these tokens, and MarkdownTokensJson gives the same text (inputs of at most 256
// bytes).

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/markdown/markdown_tokens.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

namespace md = filament::markdown;
using filament::fuzz::ReferenceUtf8;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool StartsWithIcase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

void CheckToken(const md::MarkdownToken& t, size_t& fenced) {
  FUZZ_CHECK(ReferenceUtf8(t.text) && ReferenceUtf8(t.code) && ReferenceUtf8(t.href));
  if (t.type == "text") FUZZ_CHECK(t.text.size() <= md::kMaxInlineBytes);
  if (t.type == "code") FUZZ_CHECK(t.code.size() <= md::kMaxInlineBytes);
  if (t.type == "heading_start") FUZZ_CHECK(t.level && *t.level >= 1 && *t.level <= 6);
  if (t.type == "link_start") {
    FUZZ_CHECK(t.href.size() <= md::kMaxInlineBytes);
    // The scheme decides, not "//" ("http:/x" is an http link).
    FUZZ_CHECK(StartsWithIcase(t.href, "http:") || StartsWithIcase(t.href, "https:") ||
               StartsWithIcase(t.href, "mailto:"));
  }
  if (t.type == "fenced_code") {
    ++fenced;
    FUZZ_CHECK(t.code.size() <= md::kMaxFencedBlockBytes);
    if (t.language) {
      FUZZ_CHECK(!t.language->empty() && t.language->size() <= md::kMaxLanguageChars);
      for (char c : *t.language) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    }
  }
}

void CheckBalanced(const std::vector<md::MarkdownToken>& tokens) {
  std::vector<std::string> open;
  for (const auto& t : tokens) {
    if (EndsWith(t.type, "_start")) {
      open.push_back(t.type.substr(0, t.type.size() - 6));
    } else if (EndsWith(t.type, "_end")) {
      FUZZ_CHECK(!open.empty() && open.back() == t.type.substr(0, t.type.size() - 4));
      open.pop_back();
    }
  }
  FUZZ_CHECK(open.empty());
}

constexpr size_t kSecondPassMaxBytes = 256;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  const auto tokens = md::TokenizeMarkdown(content);
  FUZZ_CHECK(tokens.size() <= md::kMaxTokens);
  size_t fenced = 0;
  for (const auto& t : tokens) CheckToken(t, fenced);
  FUZZ_CHECK(fenced <= md::kMaxFencedBlocks);
  CheckBalanced(tokens);

  const std::string json = md::MarkdownTokensToJson(tokens);
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!parsed.is_discarded() && parsed.is_array() && parsed.size() == tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    FUZZ_CHECK(parsed[i].is_object() && parsed[i].value("type", "") == tokens[i].type);
    if (tokens[i].type == "text") FUZZ_CHECK(parsed[i].value("text", "") == tokens[i].text);
  }
  // The one-call form must give the same text. It tokenizes again, so long inputs skip it.
  if (size <= kSecondPassMaxBytes) FUZZ_CHECK(md::MarkdownTokensJson(content) == json);
  return 0;
}
