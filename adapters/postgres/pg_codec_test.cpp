#include "adapters/postgres/pg_codec.hpp"

#include <gtest/gtest.h>

namespace filament::postgres::internal {
namespace {

TEST(PgCodec, StorableTextIsUtf8WithoutNul) {
  EXPECT_TRUE(IsStorableText(""));
  EXPECT_TRUE(IsStorableText("{\"a\":\"h\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC\"}"));
  EXPECT_FALSE(IsStorableText(std::string("a\0b", 3)));
  EXPECT_FALSE(IsStorableText("\xC3"));              // truncated
  EXPECT_FALSE(IsStorableText("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsStorableText("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsStorableText("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsStorableText("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsStorableText("\xFF"));
}

TEST(PgCodec, ArrayLiteralsQuoteEverything) {
  EXPECT_EQ(TextArrayLiteral({"a", "", "q\"b\\c", "{x, y}", "NULL"}),
            R"({"a","","q\"b\\c","{x, y}","NULL"})");
  EXPECT_EQ(IntArrayLiteral({1, -2, 9'000'000'000}), "{1,-2,9000000000}");
  EXPECT_EQ(IntArrayLiteral({}), "{}");
}

events::AppendBatch Batch(int64_t expected, int count) {
  events::AppendBatch batch{"guild:1", expected, {}};
  for (int i = 0; i < count; ++i) {
    events::LogRecord r;
    r.meta = {"id" + std::to_string(i), "t", 1, "guild:1", expected + i + 1, 0, "", "", ""};
    r.payload = "{}";
    batch.records.push_back(r);
  }
  return batch;
}

TEST(PgCodec, ValidBatchPasses) { EXPECT_TRUE(ValidateBatch(Batch(3, 2)).ok()); }

TEST(PgCodec, BadBatchesAreInvalid) {
  auto invalid = [](const events::AppendBatch& b) {
    auto status = ValidateBatch(b);
    return !status.ok() && status.error().code == core::ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid(Batch(0, 0)));
  auto b = Batch(0, 2);
  b.records[1].meta.stream_version = 5;
  EXPECT_TRUE(invalid(b));
  b = Batch(0, 1);
  b.records[0].meta.type.clear();
  EXPECT_TRUE(invalid(b));
  b = Batch(0, 1);
  b.records[0].meta.schema_version = 0;
  EXPECT_TRUE(invalid(b));
  b = Batch(0, 1);
  b.expected_version = -2;
  EXPECT_TRUE(invalid(b));
  b = Batch(0, 1);
  b.records[0].payload.assign(kMaxPayloadBytes + 1, 'x');
  EXPECT_TRUE(invalid(b));
  b = Batch(events::AppendBatch::kAnyVersion, 2);  // versions are the log's to assign
  EXPECT_TRUE(ValidateBatch(b).ok());
}

}  // namespace
}  // namespace filament::postgres::internal
