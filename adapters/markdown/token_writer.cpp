#include "adapters/markdown/token_writer.hpp"

#include <array>
#include <optional>

namespace filament::markdown::internal {
namespace {

constexpr std::array<std::string_view, 3> kBareSchemes = {"https://", "http://", "mailto:"};
constexpr std::string_view kTrailingPunctuation = ")]}.,!?;:";

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool StartsWithNoCase(std::string_view text, size_t at, std::string_view prefix) {
  if (text.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (AsciiLower(text[at + i]) != prefix[i]) return false;
  }
  return true;
}

bool EndsUrlRun(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == '"';
}

struct UrlRun {
  size_t begin;
  size_t end;
};

// Length of the bare-URL scheme starting at `at`, or 0.
size_t SchemeAt(std::string_view text, size_t at) {
  if (at > 0 && IsAsciiAlnum(text[at - 1])) return 0;
  for (std::string_view scheme : kBareSchemes) {
    if (StartsWithNoCase(text, at, scheme)) return scheme.size();
  }
  return 0;
}

std::optional<UrlRun> FindBareUrl(std::string_view text, size_t from) {
  for (size_t at = from; at < text.size(); ++at) {
    size_t scheme_len = SchemeAt(text, at);
    if (scheme_len == 0) continue;
    size_t end = at + scheme_len;
    while (end < text.size() && !EndsUrlRun(text[end])) ++end;
    while (end > at + scheme_len &&
           kTrailingPunctuation.find(text[end - 1]) != std::string_view::npos) {
      --end;
    }
    if (end > at + scheme_len) return UrlRun{at, end};
  }
  return std::nullopt;
}

}  // namespace

void TruncateUtf8(std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
}

bool HasAllowedScheme(std::string_view href) {
  return StartsWithNoCase(href, 0, "http:") || StartsWithNoCase(href, 0, "https:") ||
         StartsWithNoCase(href, 0, "mailto:");
}

bool TokenWriter::Fits(size_t new_tokens, size_t new_open) const {
  return out_.size() + new_tokens + open_ends_.size() + new_open <= kMaxTokens;
}

void TokenWriter::Open(MarkdownToken start, std::string end_type) {
  FlushText();
  if (stopped_) return;
  if (!Fits(1, 1)) {
    stopped_ = true;
    return;
  }
  Emit(std::move(start));
  open_ends_.push_back(std::move(end_type));
}

void TokenWriter::Close() {
  FlushText();
  if (stopped_ || open_ends_.empty()) return;
  Emit(MarkdownToken{.type = std::move(open_ends_.back())});
  open_ends_.pop_back();
}

void TokenWriter::Leaf(MarkdownToken token) {
  FlushText();
  if (stopped_) return;
  if (!Fits(1, 0)) {
    stopped_ = true;
    return;
  }
  Emit(std::move(token));
}

void TokenWriter::AppendText(std::string_view text, bool autolink) {
  if (stopped_) return;
  if (!has_pending_) {
    has_pending_ = true;
    pending_autolink_ = autolink;
  }
  // Keep a few bytes beyond the cap so TruncateUtf8 sees where the cut sequence starts.
  constexpr size_t kKeep = kMaxInlineBytes + 4;
  if (pending_.size() < kKeep) pending_.append(text.substr(0, kKeep - pending_.size()));
}

void TokenWriter::FlushText() {
  if (!has_pending_) return;
  has_pending_ = false;
  std::string text = std::move(pending_);
  pending_.clear();
  TruncateUtf8(text, kMaxInlineBytes);
  if (!pending_autolink_) {
    EmitText(std::move(text));
    return;
  }
  size_t pos = 0;
  while (auto run = FindBareUrl(text, pos)) {
    if (run->begin > pos) EmitText(text.substr(pos, run->begin - pos));
    EmitBareLink(text.substr(run->begin, run->end - run->begin));
    pos = run->end;
  }
  if (pos < text.size()) EmitText(text.substr(pos));
}

void TokenWriter::EmitText(std::string text) {
  if (stopped_ || text.empty()) return;
  if (!Fits(1, 0)) {
    stopped_ = true;
    return;
  }
  Emit(MarkdownToken{.type = "text", .text = std::move(text)});
}

void TokenWriter::EmitBareLink(std::string url) {
  if (stopped_) return;
  if (!Fits(3, 0)) {  // link_start, text, link_end as one unit: never an empty link
    stopped_ = true;
    return;
  }
  Emit(MarkdownToken{.type = "link_start", .href = url});
  Emit(MarkdownToken{.type = "text", .text = std::move(url)});
  Emit(MarkdownToken{.type = "link_end"});
}

std::vector<MarkdownToken> TokenWriter::Finish() {
  FlushText();
  while (!open_ends_.empty()) {
    Emit(MarkdownToken{.type = std::move(open_ends_.back())});
    open_ends_.pop_back();
  }
  return std::move(out_);
}

}  // namespace filament::markdown::internal
