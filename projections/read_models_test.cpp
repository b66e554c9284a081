// Integration tests of the read models against a real PostgreSQL (label pg): events go in
// through each Projection, answers come out through its queries.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "events/testing/builders.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "projections/users/users_projection.hpp"
#include "tests/support/pg_test_cluster.hpp"

namespace filament::projections {
namespace {

namespace ex = events::testing;

class ReadModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ =
        std::make_unique<pgstore::ConnectionPool>(filament::testing::CreateMigratedDatabase(), 2);
  }

  void Apply(const events::Event& event) {
    events::StoredRecord record;
    record.position = {0, offset_++};
    record.record.meta.type = std::string(events::TypeOf(event));
    record.record.meta.schema_version = events::SchemaVersionOf(event);
    record.record.meta.stream = events::StreamKeyOf(event);
    record.record.payload = events::EncodePayload(event);
    auto status = pgstore::WithConnection(*pool_, [&](pqxx::connection& c) -> core::Status {
      pqxx::work tx(c);
      for (Projection* p : std::initializer_list<Projection*>{&users_, &guilds_, &messages_}) {
        FILAMENT_RETURN_IF_ERROR(p->Apply(tx, record));
        FILAMENT_RETURN_IF_ERROR(p->Flush(tx));
      }
      tx.commit();
      return core::OkStatus();
    });
    ASSERT_TRUE(status.ok()) << status.error().message;
  }

  void SeedGuild(std::string visibility = "public") {
    Apply(ex::UserRegisteredExample());
    Apply(ex::UserRegisteredExample(ex::kBobUserId, "bob"));
    auto guild = ex::GuildCreatedExample();
    guild.visibility = std::move(visibility);
    Apply(guild);
    Apply(ex::ChannelCreatedExample());
  }

  std::unique_ptr<pgstore::ConnectionPool> pool_;
  UsersProjection users_;
  GuildsProjection guilds_;
  MessagesProjection messages_;
  int64_t offset_ = 0;
};

TEST_F(ReadModelsTest, ProfileOfARegisteredUser) {
  Apply(ex::UserRegisteredExample());
  auto profile = UsersQueries(*pool_).FindById(ex::kAliceUserId);
  ASSERT_TRUE(profile.ok());
  ASSERT_TRUE(profile->has_value());
  auto json = nlohmann::json::parse(ProfileJson(**profile));
  EXPECT_EQ(json["username"], "alice");
  EXPECT_EQ(json["about_markdown_tokens"], nlohmann::json::array());
  EXPECT_EQ(json["avatar_version"], 0);
  EXPECT_FALSE(UsersQueries(*pool_).FindById(ex::kBobUserId)->has_value());
}

TEST_F(ReadModelsTest, CreatorIsOwnerAndJoinerIsMember) {
  SeedGuild();
  Apply(ex::MemberJoinedExample());
  GuildQueries queries(*pool_);
  auto owner = queries.LoadForUser(ex::kGuildId, ex::kAliceUserId);
  ASSERT_TRUE(owner.ok() && owner->has_value());
  auto effective = commands::EvaluateChannel((*owner)->authz, ex::kAliceUserId, ex::kChannelId);
  ASSERT_TRUE(effective.ok());
  EXPECT_EQ(effective->role, commands::LegacyRole::kOwner);
  EXPECT_EQ(effective->permissions, commands::PermissionSet::All());
  auto bob = queries.LoadForUser(ex::kGuildId, ex::kBobUserId);
  auto bob_effective = commands::EvaluateChannel((*bob)->authz, ex::kBobUserId, ex::kChannelId);
  EXPECT_EQ(bob_effective->permissions.Names(),
            (std::vector<std::string_view>{"create_message", "subscribe_streams"}));
  EXPECT_EQ((*bob)->channels.size(), 1u);
  EXPECT_FALSE(queries.LoadForUser("01J1A00000000000000000ZZZZ", ex::kBobUserId)->has_value());
}

TEST_F(ReadModelsTest, GuildListsAreNewestFirstAndDirectoryMatchesSubstrings) {
  SeedGuild();
  auto second = ex::GuildCreatedExample();
  second.guild_id = "01J1A00000000000000000G02D";
  second.name = "100% Makers_Club";
  second.visibility = "public";
  Apply(second);
  GuildQueries queries(*pool_);
  auto mine = queries.ListForMember(ex::kAliceUserId, 200);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ(mine->at(0).guild_id, second.guild_id);
  EXPECT_EQ(queries.ListPublic("makers", 20)->size(), 1u);
  EXPECT_EQ(queries.ListPublic("0% m", 20)->size(), 1u);  // '%' is literal, not a wildcard
  EXPECT_EQ(queries.ListPublic("s_c", 20)->size(), 1u);   // '_' is literal too
  EXPECT_EQ(queries.ListPublic("x_y", 20)->size(), 0u);
  EXPECT_EQ(queries.ListPublic("", 1)->size(), 1u);
  EXPECT_TRUE(queries.ListForMember(ex::kBobUserId, 200)->empty());
}

TEST_F(ReadModelsTest, PrivateGuildsStayOutOfTheDirectory) {
  SeedGuild("private");
  EXPECT_TRUE(GuildQueries(*pool_).ListPublic("", 20)->empty());
}

TEST_F(ReadModelsTest, HistoryPagesNewestFirstWithMarkdownTokens) {
  SeedGuild();
  for (int i = 0; i < 5; ++i) {
    auto message = ex::MessagePostedExample();
    message.message_id = "01J1A00000000000000000M00" + std::to_string(i);
    message.content = i == 4 ? "**bold**" : "m" + std::to_string(i);
    Apply(message);
  }
  MessagesQueries queries(*pool_);
  auto page = queries.History(ex::kChannelId, 2, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->at(0).content, "**bold**");
  EXPECT_NE(page->at(0).markdown_tokens_json.find("strong_start"), std::string::npos);
  auto older = queries.History(ex::kChannelId, 10, page->back().message_id);
  ASSERT_EQ(older->size(), 3u);
  EXPECT_EQ(older->at(0).content, "m2");
  EXPECT_TRUE(queries.History(ex::kChannelId, 10, older->back().message_id)->empty());
  // The stored view is the view of the event: history equals the POST/gateway payload.
  auto posted = ex::MessagePostedExample();
  posted.message_id = "01J1A00000000000000000M004";
  posted.content = "**bold**";
  EXPECT_EQ(render::MessageJson(page->at(0)), render::MessageJson(render::ViewOf(posted)));
}

}  // namespace
}  // namespace filament::projections
