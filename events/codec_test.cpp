// Tests of the generated event types, codecs and gateway routing table
// (events/generated/event_types.hpp, generated from schema/events.yaml).

#include <map>
#include <random>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "events/generated/event_types.hpp"
#include "events/testing/builders.hpp"

namespace filament::events {
namespace {

using ::testing::HasSubstr;

const std::string kPosted = EncodePayload(testing::MessagePostedExample());

core::Result<Event> DecodePosted(const std::string& json) {
  return DecodeEvent(MessagePosted::kType, MessagePosted::kVersion, json);
}

// Decodes `json` as a message_posted payload and returns the error message, failing the test
// if decoding succeeded or the code is not kInvalidArgument.
std::string PostedError(const std::string& json) {
  auto result = DecodePosted(json);
  if (result.ok()) {
    ADD_FAILURE() << "decoded: " << json.substr(0, 200);
    return {};
  }
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
  return result.error().message;
}

// The valid MessagePosted payload with `field` replaced by `value` (raw JSON).
std::string PostedWith(const std::string& field, const nlohmann::json& value) {
  auto json = nlohmann::json::parse(kPosted);
  json[field] = value;
  return json.dump();
}

TEST(EventCodec, EveryExampleRoundTrips) {
  const auto examples = testing::AllEventExamples();
  ASSERT_EQ(examples.size(), std::variant_size_v<Event>);
  for (const Event& event : examples) {
    const std::string payload = EncodePayload(event);
    auto decoded = DecodeEvent(TypeOf(event), SchemaVersionOf(event), payload);
    ASSERT_TRUE(decoded.ok()) << TypeOf(event) << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, event) << payload;
    EXPECT_EQ(EncodePayload(*decoded), payload);
  }
}

TEST(EventCodec, EncodesCompactJsonInSchemaOrder) {
  EXPECT_EQ(EncodePayload(testing::MemberJoinedExample()),
            R"({"guild_id":"01J1A00000000000000000G01D","user_id":"01J1A00000000000000000B0B0",)"
            R"("role":"member","source":"directory","joined_at_unix":1700000030})");
  auto posted = testing::MessagePostedExample("");
  posted.attachment_ids.clear();
  EXPECT_THAT(EncodePayload(posted), HasSubstr(R"("content":"","attachment_ids":[],)"));
}

TEST(EventCodec, EncodingEscapesAndNeverEmitsInvalidUtf8) {
  const std::string content =
      std::string("quote\" back\\ nl\n tab\t nul") + '\0' + " bad\xff end é";
  const std::string payload = EncodePayload(testing::MessagePostedExample(content));
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << payload;
  EXPECT_EQ(json["content"],
            std::string("quote\" back\\ nl\n tab\t nul") + '\0' + " bad\xEF\xBF\xBD end é");
}

TEST(EventCodec, VariantHelpers) {
  const Event posted = testing::MessagePostedExample();
  EXPECT_EQ(TypeOf(posted), "message_posted");
  EXPECT_EQ(SchemaVersionOf(posted), 1);
  EXPECT_EQ(StreamKeyOf(posted), std::string("guild:") + testing::kGuildId);
  EXPECT_EQ(StreamKeyOf(testing::UserRegisteredExample()),
            std::string("user:") + testing::kAliceUserId);
  ASSERT_TRUE(AsGuildEvent(posted).has_value());
  EXPECT_FALSE(AsUserEvent(posted).has_value());
  EXPECT_EQ(ToEvent(*AsGuildEvent(posted)), posted);
  const Event registered = testing::UserRegisteredExample();
  ASSERT_TRUE(AsUserEvent(registered).has_value());
  EXPECT_FALSE(AsGuildEvent(registered).has_value());
  EXPECT_EQ(ToEvent(*AsUserEvent(registered)), registered);
  EXPECT_EQ(MessagePosted::kStream, "guild");
  EXPECT_EQ(UserRegistered::kStream, "user");
}

TEST(EventCodec, IgnoresUnknownFields) {
  auto decoded = DecodePosted(PostedWith("added_in_a_later_release", {{"x", 1}}));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, Event{testing::MessagePostedExample()});
}

TEST(EventCodec, RejectsUnknownTypeAndVersions) {
  auto unknown = DecodeEvent("message_exploded", 1, kPosted);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(unknown.error().message, HasSubstr("message_exploded"));
  for (int32_t version : {0, -1, 2, 1000}) {
    auto result = DecodeEvent("message_posted", version, kPosted);
    ASSERT_FALSE(result.ok()) << version;
    EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_THAT(result.error().message, HasSubstr("schema_version"));
  }
}

TEST(EventCodec, RejectsOversizedPayload) {
  std::string huge = kPosted;
  huge.insert(1, "\"pad\":\"" + std::string(1 << 20, 'a') + "\",");
  EXPECT_THAT(PostedError(huge), HasSubstr("1 MiB"));
}

TEST(EventCodec, RejectsMalformedJsonAndNonObjects) {
  for (const char* bad : {"", "{", "nul", "{\"a\":}", "{} trailing", "\xff"}) {
    EXPECT_THAT(PostedError(bad), HasSubstr("not valid JSON")) << bad;
  }
  for (const char* bad : {"[]", "\"text\"", "42", "null", "true"}) {
    EXPECT_THAT(PostedError(bad), HasSubstr("JSON object")) << bad;
  }
}

TEST(EventCodec, RejectsMissingRequiredField) {
  auto json = nlohmann::json::parse(kPosted);
  json.erase("author_id");
  const std::string message = PostedError(json.dump());
  EXPECT_THAT(message, HasSubstr("message_posted"));
  EXPECT_THAT(message, HasSubstr("'author_id' is missing"));
}

TEST(EventCodec, RejectsWrongJsonTypes) {
  EXPECT_THAT(PostedError(PostedWith("content", 5)), HasSubstr("'content' must be a string"));
  EXPECT_THAT(PostedError(PostedWith("content", nullptr)), HasSubstr("must be a string"));
  EXPECT_THAT(PostedError(PostedWith("attachment_ids", "x")), HasSubstr("must be an array"));
  EXPECT_THAT(PostedError(PostedWith("created_at_unix", "1700000000")),
              HasSubstr("must be an integer"));
  EXPECT_THAT(PostedError(PostedWith("created_at_unix", 1.5)), HasSubstr("must be an integer"));
  EXPECT_THAT(PostedError(PostedWith("created_at_unix", true)), HasSubstr("must be an integer"));
}

TEST(EventCodec, RejectsStringsOutsideByteLimits) {
  EXPECT_THAT(PostedError(PostedWith("content", std::string(2001, 'x'))),
              HasSubstr("0..2000 UTF-8 bytes, got 2001"));
  // 667 three-byte characters: 667 characters but 2001 bytes.
  std::string wide;
  for (int i = 0; i < 667; ++i) wide += "\xE2\x82\xAC";
  EXPECT_THAT(PostedError(PostedWith("content", wide)), HasSubstr("got 2001"));
  EXPECT_TRUE(DecodePosted(PostedWith("content", std::string(2000, 'x'))).ok());

  auto user = nlohmann::json::parse(EncodePayload(testing::UserRegisteredExample()));
  user["username"] = "ab";
  auto result = DecodeEvent("user_registered", 1, user.dump());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("'username' must be 3..32 UTF-8 bytes"));
}

TEST(EventCodec, RejectsInvalidUlids) {
  for (const char* bad : {"", "not-a-ulid", "01J1A00000000000000000G01",
                          "81J1A00000000000000000G01D", "01J1A00000000000000000G01U"}) {
    EXPECT_THAT(PostedError(PostedWith("guild_id", bad)), HasSubstr("'guild_id' must be a ULID"))
        << bad;
  }
  EXPECT_THAT(PostedError(PostedWith("attachment_ids", {testing::kAttachmentId, "nope"})),
              HasSubstr("'attachment_ids[1]' must be a ULID"));
}

TEST(EventCodec, RejectsInvalidUtf8) {
  // Raw invalid bytes inside a JSON string and an escaped lone surrogate.
  std::string raw = kPosted;
  raw.replace(raw.find("hello"), 5, "he\xC0\xAFlo");
  EXPECT_FALSE(DecodePosted(raw).ok());
  std::string surrogate = kPosted;
  surrogate.replace(surrogate.find("hello"), 5, "\\ud800");
  EXPECT_FALSE(DecodePosted(surrogate).ok());
}

TEST(EventCodec, RejectsEnumValuesNotAllowed) {
  auto json = nlohmann::json::parse(EncodePayload(testing::ChannelCreatedExample()));
  json["kind"] = "stage";
  auto result = DecodeEvent("channel_created", 1, json.dump());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(result.error().message, HasSubstr("channel_created: field 'kind'"));
  EXPECT_THAT(result.error().message, HasSubstr("\"stage\""));
}

TEST(EventCodec, RejectsTooLongLists) {
  const nlohmann::json six(6, testing::kAttachmentId);
  EXPECT_THAT(PostedError(PostedWith("attachment_ids", six)), HasSubstr("at most 5 items, got 6"));
  const nlohmann::json five(5, testing::kAttachmentId);
  EXPECT_TRUE(DecodePosted(PostedWith("attachment_ids", five)).ok());
}

TEST(EventCodec, RejectsIntegersOutOfRange) {
  EXPECT_THAT(PostedError(PostedWith("created_at_unix", -1)), HasSubstr("must be in [0, "));
  EXPECT_THAT(PostedError(PostedWith("created_at_unix", 253402300800)), HasSubstr("got 2534"));
  EXPECT_THAT(PostedError(PostedWith("created_at_unix", uint64_t{18446744073709551615u})),
              HasSubstr("out of range"));
  std::string huge = PostedWith("created_at_unix", 0);
  huge.replace(huge.find("\"created_at_unix\":0"), 19, "\"created_at_unix\":1e400");
  EXPECT_FALSE(DecodePosted(huge).ok());
}

TEST(EventCodec, SurvivesDeepNestingAndRandomCorruption) {
  EXPECT_FALSE(DecodePosted(std::string(1 << 19, '[') + std::string(1 << 19, ']')).ok());
  std::mt19937 rng(42);  // fixed seed: reproducible
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = kPosted;
    for (int k = 0; k < 3; ++k) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng() % 256);
    }
    auto result = DecodePosted(mutated);  // must not crash or throw; either outcome is fine
    if (result.ok()) {
      EXPECT_EQ(TypeOf(*result), "message_posted");
    }
  }
}

TEST(GatewayRouting, HasTheActiveRoutes) {
  std::set<std::string> routes;
  for (const GatewayRoute& route : GatewayRoutes()) {
    routes.insert(std::string(route.domain_type) + "->" + std::string(route.gateway_type));
  }
  EXPECT_EQ(routes,
            (std::set<std::string>{
                "gateway->ready",
                "gateway->subscribed",
                "gateway->presence_sync",
                "gateway->presence_update",
                "gateway->voice_participant_sync",
                "gateway->resumed",
                "gateway->resume_unavailable",
                "voice_participant_joined->voice_participant_join",
                "voice_participant_left->voice_participant_leave",
                "voice_participant_updated->voice_participant_update",
                "voice_stream_published->voice_stream_publish",
                "voice_stream_unpublished->voice_stream_unpublish",
                "channel_created->channel_create",
                "member_joined->workspace_member_add",
                "message_posted->message_create",
                "message_edited->message_update",
                "message_deleted->message_delete",
                "message_reaction_changed->message_reaction",
                "profile_updated->profile_update",
                "profile_avatar_changed->profile_avatar_update",
                "profile_banner_changed->profile_banner_update",
                "friend_request_sent->friend_request_create",
                "friend_request_accepted->friend_request_update",
                "friend_request_deleted->friend_request_delete",
                "friendship_removed->friend_remove",
                "guild_updated->workspace_update",
                "member_removed->workspace_member_remove",
                "member_banned->workspace_member_ban",
                "member_role_changed->workspace_member_update",
                "role_created->workspace_role_create",
                "role_updated->workspace_role_update",
                "role_deleted->workspace_role_delete",
                "roles_reordered->workspace_role_reorder",
                "role_assigned->workspace_role_assignment_add",
                "role_unassigned->workspace_role_assignment_remove",
                "legacy_channel_override_set->workspace_channel_role_override_update",
                "channel_permission_override_set->workspace_channel_permission_override_update",
                "ip_bans_updated->workspace_ip_ban_sync"}));
  EXPECT_EQ(GatewayRoutes().size(), 38u);
}

TEST(GatewayRouting, RoutesForADomainType) {
  const auto posted = RoutesFor(MessagePosted::kType);
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].gateway_type, "message_create");
  EXPECT_EQ(posted[0].scope, GatewayScope::kChannel);
  const auto channel = RoutesFor(ChannelCreated::kType);
  ASSERT_EQ(channel.size(), 1u);
  EXPECT_EQ(channel[0].scope, GatewayScope::kGuild);
  EXPECT_EQ(RoutesFor(MemberJoined::kType).at(0).gateway_type, "workspace_member_add");
  EXPECT_TRUE(RoutesFor(UserRegistered::kType).empty());
  EXPECT_TRUE(RoutesFor(GuildCreated::kType).empty());
  EXPECT_TRUE(RoutesFor("no_such_type").empty());
  EXPECT_EQ(RoutesFor(kGatewayOrigin).size(), 7u);
}

// The contract's 36 events plus the two v2 connection frames (resumed, resume_unavailable).
TEST(GatewayRouting, CatalogListsThe36ContractEventsAndTheV2Frames) {
  const auto catalog = GatewayEventCatalog();
  ASSERT_EQ(catalog.size(), 38u);
  std::set<std::string_view> types;
  std::map<GatewayScope, int> per_scope;
  int active = 0;
  for (const GatewayEventInfo& info : catalog) {
    types.insert(info.type);
    per_scope[info.scope]++;
    if (info.active) {
      ++active;
      EXPECT_FALSE(info.source.empty()) << info.type;
      if (info.source != kGatewayOrigin) {
        EXPECT_FALSE(RoutesFor(info.source).empty()) << info.type;
        // Every producing domain type is decodable.
        EXPECT_NE(DecodeEvent(info.source, 1, "{}").error().message.find("missing"),
                  std::string::npos)
            << info.type;
      }
    } else {
      EXPECT_TRUE(info.source.empty()) << info.type;
    }
    EXPECT_GE(info.schema_version, 1);
  }
  EXPECT_EQ(types.size(), 38u);
  EXPECT_EQ(active, 38);
  EXPECT_EQ(per_scope[GatewayScope::kConnection], 6);
  EXPECT_EQ(per_scope[GatewayScope::kChannel], 9);
  EXPECT_EQ(per_scope[GatewayScope::kGuild], 16);
  EXPECT_EQ(per_scope[GatewayScope::kUser], 7);
  for (const GatewayEventInfo& info : catalog) {
    if (info.type == "message_reaction") {
      EXPECT_EQ(info.schema_version, 2);
    }
  }
  EXPECT_EQ(GatewayScopeName(GatewayScope::kGuild), "guild");
}

}  // namespace
}  // namespace filament::events
