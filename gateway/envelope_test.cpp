#include "gateway/envelope.hpp"

#include <gtest/gtest.h>

namespace filament::gateway {
namespace {

constexpr char kGuild[] = "01HZZZZZZZZZZZZZZZZZZZZZZ1";
constexpr char kChannel[] = "01HZZZZZZZZZZZZZZZZZZZZZZ2";

std::string Subscribe(const std::string& d) { return R"({"v":1,"t":"subscribe","d":)" + d + "}"; }

std::optional<IngressRejection> Rejection(std::string_view frame) {
  auto parsed = ParseIngress(frame);
  if (auto* rejection = std::get_if<IngressRejection>(&parsed)) return *rejection;
  return std::nullopt;
}

TEST(ParseIngress, AcceptsAStrictSubscribeAndCanonicalisesIds) {
  auto parsed =
      ParseIngress(Subscribe(R"({"guild_id":"01hzzzzzzzzzzzzzzzzzzzzzz1","channel_id":")" +
                             std::string(kChannel) + "\"}"));
  auto* command = std::get_if<SubscribeCommand>(&std::get<IngressCommand>(parsed));
  ASSERT_NE(command, nullptr);
  EXPECT_EQ(command->guild_id, kGuild);
  EXPECT_EQ(command->channel_id, kChannel);
}

TEST(ParseIngress, RejectsBadEnvelopes) {
  const std::string d = "{}";
  for (const std::string& frame : {
           std::string("not json"), std::string("[1,\"subscribe\",{}]"),
           std::string(R"({"v":1,"t":"subscribe"})"),               // missing d
           std::string(R"({"v":1,"t":"subscribe","d":{},"x":0})"),  // extra key
           std::string(R"({"v":2,"t":"subscribe","d":{}})"),
           std::string(R"({"v":"1","t":"subscribe","d":{}})"),
           std::string(R"({"v":1.0,"t":"subscribe","d":{}})"),
           std::string(R"({"v":-1,"t":"subscribe","d":{}})"),
           std::string(R"({"v":1,"t":"Subscribe","d":{}})"),
           std::string(R"({"v":1,"t":"","d":{}})"),
           std::string(R"({"v":1,"t":")") + std::string(65, 'a') + R"(","d":{}})",
           std::string(R"({"v":1,"t":"a-b","d":{}})"),
           std::string(R"({"v":1,"v":1,"t":"subscribe","d":{}})"),  // duplicate key
           std::string(R"({"v":1,"t":"x","d":)") + std::string(100, '[') + std::string(100, ']') +
               "}",  // too deep
       }) {
    EXPECT_EQ(Rejection(frame), IngressRejection::kInvalidEnvelope) << frame;
  }
}

TEST(ParseIngress, RejectsBadSubscribePayloads) {
  const std::string g = kGuild, c = kChannel;
  for (const std::string& d : {
           std::string("{}"),
           std::string("[]"),
           R"({"guild_id":")" + g + "\"}",
           R"({"guild_id":")" + g + R"(","channel_id":")" + c + R"(","extra":1})",
           R"({"guild_id":"nope","channel_id":")" + c + "\"}",
           R"({"guild_id":1,"channel_id":")" + c + "\"}",
       }) {
    EXPECT_EQ(Rejection(Subscribe(d)), IngressRejection::kInvalidSubscribePayload) << d;
  }
}

std::string MessageCreate(const std::string& d) {
  return R"({"v":1,"t":"message_create","d":)" + d + "}";
}

TEST(ParseIngress, ValidatesMessageCreate) {
  const std::string ids = R"(","channel_id":")" + std::string(kChannel) + "\"";
  const std::string base = R"({"guild_id":")" + std::string(kGuild) + ids;
  const std::string a = "01HZZZZZZZZZZZZZZZZZZZZZZA";
  auto ok = ParseIngress(
      MessageCreate(base + R"(,"content":"","attachment_ids":[")" + a + R"(",")" + a + "\"]}"));
  auto* command = std::get_if<MessageCreateCommand>(&std::get<IngressCommand>(ok));
  ASSERT_NE(command, nullptr);
  EXPECT_EQ(command->attachment_ids, std::vector<std::string>{a});  // duplicates removed
  EXPECT_FALSE(Rejection(MessageCreate(base + R"(,"content":")" + std::string(2000, 'x') + "\"}")));
  for (const std::string& d : {
           base + "}",                  // no content
           base + R"(,"content":""})",  // empty, no attachments
           base + R"(,"content":")" + std::string(2001, 'x') + "\"}",
           base + R"(,"content":"hi","attachment_ids":["x"]})",
           base + R"(,"content":"hi","attachment_ids":[")" + a + R"(",")" + a + R"(",")" + a +
               R"(",")" + a + R"(",")" + a + R"(",")" + a + "\"]}",  // 6 entries
           base + R"(,"content":"hi","nonce":1})",
       }) {
    EXPECT_EQ(Rejection(MessageCreate(d)), IngressRejection::kInvalidMessageCreatePayload) << d;
  }
}

TEST(ParseIngress, UnknownTypesAreNotRejections) {
  auto parsed = ParseIngress(R"({"v":1,"t":"presence_sync","d":null})");
  auto* unknown = std::get_if<UnknownCommand>(&std::get<IngressCommand>(parsed));
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->type, "presence_sync");
}

TEST(BuildEnvelope, WrapsThePayloadOnce) {
  EXPECT_EQ(BuildEnvelope("ready", R"({"user_id":"U"})"),
            R"({"v":1,"t":"ready","d":{"user_id":"U"}})");
  EXPECT_EQ(BuildEnvelope("Bad", "{}"), std::nullopt);
}

}  // namespace
}  // namespace filament::gateway
