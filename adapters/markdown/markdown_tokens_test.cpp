#include "adapters/markdown/markdown_tokens.hpp"

#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/markdown/token_writer.hpp"

namespace filament::markdown {
namespace {

using namespace std::string_view_literals;

// Compact rendering for assertions: types joined by spaces, with the payload in brackets.
std::string Show(const std::vector<MarkdownToken>& tokens) {
  std::string out;
  for (const MarkdownToken& t : tokens) {
    if (!out.empty()) out += ' ';
    out += t.type;
    if (t.level) out += "[" + std::to_string(*t.level) + "]";
    if (t.ordered) out += *t.ordered ? "[ordered]" : "[bullet]";
    if (t.type == "link_start") out += "[" + t.href + "]";
    if (t.type == "text") out += "[" + t.text + "]";
    if (t.type == "code") out += "[" + t.code + "]";
    if (t.type == "fenced_code") out += "[" + t.language.value_or("null") + "|" + t.code + "]";
  }
  return out;
}

std::string Show(std::string_view markdown) { return Show(TokenizeMarkdown(markdown)); }

// Every *_start is closed by the matching *_end, innermost first.
bool IsBalanced(const std::vector<MarkdownToken>& tokens) {
  std::vector<std::string> open;
  for (const MarkdownToken& t : tokens) {
    std::string_view type = t.type;
    if (type.ends_with("_start")) {
      open.emplace_back(type.substr(0, type.size() - 6));
    } else if (type.ends_with("_end")) {
      if (open.empty() || open.back() != type.substr(0, type.size() - 4)) return false;
      open.pop_back();
    }
  }
  return open.empty();
}

size_t CountType(const std::vector<MarkdownToken>& tokens, std::string_view type) {
  size_t n = 0;
  for (const MarkdownToken& t : tokens) n += t.type == type ? 1 : 0;
  return n;
}

TEST(Markdown, EmptyContentIsAnEmptyArray) {
  EXPECT_TRUE(TokenizeMarkdown("").empty());
  EXPECT_EQ(MarkdownTokensJson(""), "[]");
}

TEST(Markdown, JsonShapeIsTypeTaggedAndCompact) {
  EXPECT_EQ(MarkdownTokensJson("# Hi"),
            R"([{"type":"heading_start","level":1},{"type":"text","text":"Hi"},)"
            R"({"type":"heading_end"}])");
  EXPECT_EQ(MarkdownTokensJson("```\nx\n```"),
            R"([{"type":"fenced_code","language":null,"code":"x\n"}])");
  EXPECT_EQ(MarkdownTokensJson("1. a"),
            R"([{"type":"list_start","ordered":true},{"type":"list_item_start"},)"
            R"({"type":"text","text":"a"},{"type":"list_item_end"},{"type":"list_end"}])");
  EXPECT_EQ(MarkdownTokensJson("[a](http://x) `c`"),
            R"([{"type":"paragraph_start"},{"type":"link_start","href":"http://x"},)"
            R"({"type":"text","text":"a"},{"type":"link_end"},{"type":"text","text":" "},)"
            R"({"type":"code","code":"c"},{"type":"paragraph_end"}])");
}

TEST(Markdown, ParagraphsAndBreaks) {
  EXPECT_EQ(Show("hello\nworld  \nagain"),
            "paragraph_start text[hello] soft_break text[world] hard_break text[again] "
            "paragraph_end");
  EXPECT_EQ(Show("a\n\nb"),
            "paragraph_start text[a] paragraph_end paragraph_start text[b] paragraph_end");
  EXPECT_EQ(Show("a\\\nb"), "paragraph_start text[a] hard_break text[b] paragraph_end");
}

TEST(Markdown, HeadingsCarryTheirLevel) {
  for (int level = 1; level <= 6; ++level) {
    std::string md = std::string(level, '#') + " t";
    EXPECT_EQ(Show(md), "heading_start[" + std::to_string(level) + "] text[t] heading_end");
  }
  EXPECT_EQ(Show("t\n==="), "heading_start[1] text[t] heading_end");
  EXPECT_EQ(Show("####### t"), "paragraph_start text[####### t] paragraph_end");
}

TEST(Markdown, EmphasisAndStrong) {
  EXPECT_EQ(Show("*a* **b** _c_ __d__"),
            "paragraph_start emphasis_start text[a] emphasis_end text[ ] strong_start text[b] "
            "strong_end text[ ] emphasis_start text[c] emphasis_end text[ ] strong_start text[d] "
            "strong_end paragraph_end");
}

TEST(Markdown, ListsTightAndLoose) {
  EXPECT_EQ(Show("- a\n- b"),
            "list_start[bullet] list_item_start text[a] list_item_end list_item_start text[b] "
            "list_item_end list_end");
  EXPECT_EQ(Show("1. a\n\n2. b"),
            "list_start[ordered] list_item_start paragraph_start text[a] paragraph_end "
            "list_item_end list_item_start paragraph_start text[b] paragraph_end list_item_end "
            "list_end");
}

TEST(Markdown, LinksKeepOnlyWebAndMailSchemes) {
  EXPECT_EQ(Show("[a](https://x.y/z)"),
            "paragraph_start link_start[https://x.y/z] text[a] link_end paragraph_end");
  EXPECT_EQ(Show("[a](HTTP://X)"),
            "paragraph_start link_start[HTTP://X] text[a] link_end paragraph_end");
  EXPECT_EQ(Show("[m](mailto:a@b.c)"),
            "paragraph_start link_start[mailto:a@b.c] text[m] link_end paragraph_end");
  EXPECT_EQ(Show("[a](< http://x >)"),
            "paragraph_start link_start[http://x] text[a] link_end paragraph_end");
  EXPECT_EQ(Show("<https://a.b>"),
            "paragraph_start link_start[https://a.b] text[https://a.b] link_end paragraph_end");
  // Dropped links keep their text (a link boundary always ends a text token).
  EXPECT_EQ(Show("x [a *b*](javascript:alert(1)) y"),
            "paragraph_start text[x ] text[a ] emphasis_start text[b] emphasis_end text[ y] "
            "paragraph_end");
  EXPECT_EQ(Show("[a](/relative) [b](ftp://x) [c](data:x)"),
            "paragraph_start text[a] text[ ] text[b] text[ ] text[c] paragraph_end");
  // The text of a dropped link is never turned into a bare link either.
  EXPECT_EQ(Show("[http://a.b](javascript:x)"), "paragraph_start text[http://a.b] paragraph_end");
}

TEST(Markdown, OverlongHrefDropsTheLinkButKeepsText) {
  std::string md = "[a](http://x/" + std::string(kMaxInlineBytes, 'y') + ")";
  EXPECT_EQ(Show(md), "paragraph_start text[a] paragraph_end");
}

TEST(Markdown, BareUrlsBecomeLinks) {
  EXPECT_EQ(Show("see https://e.com/x?a=1)."),
            "paragraph_start text[see ] link_start[https://e.com/x?a=1] text[https://e.com/x?a=1] "
            "link_end text[).] paragraph_end");
  EXPECT_EQ(Show("(mailto:a@b.c) HTTP://A.B!"),
            "paragraph_start text[(] link_start[mailto:a@b.c] text[mailto:a@b.c] link_end "
            "text[) ] link_start[HTTP://A.B] text[HTTP://A.B] link_end text[!] paragraph_end");
  EXPECT_EQ(Show("xhttp://a.b http:// https://..."),
            "paragraph_start text[xhttp://a.b http:// https://...] paragraph_end");
  // Not inside a link, not inside code.
  EXPECT_EQ(Show("[https://a.b](https://c.d) `http://e.f`"),
            "paragraph_start link_start[https://c.d] text[https://a.b] link_end text[ ] "
            "code[http://e.f] paragraph_end");
}

TEST(Markdown, InlineAndFencedCode) {
  EXPECT_EQ(Show("`a  b`"), "paragraph_start code[a  b] paragraph_end");
  EXPECT_EQ(Show("```C++ extra words\nint x;\n```"), "fenced_code[c++|int x;\n]");
  EXPECT_EQ(Show("~~~Rust\nfn\n~~~"), "fenced_code[rust|fn\n]");
  EXPECT_EQ(Show("```py{thon}\nx\n```"), "fenced_code[null|x\n]");
  EXPECT_EQ(Show("```" + std::string(33, 'a') + "\nx\n```"), "fenced_code[null|x\n]");
  EXPECT_EQ(Show("```" + std::string(32, 'A') + "\nx\n```"),
            "fenced_code[" + std::string(32, 'a') + "|x\n]");
  EXPECT_EQ(Show("    indented\n"), "fenced_code[null|indented\n]");
}

TEST(Markdown, RawHtmlIsDropped) {
  EXPECT_EQ(Show("<div>\nsecret\n</div>\n\nok"), "paragraph_start text[ok] paragraph_end");
  EXPECT_EQ(Show("a <b>c</b> <script>x</script>"), "paragraph_start text[a c x] paragraph_end");
}

TEST(Markdown, ImagesKeepAltText) {
  EXPECT_EQ(Show("![alt *x*](http://img/p.png)"),
            "paragraph_start text[alt ] emphasis_start text[x] emphasis_end paragraph_end");
}

TEST(Markdown, QuotesAndRulesHaveNoTokens) {
  EXPECT_EQ(Show("> quoted\n\n---\n\nafter"),
            "paragraph_start text[quoted] paragraph_end paragraph_start text[after] paragraph_end");
}

TEST(Markdown, InvalidUtf8IsReplaced) {
  auto tokens = TokenizeMarkdown(
      "a\xff\xfe"
      "b\0c"sv);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1].text,
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c");
  EXPECT_TRUE(nlohmann::json::accept(MarkdownTokensJson("\xc3(\xe2\x82")));
}

TEST(MarkdownCaps, InlineTextIsCutAtUtf8Boundary) {
  std::string euro;
  for (int i = 0; i < 2000; ++i) euro += "\xE2\x82\xAC";  // 6000 bytes, 3 per char
  auto tokens = TokenizeMarkdown(euro);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1].text.size(), 4095u);
  EXPECT_EQ(tokens[1].text, euro.substr(0, 4095));
  auto ascii = TokenizeMarkdown(std::string(5000, 'a'));
  EXPECT_EQ(ascii[1].text, std::string(kMaxInlineBytes, 'a'));
}

TEST(MarkdownCaps, MergedTextIsCutToo) {
  // cmark splits this into many text nodes ('[' and '!' start new nodes).
  std::string md;
  for (int i = 0; i < 2000; ++i) md += "a[!";
  auto tokens = TokenizeMarkdown(md);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1].text.size(), kMaxInlineBytes);
}

TEST(MarkdownCaps, InlineCodeIsCut) {
  auto tokens = TokenizeMarkdown("`" + std::string(5000, 'c') + "`");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1].code, std::string(kMaxInlineBytes, 'c'));
}

TEST(MarkdownCaps, FencedBlockIsCut) {
  auto tokens = TokenizeMarkdown("```\n" + std::string(20000, 'x') + "\n```");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].code.size(), kMaxFencedBlockBytes);
}

TEST(MarkdownCaps, ExtraFencedBlocksAreDropped) {
  std::string md;
  for (int i = 0; i < 70; ++i) md += "```\nb" + std::to_string(i) + "\n```\n\ntext\n\n";
  auto tokens = TokenizeMarkdown(md);
  EXPECT_EQ(CountType(tokens, "fenced_code"), kMaxFencedBlocks);
  EXPECT_EQ(CountType(tokens, "paragraph_start"), 70u);
  EXPECT_TRUE(IsBalanced(tokens));
}

TEST(MarkdownCaps, TokenCapTruncatesAndStaysBalanced) {
  std::string md;
  for (int i = 0; i < 3000; ++i) md += "p *e*\n\n";
  auto tokens = TokenizeMarkdown(md);
  EXPECT_LE(tokens.size(), kMaxTokens);
  EXPECT_GE(tokens.size(), kMaxTokens - 8);
  EXPECT_TRUE(IsBalanced(tokens));
  EXPECT_EQ(tokens.back().type, "paragraph_end");
}

TEST(MarkdownCaps, DeepNestingIsClosedInnermostFirst) {
  std::string md;
  for (int i = 0; i < 3000; ++i) md += "- ";
  md += "x";
  auto tokens = TokenizeMarkdown(md);
  EXPECT_LE(tokens.size(), kMaxTokens);
  EXPECT_TRUE(IsBalanced(tokens));
  EXPECT_EQ(tokens.back().type, "list_end");
}

TEST(MarkdownCaps, BareLinkIsNeverSplitByTheCap) {
  std::string md;
  for (int i = 0; i < 2000; ++i) md += "- http://a.b c\n";
  auto tokens = TokenizeMarkdown(md);
  EXPECT_LE(tokens.size(), kMaxTokens);
  EXPECT_TRUE(IsBalanced(tokens));
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].type == "link_start") {
      ASSERT_LT(i + 2, tokens.size());
      EXPECT_EQ(tokens[i + 1].type, "text");
      EXPECT_EQ(tokens[i + 2].type, "link_end");
    }
  }
}

void ExpectSane(const std::string& md) {
  auto tokens = TokenizeMarkdown(md);
  ASSERT_LE(tokens.size(), kMaxTokens);
  ASSERT_TRUE(IsBalanced(tokens));
  const std::string json = MarkdownTokensToJson(tokens);
  ASSERT_TRUE(nlohmann::json::accept(json));
  ASSERT_EQ(json, internal::MarkdownTokensToJsonDocument(tokens)) << md;
}

TEST(MarkdownFuzz, RandomBytesNeverCrash) {
  std::mt19937 rng(12345);
  const std::string alphabet = "*_`#>-+1. []()!<>\\\n\n  ahttp://:~|\"&;\x80\xc3\xff";
  for (int round = 0; round < 1500; ++round) {
    std::string md(rng() % 800, '\0');
    bool raw = round % 2 == 0;
    for (char& c : md) c = raw ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    ExpectSane(md);
  }
}

// The direct writer gives the document's bytes for every token shape and every ASCII byte, and
// falls back to the document (U+FFFD) for a string that is not valid UTF-8.
TEST(MarkdownJson, WrittenDirectlyAsTheDocumentWouldBe) {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte += static_cast<char>(c);
  every_byte += std::string("\0\xc3\xa9\xf0\x9f\x91\x8d", 7);
  std::vector<MarkdownToken> tokens = {
      {.type = "paragraph_start"},
      {.type = "heading_start", .level = 3},
      {.type = "heading_start"},
      {.type = "list_start", .ordered = true},
      {.type = "list_start", .ordered = false},
      {.type = "list_start"},
      {.type = "link_start", .href = "https://x.test/?q=\"a\"&b=\\"},
      {.type = "text", .text = every_byte},
      {.type = "code", .code = "a\tb\nc"},
      {.type = "fenced_code", .code = "x\r\n", .language = "c++"},
      {.type = "fenced_code", .code = ""},
      {.type = "paragraph_end"},
  };
  EXPECT_EQ(MarkdownTokensToJson(tokens), internal::MarkdownTokensToJsonDocument(tokens));
  EXPECT_EQ(MarkdownTokensToJson({}), "[]");
  for (std::string invalid : {"\xff", "a\xc3", "\xed\xa0\x80"}) {
    std::vector<MarkdownToken> bad = {{.type = "text", .text = "ok"},
                                      {.type = "code", .code = invalid}};
    const std::string json = MarkdownTokensToJson(bad);
    EXPECT_EQ(json, internal::MarkdownTokensToJsonDocument(bad));
    EXPECT_NE(json.find("\xef\xbf\xbd"), std::string::npos) << json;  // U+FFFD
  }
}

TEST(MarkdownFuzz, PathologicalNestingNeverCrashes) {
  for (std::string unit :
       {">", "*", "_", "[", "](", "![", "- ", "1. ", "**a", "`", "<a ", "\\", "  - "}) {
    std::string md;
    for (int i = 0; i < 50000; ++i) md += unit;
    ExpectSane(md);
  }
  std::string brackets = std::string(20000, '[') + "a" + std::string(20000, ']') + "(http://x)";
  ExpectSane(brackets);
}

}  // namespace
}  // namespace filament::markdown
