// MessageJson writes the Message object directly; these pin it to what a JSON document of the
// same fields serializes to, byte for byte, and to the contract's key order.
#include "render/message_view.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "events/testing/builders.hpp"

namespace filament::render {
namespace {

using Json = nlohmann::ordered_json;

// The reference: every field through a document, the arrays parsed ("[]" when invalid).
std::string ThroughADocument(const MessageView& m) {
  auto embed = [](const std::string& text) {
    auto parsed = Json::parse(text, nullptr, false);
    return parsed.is_discarded() || !parsed.is_array() ? Json::array() : parsed;
  };
  Json out;
  out["message_id"] = m.message_id;
  out["guild_id"] = m.guild_id;
  out["channel_id"] = m.channel_id;
  out["author_id"] = m.author_id;
  out["content"] = m.content;
  out["markdown_tokens"] = embed(m.markdown_tokens_json);
  out["attachments"] = embed(m.attachments_json);
  out["reactions"] = embed(m.reactions_json);
  out["created_at_unix"] = m.created_at_unix;
  return out.dump();
}

TEST(MessageJson, IsWhatADocumentOfItsFieldsSerializesTo) {
  auto posted = events::testing::MessagePostedExample();
  for (const std::string content :
       {"hello **world**", "quote \" backslash \\ tab \t newline \n", "é 漢字 🎉 \x01 \x1f",
        "`code` [link](https://example.com/?a=1&b=\"2\") > quote", ""}) {
    posted.content = content;
    MessageView view = ViewOf(posted);
    view.reactions_json =
        ReactionsJson({{"👍", 2, true, {"01J1A00000000000000000A11C"}}, {"x\"y", 1, false, {}}});
    view.attachments_json =
        AttachmentsJson({{"01J1A00000000000000000AT01", "g", "c", "o", "a \"b\".png", "image/png",
                          68, std::string(64, 'a')}});
    EXPECT_EQ(MessageJson(view), ThroughADocument(view)) << content;
  }
}

TEST(MessageJson, KeysInContractOrder) {
  auto json = Json::parse(MessageJson(ViewOf(events::testing::MessagePostedExample())));
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"message_id", "guild_id", "channel_id", "author_id",
                                            "content", "markdown_tokens", "attachments",
                                            "reactions", "created_at_unix"}));
}

TEST(MessageJson, AStoredArrayThatIsNotValidJsonRendersEmpty) {
  MessageView view = ViewOf(events::testing::MessagePostedExample());
  for (const std::string bad : {"", "[", "[1,]", "{}", "[] []", "\"[]\"", "[\"\xff\"]", "null"}) {
    view.markdown_tokens_json = bad;
    view.attachments_json = bad;
    view.reactions_json = bad;
    const std::string out = MessageJson(view);
    ASSERT_TRUE(Json::accept(out)) << bad;
    auto json = Json::parse(out);
    EXPECT_EQ(json["markdown_tokens"], Json::array()) << bad;
    EXPECT_EQ(json["attachments"], Json::array()) << bad;
    EXPECT_EQ(json["reactions"], Json::array()) << bad;
  }
}

}  // namespace
}  // namespace filament::render
