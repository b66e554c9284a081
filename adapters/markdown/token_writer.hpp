#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/markdown/markdown_tokens.hpp"

// Internal to filament_markdown: not part of the library's public API.
namespace filament::markdown::internal {

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence (input assumed valid).
void TruncateUtf8(std::string& text, size_t max_bytes);

// True when `href` (already trimmed) starts with http:, https: or mailto: in any case.
bool HasAllowedScheme(std::string_view href);

// The JSON of `tokens` built as an nlohmann document: what MarkdownTokensToJson falls back to
// for a string that is not valid UTF-8 (replaced by U+FFFD), and its reference in tests.
std::string MarkdownTokensToJsonDocument(const std::vector<MarkdownToken>& tokens);

// Collects tokens while enforcing the token cap, merging adjacent text and linking bare URLs.
// Every Open() must be matched by a Close() from the caller; once a token does not fit the
// writer stops (all later calls are ignored) and Finish() closes what is still open, so the
// result is balanced and at most kMaxTokens long. Not thread-safe.
class TokenWriter {
 public:
  // Emits `start` and remembers `end_type` for the matching Close().
  void Open(MarkdownToken start, std::string end_type);
  void Close();
  void Leaf(MarkdownToken token);
  // Buffers text until the next non-text call (or FlushText). `autolink` (bare URL -> link)
  // is taken from the first append after a flush; callers flush at every link boundary.
  void AppendText(std::string_view text, bool autolink);
  void FlushText();
  std::vector<MarkdownToken> Finish();

 private:
  bool Fits(size_t new_tokens, size_t new_open) const;
  void Emit(MarkdownToken token) { out_.push_back(std::move(token)); }
  void EmitText(std::string text);
  void EmitBareLink(std::string url);

  std::vector<MarkdownToken> out_;
  std::vector<std::string> open_ends_;
  std::string pending_;
  bool pending_autolink_ = false;
  bool has_pending_ = false;
  bool stopped_ = false;
};

}  // namespace filament::markdown::internal
