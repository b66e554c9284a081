#include "gateway/bridge/payloads.hpp"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "render/message_view.hpp"

namespace filament::gateway {
namespace {

events::StoredRecord RecordOf(const events::Event& event, std::string actor = "") {
  events::StoredRecord record;
  record.record.meta.type = std::string(events::TypeOf(event));
  record.record.meta.schema_version = events::SchemaVersionOf(event);
  record.record.meta.stream = events::StreamKeyOf(event);
  record.record.meta.actor_user_id = std::move(actor);
  record.record.payload = events::EncodePayload(event);
  return record;
}

TEST(Payloads, EveryActiveRouteHasABuilder) {
  auto built = BuiltGatewayTypes();
  for (const auto& route : events::GatewayRoutes()) {
    if (route.domain_type == events::kGatewayOrigin) continue;  // emitted by the hub itself
    EXPECT_NE(std::find(built.begin(), built.end(), route.gateway_type), built.end())
        << "no payload builder for " << route.gateway_type;
  }
}

TEST(Payloads, MessageCreateEqualsTheRestMessage) {
  events::MessagePosted posted{.guild_id = "01J00000000000000000000001",
                               .channel_id = "01J00000000000000000000002",
                               .message_id = "01J00000000000000000000003",
                               .author_id = "01J00000000000000000000004",
                               .content = "**hi** there",
                               .attachment_ids = {},
                               .created_at_unix = 1700000000};
  auto mapped = MapRecord(RecordOf(posted));
  ASSERT_TRUE(mapped.ok());
  ASSERT_EQ(mapped->size(), 1u);
  const auto& m = mapped->front();
  EXPECT_EQ(m.type, "message_create");
  EXPECT_EQ(m.scope, GatewayMessage::Scope::kChannel);
  EXPECT_EQ(m.channel_id, posted.channel_id);
  EXPECT_EQ(m.payload, render::MessageJson(render::ViewOf(posted)));
  auto d = nlohmann::json::parse(m.payload);
  EXPECT_EQ(d["author_id"], posted.author_id);
  EXPECT_TRUE(d["reactions"].is_array());
  EXPECT_FALSE(d["markdown_tokens"].empty());
}

TEST(Payloads, MemberAddCarriesTheActorFromMetadata) {
  events::MemberJoined joined{.guild_id = "01J00000000000000000000001",
                              .user_id = "01J00000000000000000000005",
                              .role = "member",
                              .source = "directory",
                              .joined_at_unix = 1700000001};
  auto mapped = MapRecord(RecordOf(joined, "01J00000000000000000000005"));
  ASSERT_TRUE(mapped.ok());
  ASSERT_EQ(mapped->size(), 1u);
  auto d = nlohmann::json::parse(mapped->front().payload);
  EXPECT_EQ(mapped->front().type, "workspace_member_add");
  EXPECT_EQ(d["actor_user_id"], "01J00000000000000000000005");
  EXPECT_EQ(d["role"], "member");
}

TEST(Payloads, GuildCreationEmitsNothing) {
  events::GuildCreated created{.guild_id = "01J00000000000000000000001",
                               .name = "G",
                               .visibility = "public",
                               .creator_user_id = "01J00000000000000000000005",
                               .everyone_role_id = "01J00000000000000000000006",
                               .owner_role_id = "01J00000000000000000000007",
                               .moderator_role_id = "01J00000000000000000000008",
                               .member_role_id = "01J00000000000000000000009",
                               .created_at_unix = 1};
  auto mapped = MapRecord(RecordOf(created));
  ASSERT_TRUE(mapped.ok());
  EXPECT_TRUE(mapped->empty());
}

TEST(Payloads, UndecodableRecordIsAnError) {
  events::StoredRecord record;
  record.record.meta.type = "message_posted";
  record.record.meta.schema_version = 1;
  record.record.payload = R"({"guild_id": 5})";
  EXPECT_FALSE(MapRecord(record).ok());
}

}  // namespace
}  // namespace filament::gateway
