#include "adapters/search/query_syntax.hpp"

#include <gtest/gtest.h>

namespace filament::search {
namespace {

using Kind = QueryAtom::Kind;

bool Valid(std::string_view q) { return ValidateQuery(q, QueryLimits{}).ok(); }

TEST(ValidateQuery, AcceptsAPlainQueryAndTrimsIt) {
  auto q = ValidateQuery("  release notes \n", QueryLimits{});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, "release notes");
}

TEST(ValidateQuery, TrimsUnicodeWhitespaceToo) {
  auto q = ValidateQuery("\u3000hello\u00a0", QueryLimits{});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, "hello");
}

TEST(ValidateQuery, RejectsEmptyAndBlank) {
  EXPECT_FALSE(Valid(""));
  EXPECT_FALSE(Valid("   \t\n"));
  EXPECT_FALSE(Valid("\u2003"));
}

TEST(ValidateQuery, LengthIsCountedInBytesAfterTrimming) {
  EXPECT_TRUE(Valid(std::string(256, 'a')));
  EXPECT_FALSE(Valid(std::string(257, 'a')));
  EXPECT_TRUE(Valid("  " + std::string(256, 'a') + "  "));
  std::string e_acute_128;  // 128 x "é" = 256 bytes
  for (int i = 0; i < 128; ++i) e_acute_128 += "\xc3\xa9";
  EXPECT_TRUE(Valid(e_acute_128));
  EXPECT_FALSE(Valid(e_acute_128 + "a"));
}

TEST(ValidateQuery, AtMostTwentyWhitespaceSeparatedTerms) {
  std::string twenty = "a b c d e f g h i j k l m n o p q r s t";
  EXPECT_TRUE(Valid(twenty));
  EXPECT_FALSE(Valid(twenty + " u"));
  EXPECT_FALSE(Valid("a\u3000b c d e f g h i j k l m n o p q r s t u"));  // U+3000 splits
  EXPECT_TRUE(Valid("a    b"));                                           // runs count once
}

TEST(ValidateQuery, WildcardsAndFuzzyAreCapped) {
  EXPECT_TRUE(Valid("a*b?c*d?"));
  EXPECT_FALSE(Valid("a*b?c*d?e*f"));
  EXPECT_TRUE(Valid("a~ b~"));
  EXPECT_FALSE(Valid("a~b~c~"));
}

TEST(ValidateQuery, ColonIsForbiddenAnywhere) {
  EXPECT_FALSE(Valid("author:alice"));
  EXPECT_FALSE(Valid("\"a:b\""));
  EXPECT_FALSE(Valid(":"));
}

TEST(ValidateQuery, LimitsComeFromTheCaller) {
  QueryLimits tight{.max_bytes = 5, .max_terms = 2, .max_wildcards = 1, .max_fuzzy = 1};
  EXPECT_TRUE(ValidateQuery("ab cd", tight).ok());
  EXPECT_FALSE(ValidateQuery("abcdef", tight).ok());
  EXPECT_FALSE(ValidateQuery("a b c", tight).ok());
  EXPECT_FALSE(ValidateQuery("a* b*", tight).ok());
}

TEST(ValidateQuery, RejectsInvalidUtf8WithTheSearchReason) {
  for (std::string bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    auto q = ValidateQuery(bad, QueryLimits{});
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_EQ(q.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(q.error().reason, kReasonInvalidQuery);
  }
}

ParsedQuery Parse(std::string_view q) {
  auto parsed = ParseQuery(q);
  EXPECT_TRUE(parsed.ok()) << q << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : ParsedQuery{};
}

TEST(ParseQuery, PlainWordsAreRequiredClauses) {
  auto q = Parse("hello World");
  ASSERT_EQ(q.clauses.size(), 2u);
  EXPECT_EQ(q.clauses[0], (QueryClause{{{Kind::kWord, "hello"}}, false}));
  EXPECT_EQ(q.clauses[1], (QueryClause{{{Kind::kWord, "World"}}, false}));
}

TEST(ParseQuery, PhrasesWithOptionalSlop) {
  auto q = Parse("\"kafka consumer\" \"a b\"~3 \"c d\"~");
  ASSERT_EQ(q.clauses.size(), 3u);
  EXPECT_EQ(q.clauses[0].any[0], (QueryAtom{Kind::kPhrase, "kafka consumer", 0}));
  EXPECT_EQ(q.clauses[1].any[0], (QueryAtom{Kind::kPhrase, "a b", 3}));
  EXPECT_EQ(q.clauses[2].any[0], (QueryAtom{Kind::kPhrase, "c d", 1}));
}

TEST(ParseQuery, PrefixPatternAndFuzzy) {
  auto q = Parse("depl* de?loy d*oy deploi~ deploi~2");
  ASSERT_EQ(q.clauses.size(), 5u);
  EXPECT_EQ(q.clauses[0].any[0], (QueryAtom{Kind::kPrefix, "depl"}));
  EXPECT_EQ(q.clauses[1].any[0], (QueryAtom{Kind::kPattern, "de?loy"}));
  EXPECT_EQ(q.clauses[2].any[0], (QueryAtom{Kind::kPattern, "d*oy"}));
  EXPECT_EQ(q.clauses[3].any[0], (QueryAtom{Kind::kFuzzy, "deploi", 1}));
  EXPECT_EQ(q.clauses[4].any[0], (QueryAtom{Kind::kFuzzy, "deploi", 2}));
}

TEST(ParseQuery, OrGroupsAdjacentTermsAndBindsTighterThanAnd) {
  auto q = Parse("bug OR incident rollback");
  ASSERT_EQ(q.clauses.size(), 2u);
  EXPECT_EQ(q.clauses[0].any.size(), 2u);
  EXPECT_EQ(q.clauses[0].any[1].text, "incident");
  EXPECT_EQ(q.clauses[1].any[0].text, "rollback");
}

TEST(ParseQuery, ExclusionByMinusOrNot) {
  auto q = Parse("deploy -rollback NOT friday +monday AND tuesday");
  ASSERT_EQ(q.clauses.size(), 5u);
  EXPECT_FALSE(q.clauses[0].excluded);
  EXPECT_TRUE(q.clauses[1].excluded);
  EXPECT_TRUE(q.clauses[2].excluded);
  EXPECT_EQ(q.clauses[2].any[0].text, "friday");
  EXPECT_FALSE(q.clauses[3].excluded);
  EXPECT_EQ(q.clauses[3].any[0].text, "monday");
  EXPECT_EQ(q.clauses[4].any[0].text, "tuesday");
}

TEST(ParseQuery, ExcludedPhrase) {
  auto q = Parse("deploy -\"on friday\"");
  ASSERT_EQ(q.clauses.size(), 2u);
  EXPECT_TRUE(q.clauses[1].excluded);
  EXPECT_EQ(q.clauses[1].any[0], (QueryAtom{Kind::kPhrase, "on friday"}));
}

TEST(ParseQuery, LoneSignsAndLowercaseOperatorsAreWords) {
  auto q = Parse("a - b or c");
  ASSERT_EQ(q.clauses.size(), 4u);
  EXPECT_EQ(q.clauses[2].any[0].text, "or");
}

TEST(ParseQuery, SyntaxErrorsAreInvalidArgument) {
  for (std::string_view bad :
       {"\"open", "*foo", "?oo", "~foo", "foo~3", "fo~o", "foo*~", "OR foo", "foo OR",
        "foo OR OR bar", "NOT", "foo NOT", "a OR -b", "-a OR b", "\"a b\"~x", "\"a\"~100"}) {
    auto q = ParseQuery(bad);
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_EQ(q.error().code, core::ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(q.error().reason, kReasonInvalidQuery) << bad;
  }
}

TEST(Utf8, DecodesAndRejects) {
  size_t i = 0;
  char32_t c = 0;
  std::string snow = "\xe2\x98\x83";
  ASSERT_TRUE(DecodeUtf8(snow, i, c));
  EXPECT_EQ(c, U'\u2603');
  EXPECT_EQ(i, 3u);
  i = 0;
  EXPECT_FALSE(DecodeUtf8("\xe2\x98", i, c));
}

}  // namespace
}  // namespace filament::search
