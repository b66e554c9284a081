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

// Checks the JSON against the tokens while parsing it, without building a document (which took
// two fifths of an execution): an array of exactly tokens.size() objects, each with "type" first
// and equal to its token's type, a text token with "text" equal to its text, and no nesting.
class JsonMatchesTokens final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit JsonMatchesTokens(const std::vector<md::MarkdownToken>& tokens) : tokens_(tokens) {}

  bool Matched() const { return ended_ && next_ == tokens_.size(); }

  bool start_array(std::size_t) override { return depth_++ == 0 && !ended_; }
  bool end_array() override {
    ended_ = depth_-- == 1;
    return ended_;
  }
  bool start_object(std::size_t) override {
    if (depth_++ != 1 || next_ == tokens_.size()) return false;
    token_ = &tokens_[next_++];
    keys_ = 0;
    type_matched_ = false;
    text_matched_ = token_->type != "text";
    return true;
  }
  bool end_object() override { return depth_-- == 2 && type_matched_ && text_matched_; }
  bool key(string_t& key) override {
    key_ = key;
    return keys_++ > 0 || key == "type";
  }
  bool string(string_t& value) override {
    if (depth_ != 2) return false;
    if (key_ == "type") return type_matched_ = value == token_->type;
    if (key_ == "text" && token_->type == "text") return text_matched_ = value == token_->text;
    return true;
  }
  bool null() override { return depth_ == 2; }
  bool boolean(bool) override { return depth_ == 2; }
  bool number_integer(number_integer_t) override { return depth_ == 2; }
  bool number_unsigned(number_unsigned_t) override { return depth_ == 2; }
  bool number_float(number_float_t, const string_t&) override { return depth_ == 2; }
  bool binary(binary_t&) override { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  const std::vector<md::MarkdownToken>& tokens_;
  const md::MarkdownToken* token_ = nullptr;
  size_t next_ = 0;
  int depth_ = 0;
  int keys_ = 0;
  std::string key_;
  bool type_matched_ = false;
  bool text_matched_ = false;
  bool ended_ = false;
};

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
  JsonMatchesTokens matches(tokens);
  FUZZ_CHECK(nlohmann::json::sax_parse(json, &matches, nlohmann::json::input_format_t::json,
                                       /*strict=*/true) &&
             matches.Matched());
  // The one-call form must give the same text. It tokenizes again, so long inputs skip it.
  if (size <= kSecondPassMaxBytes) FUZZ_CHECK(md::MarkdownTokensJson(content) == json);
  return 0;
}
