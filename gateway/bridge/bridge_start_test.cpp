#include "gateway/bridge/bridge_start.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "commands/snapshot/snapshot_codec.hpp"
#include "gateway/bridge/bridge_start_testing.hpp"

namespace filament::gateway {
namespace {

using bridge_testing::BridgeFold;
using bridge_testing::BridgeLog;
using bridge_testing::Id;
using bridge_testing::kPartitions;

// The bridge's own fold of records [0, cut) + the rest, against BridgeStartFrom(the command
// side's fold of [0, cut)) + the rest, at every cut: equal answers, and the command fold is
// left as it was (it is handed to the command side afterwards).
TEST(BridgeStart, FromTheCommandFoldAnswersLikeTheBridgeFoldAtEveryCut) {
  BridgeLog log;
  const auto& records = log.records();
  BridgeFold full;
  for (const auto& r : records) full.Apply(r);
  const auto expected = full.Answers();
  for (size_t cut = 0; cut <= records.size(); ++cut) {
    commands::CommandFold fold(kPartitions);
    for (size_t i = 0; i < cut; ++i) ASSERT_TRUE(fold.Fold(records[i]).ok());
    const std::string before = commands::snapshot::EncodeSnapshot(fold);
    auto start = BridgeStartFrom(fold);
    EXPECT_EQ(commands::snapshot::EncodeSnapshot(fold), before) << "cut " << cut;
    EXPECT_EQ(start->ends, fold.ends);
    BridgeFold seeded;
    seeded.observers = std::move(start->observers);
    seeded.access.Install(std::move(start->guilds), start->recorded_server_owner);
    seeded.voice.Install(start->voices);
    for (size_t i = cut; i < records.size(); ++i) seeded.Apply(records[i]);
    EXPECT_EQ(seeded.Answers(), expected) << "cut " << cut;
  }
}

// The answers above are not vacuous: the log's memberships, friendships, overrides, owner and
// voice all show in them.
TEST(BridgeStart, TheComparedAnswersCoverEveryPartOfTheFold) {
  BridgeLog log;
  BridgeFold full;
  for (const auto& r : log.records()) full.Apply(r);
  const auto answers = full.Answers();
  auto has = [&](const std::string& line) {
    return std::find(answers.begin(), answers.end(), line) != answers.end();
  };
  const std::string g = Id('G', 0), c = Id('C', 0), p = Id('C', 1);
  auto u = BridgeLog::U;
  EXPECT_TRUE(has(u(0) + " observed by " + u(0) + " " + u(1) + " " + u(2)));  // friend 2 (kicked)
  EXPECT_TRUE(has(u(3) + " observed by " + u(3)));                            // banned, unfriended
  EXPECT_TRUE(has(u(1) + " sees " + g + "/" + p + ": 1"));
  EXPECT_TRUE(has(u(2) + " sees " + g + "/" + c + ": 0"));  // kicked
  EXPECT_TRUE(has(u(4) + " sees " + g + "/" + p + ": 1"));  // the recorded server owner
  EXPECT_TRUE(has(u(3) + " member of " + g + ": 0"));
  EXPECT_TRUE(has("voice " + c + " " + u(0) + "@22"));
}

TEST(BridgeStart, AnEmptyFoldGivesAnEmptyStart) {
  commands::CommandFold fold(kPartitions);
  auto start = BridgeStartFrom(fold);
  EXPECT_EQ(start->ends, (std::vector<int64_t>{0, 0}));
  EXPECT_TRUE(start->guilds.empty());
  EXPECT_TRUE(start->voices.empty());
  EXPECT_EQ(start->observers.Observers(Id('W', 0)), std::vector<std::string>{Id('W', 0)});
}

}  // namespace
}  // namespace filament::gateway
