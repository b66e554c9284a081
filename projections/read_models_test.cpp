// Integration tests of the read models against a real PostgreSQL (label pg): events go in
// through each Projection, answers come out through its queries.
#include <algorithm>
#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "commands/guild/guild_state.hpp"
#include "commands/permissions.hpp"
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

  // Applies `batch` in one transaction with one Flush at the end, as the runner does.
  void ApplyBatch(const std::vector<events::Event>& batch) {
    auto status = pgstore::WithConnection(*pool_, [&](pqxx::connection& c) -> core::Status {
      pqxx::work tx(c);
      for (const auto& event : batch) {
        events::StoredRecord record;
        record.position = {0, offset_++};
        record.record.meta.type = std::string(events::TypeOf(event));
        record.record.meta.schema_version = events::SchemaVersionOf(event);
        record.record.meta.stream = events::StreamKeyOf(event);
        record.record.payload = events::EncodePayload(event);
        FILAMENT_RETURN_IF_ERROR(messages_.Apply(tx, record));
      }
      FILAMENT_RETURN_IF_ERROR(messages_.Flush(tx));
      tx.commit();
      return core::OkStatus();
    });
    ASSERT_TRUE(status.ok()) << status.error().message;
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

// ADR 0097: what each read model may be passed without a transaction.
TEST(ProjectionIgnores, EachReadModelIgnoresOnlyWhatItHasNoRowsFor) {
  auto meta = [](const events::Event& event) {
    events::RecordMeta m;
    m.type = std::string(events::TypeOf(event));
    m.stream = events::StreamKeyOf(event);
    return m;
  };
  GuildsProjection guilds;
  UsersProjection users;
  MessagesProjection messages;
  size_t guild_stream_events = 0;
  for (const auto& event : ex::AllEventExamples()) {
    const auto m = meta(event);
    const bool guild_stream = m.stream.rfind("guild:", 0) == 0;
    const bool message = std::holds_alternative<events::MessagePosted>(event) ||
                         std::holds_alternative<events::MessageEdited>(event) ||
                         std::holds_alternative<events::MessageDeleted>(event) ||
                         std::holds_alternative<events::MessageReactionChanged>(event) ||
                         std::holds_alternative<events::AttachmentUploaded>(event) ||
                         std::holds_alternative<events::AttachmentDeleted>(event);
    EXPECT_EQ(messages.Ignores(m), !message) << m.type;
    if (!guild_stream || message) {
      EXPECT_TRUE(guilds.Ignores(m)) << m.type;
    }
    if (guild_stream && !message) {
      ++guild_stream_events;
      // Every governance example changes the guild tables, except the audit-only ones.
      EXPECT_EQ(guilds.Ignores(m), std::holds_alternative<events::IpBanHit>(event) ||
                                       std::holds_alternative<events::DirectoryJoinRecorded>(event))
          << m.type;
    }
  }
  EXPECT_GT(guild_stream_events, 10u);
  // An unknown type is never ignored: Apply fails on it and the projection stops.
  EXPECT_FALSE(guilds.Ignores({.type = "type_from_the_future", .stream = "guild:g"}));
  EXPECT_TRUE(users.Ignores({.type = "session_started", .stream = "user:u"}));
  EXPECT_FALSE(users.Ignores({.type = "user_registered", .stream = "user:u"}));
  EXPECT_FALSE(users.Ignores({.type = "server_owner_changed", .stream = "server:s"}));
  EXPECT_TRUE(users.Ignores({.type = "message_posted", .stream = "guild:g"}));
}

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

// The view a request's permission check loads from the read model evaluates, for every user
// and channel, as the command side's state folded from the same events does: after each
// governance event (roles, assignments, both override layers, member role, ban, removal).
TEST_F(ReadModelsTest, GuildViewEvaluatesAsTheCommandStateAfterEachEvent) {
  const std::string second_channel = "01J1A00000000000000000C4B8";
  std::vector<events::Event> history{ex::GuildCreatedExample(), ex::ChannelCreatedExample(),
                                     ex::ChannelCreatedExample(second_channel, "voice"),
                                     ex::MemberJoinedExample()};
  for (auto& e : ex::GovernanceEventExamples()) history.push_back(std::move(e));
  // The examples delete their role before the overrides and the ban: keep one assigned too.
  auto kept = std::get<events::RoleCreated>(history[5]);
  kept.role_id = "01J1A00000000000000000R0D0";
  kept.permissions = {"ban_member", "create_message"};
  history.insert(history.begin() + 6, kept);
  history.insert(history.begin() + 7,
                 events::RoleAssigned{.guild_id = ex::kGuildId,
                                      .user_id = ex::kBobUserId,
                                      .role_id = kept.role_id,
                                      .assigned_at_unix = ex::kExampleUnix + 11});
  Apply(ex::UserRegisteredExample());
  Apply(ex::UserRegisteredExample(ex::kBobUserId, "bob"));
  commands::GuildState state;
  GuildQueries queries(*pool_);
  const std::vector<std::string> users{ex::kAliceUserId, ex::kBobUserId,
                                       "01J1A00000000000000000CA70"};
  const std::vector<std::string> channels{ex::kChannelId, second_channel,
                                          "01J1A00000000000000000C4C9"};
  for (size_t i = 0; i < history.size(); ++i) {
    Apply(history[i]);
    auto guild_event = events::AsGuildEvent(history[i]);
    ASSERT_TRUE(guild_event.has_value());
    commands::Apply(state, *guild_event);
    for (const auto& user : users) {
      auto view = queries.LoadForUser(ex::kGuildId, user);
      ASSERT_TRUE(view.ok() && view->has_value()) << i;
      EXPECT_EQ((*view)->channels.size(), std::min<size_t>(i, 2));
      for (const auto& channel : channels) {
        auto want = commands::EvaluateChannel(state.authz, user, channel);
        auto got = commands::EvaluateChannel((*view)->authz, user, channel);
        const std::string where = "after event " + std::to_string(i) + " (" +
                                  std::string(events::TypeOf(history[i])) + "), " + user + " in " +
                                  channel;
        ASSERT_EQ(got.ok(), want.ok()) << where;
        if (!want.ok()) {
          EXPECT_EQ(got.error().code, want.error().code) << where;
          continue;
        }
        EXPECT_EQ(got->role, want->role) << where;
        EXPECT_EQ(got->permissions.Names(), want->permissions.Names()) << where;
      }
    }
  }
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
    message.attachment_ids.clear();  // no upload behind it here
    message.attachment_filenames.reset();
    message.attachment_mime_types.reset();
    message.attachment_size_bytes.reset();
    message.attachment_sha256_hex.reset();
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
  posted.attachment_ids.clear();
  posted.attachment_filenames.reset();
  posted.attachment_mime_types.reset();
  posted.attachment_size_bytes.reset();
  posted.attachment_sha256_hex.reset();
  posted.message_id = "01J1A00000000000000000M004";
  posted.content = "**bold**";
  EXPECT_EQ(render::MessageJson(page->at(0)), render::MessageJson(render::ViewOf(posted)));
}

events::AttachmentUploaded UploadExample(std::string id) {
  return events::AttachmentUploaded{.guild_id = ex::kGuildId,
                                    .channel_id = ex::kChannelId,
                                    .attachment_id = std::move(id),
                                    .owner_id = ex::kAliceUserId,
                                    .filename = "a.txt",
                                    .mime_type = "text/plain",
                                    .size_bytes = 3,
                                    .sha256_hex = std::string(64, 'a'),
                                    .uploaded_at_unix = 5};
}

events::MessageReactionChanged ReactionExample(const std::string& user, std::string emoji,
                                               std::string operation = "add") {
  return events::MessageReactionChanged{.guild_id = ex::kGuildId,
                                        .channel_id = ex::kChannelId,
                                        .message_id = ex::MessagePostedExample().message_id,
                                        .user_id = user,
                                        .emoji = std::move(emoji),
                                        .operation = std::move(operation),
                                        .count = 1,
                                        .changed_at_unix = 6};
}

TEST_F(ReadModelsTest, EditsReactionsAttachmentsAndDeletesInOneBatch) {
  SeedGuild();
  const std::string a1 = "01J1A0000000000000000000A1", a2 = "01J1A0000000000000000000A2";
  auto posted = ex::MessagePostedExample();
  posted.attachment_ids = {a2, a1};
  auto edited = ex::MessageEditedExample("now **edited**");
  ApplyBatch({UploadExample(a1), UploadExample(a2), posted, edited,
              ReactionExample(ex::kBobUserId, "\xF0\x9F\x91\x8D"),
              ReactionExample(ex::kAliceUserId, "b"), ReactionExample(ex::kBobUserId, "b"),
              ReactionExample(ex::kAliceUserId, "b", "remove"),
              ReactionExample(ex::kAliceUserId, "b")});
  MessagesQueries queries(*pool_);
  auto page = queries.History(ex::kChannelId, 10, "", ex::kBobUserId);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->at(0).content, "now **edited**");
  EXPECT_NE(page->at(0).markdown_tokens_json.find("strong_start"), std::string::npos);
  auto attachments = nlohmann::json::parse(page->at(0).attachments_json);
  ASSERT_EQ(attachments.size(), 2u);
  EXPECT_EQ(attachments[0]["attachment_id"], a2);  // binding order
  auto reactions = nlohmann::json::parse(page->at(0).reactions_json);
  ASSERT_EQ(reactions.size(), 2u);
  EXPECT_EQ(reactions[0]["emoji"], "b");  // byte order: 'b' < U+1F44D
  EXPECT_EQ(reactions[0]["count"], 2);
  EXPECT_EQ(reactions[0]["reacted_by_me"], true);
  auto sorted = std::vector<std::string>{ex::kAliceUserId, ex::kBobUserId};
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(reactions[0]["reactor_user_ids"], sorted);
  EXPECT_EQ(queries.Attachment(a1)->value().message_id, posted.message_id);

  auto deleted = ex::MessageDeletedExample();
  deleted.attachment_ids = posted.attachment_ids;
  ApplyBatch({deleted, ReactionExample(ex::kBobUserId, "late")});
  EXPECT_TRUE(queries.History(ex::kChannelId, 10, "", "")->empty());
  EXPECT_FALSE(queries.Attachment(a1)->has_value());
  auto leftovers = pgstore::WithConnection(*pool_, [](pqxx::connection& c) -> core::Result<int> {
    pqxx::read_transaction tx(c);
    return tx.exec1("SELECT count(*) FROM message_reactions")[0].as<int>();
  });
  EXPECT_EQ(*leftovers, 0);
}

// History, Message and ByIds read the same decorated row: at most 32 reactor ids (the first by
// id) of a reaction with more, `reacted_by_me` for the viewer only, attachments in order.
TEST_F(ReadModelsTest, EveryMessageReadRendersTheSameDecoratedMessage) {
  SeedGuild();
  const std::string a1 = "01J1A0000000000000000000A1";
  auto posted = ex::MessagePostedExample();
  posted.attachment_ids = {a1};
  std::vector<events::Event> batch{UploadExample(a1), posted};
  std::vector<std::string> reactors;
  for (int i = 0; i < 40; ++i) {
    char id[27];
    std::snprintf(id, sizeof id, "01J1A00000000000000000V%03d", 39 - i);  // not in id order
    reactors.emplace_back(id);
    batch.push_back(ReactionExample(id, "x"));
  }
  ApplyBatch(batch);
  MessagesQueries queries(*pool_);
  const std::string viewer = reactors[5];
  auto page = queries.History(ex::kChannelId, 10, "", viewer);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  auto reactions = nlohmann::json::parse(page->at(0).reactions_json);
  ASSERT_EQ(reactions.size(), 1u);
  EXPECT_EQ(reactions[0]["count"], 40);
  EXPECT_EQ(reactions[0]["reacted_by_me"], true);
  std::sort(reactors.begin(), reactors.end());
  EXPECT_EQ(reactions[0]["reactor_user_ids"],
            std::vector<std::string>(reactors.begin(), reactors.begin() + 32));
  EXPECT_EQ(nlohmann::json::parse(page->at(0).attachments_json)[0]["attachment_id"], a1);
  auto one = queries.Message(posted.message_id, viewer);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ(render::MessageJson(**one), render::MessageJson(page->at(0)));
  auto by_ids = queries.ByIds({"01J1A00000000000000000ZZZZ", posted.message_id});
  ASSERT_TRUE(by_ids.ok());
  ASSERT_EQ(by_ids->size(), 1u);
  auto anonymous = nlohmann::json::parse(by_ids->at(0).reactions_json);
  EXPECT_EQ(anonymous[0]["reacted_by_me"], false);
  anonymous[0]["reacted_by_me"] = true;
  EXPECT_EQ(anonymous, reactions);
  EXPECT_EQ(by_ids->at(0).attachments_json, page->at(0).attachments_json);
  EXPECT_FALSE(queries.Message("01J1A00000000000000000ZZZZ", viewer)->has_value());
}

}  // namespace
}  // namespace filament::projections
