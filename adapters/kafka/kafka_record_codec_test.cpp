#include "adapters/kafka/kafka_record_codec.hpp"

#include <map>

#include <gtest/gtest.h>

namespace filament::adapters::kafka_codec {
namespace {

events::RecordMeta SampleMeta() {
  events::RecordMeta m;
  m.event_id = "01HZX3F4G5H6J7K8M9N0P1Q2R3";
  m.type = "message_posted";
  m.schema_version = 2;
  m.stream = "guild:01HZX3F4G5H6J7K8M9N0P1Q2R4";
  m.stream_version = 17;
  m.time_unix_ms = 1714566896789;
  m.actor_user_id = "01HZX3F4G5H6J7K8M9N0P1Q2R5";
  m.correlation_id = "req-1";
  m.causation_id = "cmd-1";
  return m;
}

struct Headers {
  std::map<std::string, std::string, std::less<>> values;
  HeaderLookup Lookup() const {
    return [this](std::string_view name) -> std::optional<std::string_view> {
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  }
};

Headers Encode(const events::RecordMeta& meta) {
  Headers h;
  for (auto& [name, value] : EncodeHeaders(meta)) h.values[name] = value;
  return h;
}

TEST(KafkaCodec, RoundTripsEveryField) {
  events::RecordMeta meta = SampleMeta();
  Headers h = Encode(meta);
  events::RecordMeta back;
  EXPECT_EQ(DecodeHeaders(h.Lookup(), meta.stream, back), std::nullopt);
  EXPECT_EQ(back, meta);
}

TEST(KafkaCodec, WritesCloudEventsBinaryHeaders) {
  Headers h = Encode(SampleMeta());
  EXPECT_EQ(h.values["ce_specversion"], "1.0");
  EXPECT_EQ(h.values["ce_source"], "/filament");
  EXPECT_EQ(h.values["ce_time"], "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(h.values["ce_subject"], "guild:01HZX3F4G5H6J7K8M9N0P1Q2R4");
  EXPECT_EQ(h.values["content-type"], "application/json");
  EXPECT_EQ(h.values["stream_version"], "17");
}

TEST(KafkaCodec, MissingRequiredHeaderIsADecodeErrorNamingIt) {
  events::RecordMeta meta = SampleMeta();
  Headers h = Encode(meta);
  h.values.erase("ce_type");
  events::RecordMeta back;
  auto error = DecodeHeaders(h.Lookup(), meta.stream, back);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, core::ErrorCode::kInternal);
  EXPECT_NE(error->message.find("ce_type"), std::string::npos);
  EXPECT_EQ(back.event_id, meta.event_id);  // what could be read is kept
}

TEST(KafkaCodec, BadNumbersAreDecodeErrors) {
  for (std::string bad : {"", "12a", "-3", "0", "99999999999999999999999", " 1"}) {
    Headers h = Encode(SampleMeta());
    h.values["stream_version"] = bad;
    events::RecordMeta back;
    EXPECT_TRUE(DecodeHeaders(h.Lookup(), SampleMeta().stream, back).has_value()) << bad;
  }
}

TEST(KafkaCodec, KeyMustMatchSubject) {
  Headers h = Encode(SampleMeta());
  events::RecordMeta back;
  EXPECT_TRUE(DecodeHeaders(h.Lookup(), "guild:other", back).has_value());
  EXPECT_TRUE(DecodeHeaders(h.Lookup(), std::nullopt, back).has_value());
}

TEST(KafkaCodec, OptionalHeadersMayBeAbsent) {
  events::RecordMeta meta = SampleMeta();
  Headers h = Encode(meta);
  h.values.erase("actor_user_id");
  h.values.erase("correlation_id");
  h.values.erase("causation_id");
  events::RecordMeta back;
  EXPECT_EQ(DecodeHeaders(h.Lookup(), meta.stream, back), std::nullopt);
  EXPECT_EQ(back.actor_user_id, "");
}

TEST(KafkaCodec, OversizedHeaderIsRejectedBothWays) {
  events::RecordMeta meta = SampleMeta();
  meta.correlation_id.assign(kMaxHeaderValueBytes + 1, 'x');
  EXPECT_FALSE(ValidateForEncoding(meta).ok());
  Headers h = Encode(meta);
  events::RecordMeta back;
  EXPECT_TRUE(DecodeHeaders(h.Lookup(), meta.stream, back).has_value());
}

TEST(Rfc3339, FormatsAndParsesMilliseconds) {
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(951782400001), "2000-02-29T00:00:00.001Z");
  EXPECT_EQ(FormatRfc3339Millis(kMaxUnixMs), "9999-12-31T23:59:59.999Z");
  for (int64_t ms : {int64_t{0}, int64_t{951782400001}, int64_t{1714566896789}, kMaxUnixMs}) {
    EXPECT_EQ(ParseRfc3339Millis(FormatRfc3339Millis(ms)), ms);
  }
}

TEST(Rfc3339, AcceptsOffsetsAndFractions) {
  EXPECT_EQ(ParseRfc3339Millis("2024-05-01T14:34:56.7891234+02:00"), 1714566896789);
  EXPECT_EQ(ParseRfc3339Millis("2024-05-01T12:34:56Z"), 1714566896000);
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad :
       {"", "2024-05-01", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z",
        "2024-05-01T12:34:56", "2024-05-01T12:34:56.Z", "2024-05-01T12:34:56.1234567890Z",
        "2024-05-01T12:34:56Zjunk", "2024-05-01T12:34:56+2:00", "1969-12-31T23:59:59Z"}) {
    EXPECT_EQ(ParseRfc3339Millis(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace filament::adapters::kafka_codec
