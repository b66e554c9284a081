#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace filament::markdown {

// Contract caps (shared/contract/LIMITS.md §1.5).
inline constexpr size_t kMaxTokens = 4096;
inline constexpr size_t kMaxInlineBytes = 4096;  // per text / code token
inline constexpr size_t kMaxFencedBlocks = 64;   // later blocks are dropped
inline constexpr size_t kMaxFencedBlockBytes = 16384;
inline constexpr size_t kMaxLanguageChars = 32;

// One token of the wire format (REST_API.md §4.11, GATEWAY.md §6.2 MarkdownToken). `type` is
// the snake_case tag; only the fields of that type are meaningful:
//   heading_start: level (1..6)        list_start: ordered
//   link_start: href                   text: text
//   code: code                         fenced_code: language (nullopt = JSON null), code
struct MarkdownToken {
  std::string type;
  std::optional<int> level;
  std::optional<bool> ordered;
  std::string href;
  std::string text;
  std::string code;
  std::optional<std::string> language;

  bool operator==(const MarkdownToken&) const = default;
};

// Parses `content` as CommonMark (no extensions, via libcmark) and flattens it into tokens.
//
// Total: never fails and never crashes, for any byte string (it truncates, never rejects).
// Rules beyond the contract text, decided here:
//   - Invalid UTF-8 is replaced by U+FFFD (cmark's CMARK_OPT_VALIDATE_UTF8), so every string
//     in the output is valid UTF-8. NUL bytes also become U+FFFD (CommonMark rule).
//   - Adjacent cmark text nodes are merged into one `text` token before bare-URL linking;
//     a link boundary (kept or dropped) always ends a text token.
//   - Raw HTML (blocks and inline) is dropped with its content. Images keep their alt text
//     (as the inline tokens of their description); the image URL is dropped.
//   - Block quotes and thematic breaks emit no tokens (block-quote content is kept).
//   - Paragraphs directly inside items of a tight list emit no paragraph_start/end (as the
//     CommonMark HTML renderer does).
//   - Links: href is the trimmed destination; kept only for http/https/mailto schemes and
//     hrefs of at most kMaxInlineBytes bytes; otherwise only the link tokens are dropped.
//   - Bare URL runs (http://, https://, mailto:, any case, not preceded by a letter or digit,
//     ending at whitespace, control characters or `<>"`, trailing `)]}.,!?;:` trimmed, with
//     something after the scheme) become link_start/text/link_end, except inside a link (kept
//     or dropped).
//   - Text and inline code are cut to kMaxInlineBytes at a UTF-8 boundary (text is cut before
//     bare-URL linking); fenced/indented code to kMaxFencedBlockBytes.
//   - Fenced and indented code blocks are `fenced_code`; language is the first word of the
//     info string if it matches [A-Za-z0-9_+.-]{1,32} (lowercased), else null.
//   - Token cap: output stops at the first token that no longer fits while reserving room to
//     close every open start token; the open tokens are then closed innermost first, so the
//     output is always balanced and at most kMaxTokens long.
// Thread-safe (no shared state).
std::vector<MarkdownToken> TokenizeMarkdown(std::string_view content);

// Serialises tokens as a compact JSON array of objects with "type" first, e.g.
// [{"type":"paragraph_start"},{"type":"text","text":"hi"},{"type":"paragraph_end"}].
std::string MarkdownTokensToJson(const std::vector<MarkdownToken>& tokens);

// TokenizeMarkdown + MarkdownTokensToJson. Empty content gives "[]".
std::string MarkdownTokensJson(std::string_view content);

}  // namespace filament::markdown
