// Compiles and runs the golden C++ generated from tools/eventgen/testdata/events.yaml: optional
// fields, every field type, and a version-2 event decoded from version-1 payloads through its
// upcaster.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "events/generated/event_types.hpp"

namespace filament::eventgen_testdata {
namespace {

using ::testing::HasSubstr;

constexpr char kBoard[] = "01J1A00000000000000000B0AD";
constexpr char kNote[] = "01J1A00000000000000000N0TE";

AccountOpened FullAccount() {
  return AccountOpened{.account_id = "01J1A00000000000000000ACC0",
                       .handle = "ada",
                       .nickname = "Ada L.",
                       .karma = -5,
                       .verified = true,
                       .trusted = false,
                       .labels = {"red", "green"},
                       .aliases = std::vector<std::string>{"a", "al"},
                       .opened_at_unix = 1700000000,
                       .score = 7};
}

TEST(TestdataCodec, OptionalFieldsRoundTripPresentAndAbsent) {
  AccountOpened minimal = FullAccount();
  minimal.nickname.reset();
  minimal.karma.reset();
  minimal.trusted.reset();
  minimal.aliases.reset();
  minimal.score.reset();
  for (const AccountOpened& account : {FullAccount(), minimal}) {
    const std::string payload = EncodePayload(account);
    auto decoded = DecodeEvent(AccountOpened::kType, 1, payload);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, Event{account}) << payload;
  }
  EXPECT_EQ(EncodePayload(minimal),
            R"({"account_id":"01J1A00000000000000000ACC0","handle":"ada","verified":true,)"
            R"("labels":["red","green"],"opened_at_unix":1700000000})");
}

TEST(TestdataCodec, OptionalNullReadsAsAbsentButIsStillChecked) {
  auto decoded = DecodeEvent("account_opened", 1,
                             R"({"account_id":"01J1A00000000000000000ACC0","handle":"ada",)"
                             R"("nickname":null,"verified":false,"labels":[],)"
                             R"("opened_at_unix":1})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_FALSE(std::get<AccountOpened>(*decoded).nickname.has_value());
  auto bad = DecodeEvent("account_opened", 1,
                         R"({"account_id":"01J1A00000000000000000ACC0","handle":"ada",)"
                         R"("karma":101,"verified":false,"labels":["blue"],"opened_at_unix":1})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("'karma' must be in [-100, 100]"));
}

TEST(TestdataCodec, CurrentVersionDecodesDirectly) {
  const NoteRenamed renamed{.board_id = kBoard, .note_id = kNote, .title = "Plan",
                            .renamed_at_unix = 1700000100};
  EXPECT_EQ(NoteRenamed::kVersion, 2);
  auto decoded = DecodeEvent("note_renamed", 2, EncodePayload(renamed));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, Event{renamed});
}

TEST(TestdataCodec, VersionOnePayloadIsUpcast) {
  const std::string v1 =
      std::string(R"({"board_id":")") + kBoard + R"(","note_id":")" + kNote + R"(","name":"Old"})";
  auto decoded = DecodeEvent("note_renamed", 1, v1);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, (Event{NoteRenamed{.board_id = kBoard, .note_id = kNote, .title = "Old",
                                         .renamed_at_unix = 0}}));
  // The same v1 payload is not a valid v2 payload.
  EXPECT_FALSE(DecodeEvent("note_renamed", 2, v1).ok());
}

TEST(TestdataCodec, UpcastResultIsValidatedAndUpcasterErrorsNameTheStep) {
  auto not_json = DecodeEvent("note_renamed", 1, "[1,2");
  ASSERT_FALSE(not_json.ok());
  EXPECT_THAT(not_json.error().message, HasSubstr("note_renamed: upcast from v1 failed"));
  const std::string v1_long_name = std::string(R"({"board_id":")") + kBoard +
                                   R"(","note_id":")" + kNote + R"(","name":")" +
                                   std::string(81, 'x') + R"("})";
  auto too_long = DecodeEvent("note_renamed", 1, v1_long_name);
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.error().message, HasSubstr("'title' must be 1..80 UTF-8 bytes"));
  EXPECT_FALSE(DecodeEvent("note_renamed", 3, "{}").ok());
}

TEST(TestdataCodec, StreamsAndVariants) {
  const Event board = BoardOpened{.board_id = kBoard, .owner_id = kNote};
  EXPECT_EQ(StreamKeyOf(board), std::string("board:") + kBoard);
  EXPECT_TRUE(AsBoardEvent(board).has_value());
  EXPECT_FALSE(AsAccountEvent(board).has_value());
  EXPECT_EQ(ToEvent(AccountEvent{FullAccount()}), Event{FullAccount()});
}

TEST(TestdataRoutes, ActiveRoutesAndCatalog) {
  ASSERT_EQ(GatewayRoutes().size(), 3u);
  EXPECT_EQ(RoutesFor("note_renamed").at(0).gateway_type, "card_update");
  EXPECT_EQ(RoutesFor("board_opened").at(0).scope, GatewayScope::kUser);
  EXPECT_EQ(RoutesFor(kGatewayOrigin).at(0).gateway_type, "hello");
  ASSERT_EQ(GatewayEventCatalog().size(), 4u);
  EXPECT_FALSE(GatewayEventCatalog()[3].active);
  EXPECT_EQ(GatewayEventCatalog()[3].source, "");
}

}  // namespace
}  // namespace filament::eventgen_testdata
