#include "api/support/json_body.hpp"

#include <random>

#include <gtest/gtest.h>

#include "api/support/errors.hpp"

namespace filament::api {
namespace {

int StatusOf(const core::Error& error) { return MapError(error).status; }

JsonObjectReader Reader(std::string_view body) {
  auto reader = JsonObjectReader::Parse(body);
  EXPECT_TRUE(reader.ok()) << body;
  return std::move(reader).value();
}

int FinishStatus(const JsonObjectReader& reader) {
  core::Status status = reader.Finish();
  return status.ok() ? 200 : StatusOf(status.error());
}

TEST(JsonContentType, AcceptsJsonWithParametersAnyCase) {
  EXPECT_TRUE(CheckJsonContentType("application/json").ok());
  EXPECT_TRUE(CheckJsonContentType("Application/JSON; charset=utf-8").ok());
  EXPECT_TRUE(CheckJsonContentType(" application/json ;charset=UTF-8").ok());
  EXPECT_TRUE(CheckJsonContentType("application/merge-patch+json").ok());
}

TEST(JsonContentType, RejectsOthersWith415) {
  for (std::string_view type : {"text/plain", "application/jsonx", "application/x-www-form", "json",
                                "", "application/", "text/json", "application/+json"}) {
    core::Status status = CheckJsonContentType(type);
    ASSERT_FALSE(status.ok()) << type;
    EXPECT_EQ(StatusOf(status.error()), 415) << type;
  }
  EXPECT_EQ(StatusOf(CheckJsonContentType(std::nullopt).error()), 415);
}

TEST(JsonBody, ContentTypeIsCheckedBeforeSyntax) {
  auto result = ParseJsonBody("text/plain", "{not json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(StatusOf(result.error()), 415);
}

TEST(JsonBody, MalformedIs400) {
  for (std::string_view body : {"", "{", "{\"a\":}", "{\"a\":1,}", "{} trailing", "nul",
                                "{\"a\":\"\\ud800\"}", "{\"a\":\"\xff\"}", "{'a':1}"}) {
    auto result = JsonObjectReader::Parse(body);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_EQ(StatusOf(result.error()), 400) << body;
  }
}

TEST(JsonBody, TooDeepIs400AndDepthLimitAllowsShallow) {
  std::string deep = "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}";
  auto result = JsonObjectReader::Parse(deep);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(StatusOf(result.error()), 400);
  // A megabyte of brackets is rejected before any tree is built.
  EXPECT_FALSE(JsonObjectReader::Parse(std::string(1 << 20, '[')).ok());
  // Brackets inside strings do not count.
  EXPECT_TRUE(JsonObjectReader::Parse("{\"a\":\"" + std::string(100, '[') + "\\\"\"}").ok());
}

TEST(JsonBody, NonObjectAndDuplicateKeysAre422) {
  for (std::string_view body : {"[]", "1", "\"s\"", "null", "{\"a\":1,\"a\":2}"}) {
    auto result = JsonObjectReader::Parse(body);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_EQ(StatusOf(result.error()), 422) << body;
  }
}

TEST(JsonObjectReader, ReadsAllTypes) {
  JsonObjectReader r =
      Reader(R"({"name":"x","flag":true,"n":-5,"ids":["a","b"],"kind":"voice","perms":["p1"]})");
  EXPECT_EQ(r.RequiredString("name"), "x");
  EXPECT_EQ(r.OptionalBool("flag"), true);
  EXPECT_EQ(r.RequiredInt("n"), -5);
  EXPECT_EQ(r.RequiredStringArray("ids"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.OptionalEnum("kind", {"text", "voice"}), "voice");
  EXPECT_EQ(r.RequiredEnumArray("perms", {"p1", "p2"}), (std::vector<std::string>{"p1"}));
  EXPECT_EQ(r.OptionalString("absent"), std::nullopt);
  EXPECT_EQ(FinishStatus(r), 200);
}

TEST(JsonObjectReader, UnknownFieldIs422) {
  JsonObjectReader r = Reader(R"({"name":"x","extra":1})");
  EXPECT_EQ(r.RequiredString("name"), "x");
  EXPECT_EQ(FinishStatus(r), 422);
}

TEST(JsonObjectReader, MissingRequiredIs422) {
  JsonObjectReader r = Reader(R"({})");
  r.RequiredString("name");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(FinishStatus(r), 422);
}

TEST(JsonObjectReader, WrongTypesAre422) {
  struct Case {
    const char* body;
    void (*read)(JsonObjectReader&);
  };
  const Case cases[] = {
      {R"({"k":1})", [](JsonObjectReader& r) { r.RequiredString("k"); }},
      {R"({"k":null})", [](JsonObjectReader& r) { r.RequiredString("k"); }},
      {R"({"k":"true"})", [](JsonObjectReader& r) { r.OptionalBool("k"); }},
      {R"({"k":1.0})", [](JsonObjectReader& r) { r.OptionalInt("k"); }},
      {R"({"k":"5"})", [](JsonObjectReader& r) { r.RequiredInt("k"); }},
      {R"({"k":2147483648})",
       [](JsonObjectReader& r) { r.OptionalInt("k", INT32_MIN, INT32_MAX); }},
      {R"({"k":18446744073709551615})", [](JsonObjectReader& r) { r.OptionalInt("k"); }},
      {R"({"k":-1})", [](JsonObjectReader& r) { r.OptionalInt("k", 0); }},
      {R"({"k":["a",1]})", [](JsonObjectReader& r) { r.OptionalStringArray("k"); }},
      {R"({"k":"a"})", [](JsonObjectReader& r) { r.RequiredStringArray("k"); }},
      {R"({"k":"public_ish"})", [](JsonObjectReader& r) { r.OptionalEnum("k", {"public"}); }},
      {R"({"k":["not_a_permission"]})",
       [](JsonObjectReader& r) { r.OptionalEnumArray("k", {"create_message"}); }},
  };
  for (const Case& c : cases) {
    JsonObjectReader r = Reader(c.body);
    c.read(r);
    EXPECT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(FinishStatus(r), 422) << c.body;
  }
}

TEST(JsonObjectReader, IntegerBoundsAreInclusive) {
  JsonObjectReader r = Reader(R"({"a":2147483647,"b":-2147483648,"c":9223372036854775807})");
  EXPECT_EQ(r.RequiredInt("a", INT32_MIN, INT32_MAX), INT32_MAX);
  EXPECT_EQ(r.RequiredInt("b", INT32_MIN, INT32_MAX), INT32_MIN);
  EXPECT_EQ(r.RequiredInt("c"), INT64_MAX);
  EXPECT_EQ(FinishStatus(r), 200);
}

TEST(JsonObjectReader, OptionalTreatsNullAsAbsent) {
  JsonObjectReader r = Reader(R"({"visibility":null})");
  EXPECT_EQ(r.OptionalEnum("visibility", {"public"}), std::nullopt);
  EXPECT_EQ(FinishStatus(r), 200);
}

TEST(JsonObjectReader, NullableDistinguishesAbsentNullAndValue) {
  JsonObjectReader absent = Reader(R"({})");
  EXPECT_TRUE(absent.NullableString("color_hex").absent());
  JsonObjectReader null = Reader(R"({"color_hex":null})");
  EXPECT_TRUE(null.NullableString("color_hex").is_null());
  EXPECT_EQ(FinishStatus(null), 200);
  JsonObjectReader value = Reader(R"({"color_hex":"#ABCDEF"})");
  Nullable<std::string> color = value.NullableString("color_hex");
  ASSERT_TRUE(color.has_value());
  EXPECT_EQ(color.value, "#ABCDEF");
  JsonObjectReader wrong = Reader(R"({"color_hex":7})");
  EXPECT_FALSE(wrong.NullableString("color_hex").has_value());
  EXPECT_EQ(FinishStatus(wrong), 422);
}

TEST(JsonObjectReader, FirstErrorIsSticky) {
  JsonObjectReader r = Reader(R"({"a":1,"b":"x"})");
  r.RequiredString("a");
  EXPECT_EQ(r.RequiredString("b"), "x");
  EXPECT_EQ(FinishStatus(r), 422);
}

TEST(JsonObjectReader, UnicodeStringsSurvive) {
  JsonObjectReader r = Reader("{\"m\":\"h\\u00e9llo \xf0\x9f\x98\x80\"}");
  EXPECT_EQ(r.RequiredString("m"), "h\xc3\xa9llo \xf0\x9f\x98\x80");
  EXPECT_EQ(FinishStatus(r), 200);
}

}  // namespace
}  // namespace filament::api

namespace filament::api {
namespace {

TEST(JsonBodyRobustness, RandomInputNeverCrashes) {
  std::mt19937 random(11);
  const std::string alphabet = "{}[]\",:0123456789.eE-+truefalsn \\u\xc3\xa9\xff";
  for (int i = 0; i < 5000; ++i) {
    std::string body(random() % 40, ' ');
    for (char& c : body) c = alphabet[random() % alphabet.size()];
    if (i % 3 == 0) body = "{\"k\":" + body + "}";
    auto reader = JsonObjectReader::Parse(body);
    if (!reader.ok()) {
      int status = MapError(reader.error()).status;
      EXPECT_TRUE(status == 400 || status == 422) << body;
      continue;
    }
    (void)reader->OptionalInt("k", 0, 10);
    (void)reader->Finish();
  }
}

}  // namespace
}  // namespace filament::api
