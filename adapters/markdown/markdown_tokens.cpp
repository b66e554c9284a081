#include "adapters/markdown/markdown_tokens.hpp"

#include <memory>

#include <cmark.h>
#include <nlohmann/json.hpp>

#include "adapters/markdown/token_writer.hpp"
#include "core/json_text.hpp"

namespace filament::markdown {
namespace {

// CMARK_OPT_DEFAULT plus UTF-8 validation: invalid sequences become U+FFFD, so every string
// we hand to JSON is valid UTF-8. Validation changes no CommonMark semantics.
constexpr int kCmarkOptions = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;

struct NodeDeleter {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
};
struct IterDeleter {
  void operator()(cmark_iter* iter) const { cmark_iter_free(iter); }
};

std::string_view Literal(cmark_node* node) {
  const char* literal = cmark_node_get_literal(node);
  return literal == nullptr ? std::string_view() : std::string_view(literal);
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimAscii(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool IsLanguageChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '+' || c == '.' || c == '-';
}

// First word of the info string if it is a valid language name, lowercased.
std::optional<std::string> LanguageOf(cmark_node* code_block) {
  const char* info = cmark_node_get_fence_info(code_block);
  std::string_view word = TrimAscii(info == nullptr ? std::string_view() : info);
  size_t end = 0;
  while (end < word.size() && !IsSpace(word[end])) ++end;
  word = word.substr(0, end);
  if (word.empty() || word.size() > kMaxLanguageChars) return std::nullopt;
  std::string language;
  for (char c : word) {
    if (!IsLanguageChar(c)) return std::nullopt;
    language.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return language;
}

// The trimmed href when the link survives the scheme and length rules.
std::optional<std::string> KeptHref(cmark_node* link) {
  const char* url = cmark_node_get_url(link);
  std::string_view href = TrimAscii(url == nullptr ? std::string_view() : url);
  if (href.size() > kMaxInlineBytes || !internal::HasAllowedScheme(href)) return std::nullopt;
  return std::string(href);
}

bool InTightListItem(cmark_node* paragraph) {
  cmark_node* item = cmark_node_parent(paragraph);
  if (item == nullptr || cmark_node_get_type(item) != CMARK_NODE_ITEM) return false;
  cmark_node* list = cmark_node_parent(item);
  return list != nullptr && cmark_node_get_list_tight(list) != 0;
}

// Walks the cmark tree (iteratively: deep nesting cannot overflow the stack).
class Walker {
 public:
  void Enter(cmark_node* node);
  void Exit(cmark_node* node);
  std::vector<MarkdownToken> Finish() { return writer_.Finish(); }

 private:
  void EnterLeaf(cmark_node* node);
  void Open(std::string start, std::string end) {
    writer_.Open(MarkdownToken{.type = std::move(start)}, std::move(end));
  }

  internal::TokenWriter writer_;
  size_t fenced_blocks_ = 0;
  int link_depth_ = 0;
};

void Walker::Enter(cmark_node* node) {
  switch (cmark_node_get_type(node)) {
    case CMARK_NODE_PARAGRAPH:
      if (!InTightListItem(node)) Open("paragraph_start", "paragraph_end");
      return;
    case CMARK_NODE_HEADING:
      writer_.Open(
          MarkdownToken{.type = "heading_start", .level = cmark_node_get_heading_level(node)},
          "heading_end");
      return;
    case CMARK_NODE_EMPH:
      return Open("emphasis_start", "emphasis_end");
    case CMARK_NODE_STRONG:
      return Open("strong_start", "strong_end");
    case CMARK_NODE_LIST:
      writer_.Open(MarkdownToken{.type = "list_start",
                                 .ordered = cmark_node_get_list_type(node) == CMARK_ORDERED_LIST},
                   "list_end");
      return;
    case CMARK_NODE_ITEM:
      return Open("list_item_start", "list_item_end");
    case CMARK_NODE_LINK:
      writer_.FlushText();
      ++link_depth_;
      if (auto href = KeptHref(node)) {
        writer_.Open(MarkdownToken{.type = "link_start", .href = std::move(*href)}, "link_end");
      }
      return;
    default:
      return EnterLeaf(node);
  }
}

void Walker::EnterLeaf(cmark_node* node) {
  switch (cmark_node_get_type(node)) {
    case CMARK_NODE_TEXT:
      return writer_.AppendText(Literal(node), link_depth_ == 0);
    case CMARK_NODE_CODE: {
      std::string code(Literal(node));
      internal::TruncateUtf8(code, kMaxInlineBytes);
      return writer_.Leaf(MarkdownToken{.type = "code", .code = std::move(code)});
    }
    case CMARK_NODE_CODE_BLOCK: {
      if (fenced_blocks_ >= kMaxFencedBlocks) return;  // extra blocks are dropped
      ++fenced_blocks_;
      std::string code(Literal(node));
      internal::TruncateUtf8(code, kMaxFencedBlockBytes);
      return writer_.Leaf(MarkdownToken{
          .type = "fenced_code", .code = std::move(code), .language = LanguageOf(node)});
    }
    case CMARK_NODE_SOFTBREAK:
      return writer_.Leaf(MarkdownToken{.type = "soft_break"});
    case CMARK_NODE_LINEBREAK:
      return writer_.Leaf(MarkdownToken{.type = "hard_break"});
    default:  // document, block quote, thematic break, image, raw HTML, custom: no token
      return;
  }
}

void Walker::Exit(cmark_node* node) {
  switch (cmark_node_get_type(node)) {
    case CMARK_NODE_PARAGRAPH:
      if (!InTightListItem(node)) writer_.Close();
      return;
    case CMARK_NODE_HEADING:
    case CMARK_NODE_EMPH:
    case CMARK_NODE_STRONG:
    case CMARK_NODE_LIST:
    case CMARK_NODE_ITEM:
      return writer_.Close();
    case CMARK_NODE_LINK:
      writer_.FlushText();
      --link_depth_;
      if (KeptHref(node)) writer_.Close();
      return;
    default:
      return;
  }
}

}  // namespace

std::vector<MarkdownToken> TokenizeMarkdown(std::string_view content) {
  if (content.empty()) return {};
  std::unique_ptr<cmark_node, NodeDeleter> document(
      cmark_parse_document(content.data(), content.size(), kCmarkOptions));
  if (!document) return {};
  std::unique_ptr<cmark_iter, IterDeleter> iter(cmark_iter_new(document.get()));
  Walker walker;
  cmark_event_type event;
  while ((event = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE) {
    cmark_node* node = cmark_iter_get_node(iter.get());
    if (event == CMARK_EVENT_ENTER) {
      walker.Enter(node);
    } else if (event == CMARK_EVENT_EXIT) {
      walker.Exit(node);
    }
  }
  return walker.Finish();
}

namespace internal {

std::string MarkdownTokensToJsonDocument(const std::vector<MarkdownToken>& tokens) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const MarkdownToken& token : tokens) {
    nlohmann::ordered_json object;
    object["type"] = token.type;
    if (token.type == "heading_start") object["level"] = token.level.value_or(1);
    if (token.type == "list_start") object["ordered"] = token.ordered.value_or(false);
    if (token.type == "link_start") object["href"] = token.href;
    if (token.type == "text") object["text"] = token.text;
    if (token.type == "fenced_code") {
      object["language"] = token.language ? nlohmann::ordered_json(*token.language) : nullptr;
    }
    if (token.type == "code" || token.type == "fenced_code") object["code"] = token.code;
    array.push_back(std::move(object));
  }
  return array.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace internal

// Written directly (ADR 0108): the same bytes as the document form, without building one per
// message; every post is tokenized for its response, its gateway event and its read-model row.
std::string MarkdownTokensToJson(const std::vector<MarkdownToken>& tokens) {
  std::string out;
  out.reserve(16 + tokens.size() * 32);
  out += '[';
  for (const MarkdownToken& token : tokens) {
    if (out.size() > 1) out += ',';
    bool ok = true;
    auto text = [&](std::string_view key, std::string_view value) {
      out += ",\"";
      out += key;
      out += "\":";
      ok = ok && core::AppendJsonString(out, value);
    };
    out += "{\"type\":";
    ok = core::AppendJsonString(out, token.type);
    if (token.type == "heading_start") {
      out += ",\"level\":" + std::to_string(token.level.value_or(1));
    } else if (token.type == "list_start") {
      out += token.ordered.value_or(false) ? ",\"ordered\":true" : ",\"ordered\":false";
    } else if (token.type == "link_start") {
      text("href", token.href);
    } else if (token.type == "text") {
      text("text", token.text);
    } else if (token.type == "fenced_code") {
      if (token.language) {
        text("language", *token.language);
      } else {
        out += ",\"language\":null";
      }
    }
    if (token.type == "code" || token.type == "fenced_code") text("code", token.code);
    if (!ok)
      return internal::MarkdownTokensToJsonDocument(tokens);  // not expected: cmark validates
    out += '}';
  }
  out += ']';
  return out;
}

std::string MarkdownTokensJson(std::string_view content) {
  return MarkdownTokensToJson(TokenizeMarkdown(content));
}

}  // namespace filament::markdown
