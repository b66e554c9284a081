#include "commands/snapshot/snapshot_codec.hpp"

#include <random>

#include <gtest/gtest.h>

#include "commands/snapshot/snapshot_test_log.hpp"
#include "core/ulid.hpp"
#include "events/log_archive.hpp"

namespace filament::commands::snapshot {
namespace {

using snapshot_testing::Id;
using snapshot_testing::kPartitions;
using snapshot_testing::Log;

std::string Encoded(const Log& log) { return EncodeSnapshot(*log.Fold(0, log.records().size())); }

TEST(SnapshotCodec, RoundTripEqualsTheFold) {
  Log log;
  auto fold = log.Fold(0, log.records().size());
  const std::string bytes = EncodeSnapshot(*fold);
  auto decoded = DecodeSnapshot(bytes, kPartitions);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(EncodeSnapshot(**decoded), bytes);  // bodies still encoded are written as read
  CommandFold& d = **decoded;
  // Guild heads are decoded, their messages and attachments left encoded (ADR 0095).
  EXPECT_EQ(d.undecoded_guilds.count(Id('G', 0)), 1u);
  EXPECT_TRUE(d.guilds.at(Id('G', 0)).messages.empty());
  EXPECT_EQ(d.guilds.at(Id('G', 0)).authz.banned_user_ids.count(Id('W', 1)), 1u);
  ASSERT_TRUE(d.CompleteGuilds().ok());
  EXPECT_TRUE(d.undecoded_guilds.empty());
  EXPECT_EQ(EncodeSnapshot(d), bytes);
  EXPECT_EQ(d.ends, fold->ends);
  EXPECT_EQ(d.last_event_ids, fold->last_event_ids);
  const GuildState& g = d.guilds.at(Id('G', 0));
  EXPECT_EQ(g.version, fold->guilds.at(Id('G', 0)).version);
  EXPECT_EQ(g.messages.size(), 20u);  // 21 posted, one deleted
  EXPECT_EQ(g.messages.count(Id('M', 2)), 0u);
  EXPECT_EQ(g.messages.at(Id('M', 1)).reactions.at("👍").count(Id('W', 0)), 1u);
  EXPECT_EQ(g.messages.at(Id('M', 3)).attachment_ids, std::vector<std::string>{Id('A', 0)});
  EXPECT_EQ(g.authz.banned_user_ids.count(Id('W', 1)), 1u);
  EXPECT_EQ(g.authz.roles.at(Id('R', 4)).allow, PermissionSet::Of({Permission::kDeleteMessage}));
  EXPECT_EQ(g.authz.channels.at(Id('C', 0)).member_overrides.at(Id('W', 1)).deny,
            PermissionSet::Of({Permission::kBanMember}));
  EXPECT_EQ(g.role_meta.at(Id('R', 4)).color_hex, "#112233");
  EXPECT_EQ(d.users.at(Id('W', 0)).sessions.at(Id('S', 0)).expires_at_unix, 99);
  EXPECT_EQ(d.directory.user_id_by_username.at("bob"), Id('W', 1));
  EXPECT_EQ(d.directory.guilds_created_by_user.at(Id('W', 0)), 1);
  EXPECT_TRUE(d.friendships.at(FriendPairKey(Id('W', 0), Id('W', 1))).pending.has_value());
  EXPECT_EQ(d.voices.at(Id('W', 0)).participation->expires_at_unix, 400);
  EXPECT_EQ(d.attachments.Used(Id('W', 1)), 1234u);
  EXPECT_TRUE(d.attachments.IsLive(Id('A', 0)));
}

TEST(SnapshotCodec, SnapshotPlusTailEqualsTheFullFold) {
  Log log;
  const size_t n = log.records().size();
  const std::string full = Encoded(log);
  for (size_t cut = 0; cut <= n; ++cut) {
    auto decoded = DecodeSnapshot(EncodeSnapshot(*log.Fold(0, cut)), kPartitions);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(EncodeSnapshot(*log.Fold(cut, n - cut, std::move(*decoded))), full) << cut;
  }
}

TEST(SnapshotCodec, EveryTruncationIsRefused) {
  const std::string bytes = Encoded(Log());
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(DecodeSnapshot(bytes.substr(0, size), kPartitions).ok()) << size;
  }
  EXPECT_FALSE(DecodeSnapshot(bytes + "x", kPartitions).ok());
}

TEST(SnapshotCodec, EveryFlippedByteIsRefused) {
  const std::string bytes = Encoded(Log());
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (char mask : {'\x01', '\x80', '\xff'}) {
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ mask);
      EXPECT_FALSE(DecodeSnapshot(flipped, kPartitions).ok()) << at;
    }
  }
}

// With the CRC fixed up, the parser itself must refuse (or accept) every mutated body without
// crashing, and refuse every truncated body.
std::string WithBody(const std::string& bytes, const std::string& body) {
  std::string out = bytes.substr(0, 12);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((body.size() >> (8 * i)) & 0xff));
  const uint32_t crc = events::Crc32c(body);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out + body;
}

// How a message id appears in a guild body: 16 bytes for a canonical ULID, else its text.
std::string InBody(const std::string& id) {
  auto ulid = core::Ulid::Parse(id);
  if (!ulid || ulid->ToString() != id) return id;
  return std::string(reinterpret_cast<const char*>(ulid->bytes().data()), 16);
}

// Enough guilds and messages (> 1 MiB) for the guild section to be decoded on several threads
// (ADR 0086): the round trip still equals the fold, and a guild whose content is corrupt in the
// middle of the section is still refused, by name.
TEST(SnapshotCodec, ManyGuildsDecodedInParallelGiveTheSameFold) {
  CommandFold fold(kPartitions);
  for (int g = 0; g < 40; ++g) {
    GuildState& state = fold.guilds[Id('G', g)];
    state.version = 1;
    state.exists = true;
    state.guild_id = Id('G', g);
    for (int m = 0; m < 2000; ++m) {
      auto& facts = state.messages["01HZZZZZZZZZZZZZ" + std::to_string(1000000000 + g * 10000 + m)];
      facts.channel_id = Id('C', g % 3);
      facts.author_id = Id('W', m % 7);
    }
  }
  const std::string bytes = EncodeSnapshot(fold);
  ASSERT_GT(bytes.size(), 1u << 20);
  auto decoded = DecodeSnapshot(bytes, kPartitions);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(EncodeSnapshot(**decoded), bytes);
  ASSERT_TRUE((*decoded)->CompleteGuild(Id('G', 17)).ok());
  EXPECT_EQ((*decoded)->guilds.at(Id('G', 17)).messages.at("01HZZZZZZZZZZZZZ1000170005").author_id,
            Id('W', 5));
  // Message 1000250000's channel index (the byte after its key) points outside the id table.
  std::string body = bytes.substr(kSnapshotHeaderBytes);
  const std::string id = InBody("01HZZZZZZZZZZZZZ1000250000");
  ASSERT_EQ(id.size(), 16u);  // a canonical ULID: written as 16 bytes (ADR 0095)
  const size_t at = body.find(id);
  ASSERT_NE(at, std::string::npos);
  body[at + 16] = 0x7f;
  auto refused = DecodeSnapshot(WithBody(bytes, body), kPartitions);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("guild " + Id('G', 25) + ": id index out of range"),
            std::string::npos)
      << refused.error().message;
}

TEST(SnapshotCodec, BodiesWithAValidChecksumAreStillCheckedStrictly) {
  const std::string bytes = Encoded(Log());
  const std::string body = bytes.substr(kSnapshotHeaderBytes);
  ASSERT_TRUE(DecodeSnapshot(WithBody(bytes, body), kPartitions).ok());
  for (size_t size = 0; size < body.size(); ++size) {
    EXPECT_FALSE(DecodeSnapshot(WithBody(bytes, body.substr(0, size)), kPartitions).ok()) << size;
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string mutated = body;
    mutated[rng() % mutated.size()] = static_cast<char>(rng());
    // Must not crash or hang; and a body the load's check accepts must decode (ADR 0095).
    auto decoded = DecodeSnapshot(WithBody(bytes, mutated), kPartitions);
    if (decoded.ok()) {
      auto completed = (*decoded)->CompleteGuilds();
      EXPECT_TRUE(completed.ok()) << completed.error().message;
    }
  }
  // A hostile count is refused before anything is allocated.
  SnapshotWriter hostile;
  hostile.U64(kPartitions);
  for (int p = 0; p < kPartitions; ++p) hostile.I64(0);
  for (int p = 0; p < kPartitions; ++p) hostile.Str("");
  hostile.U64(uint64_t{1} << 60);
  auto refused = DecodeSnapshot(WithBody(bytes, hostile.bytes()), kPartitions);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("count out of range"), std::string::npos);
}

// The load's check of a guild body (ADR 0095) refuses what the decoder would refuse, and keys
// out of the encoder's order.
// Message ids that are canonical ULIDs (written as 16 bytes, ADR 0095) and ids that are not
// (written as text) round-trip exactly.
TEST(SnapshotCodec, MessageIdsAsBinaryUlidsOrTextRoundTrip) {
  std::vector<size_t> sizes;
  for (const std::string prefix : {"01HZZZZZZZZZZZZZZZZZZZZM", "01hzzzzzzzzzzzzzzzzzzzzm", "m"}) {
    GuildState g;
    for (int m = 0; m < 12; ++m) {
      g.messages[prefix + std::to_string(10 + m)] =
          MessageFacts{.channel_id = "c", .author_id = "a"};
    }
    const std::string body = EncodeGuildBody(g);
    EXPECT_EQ(CheckGuildBody(body), "");
    GuildState out;
    ASSERT_TRUE(DecodeGuildBody(body, out).ok()) << prefix;
    EXPECT_EQ(out.messages.size(), g.messages.size());
    for (const auto& [id, facts] : g.messages) EXPECT_EQ(out.messages.count(id), 1u) << id;
    EXPECT_EQ(EncodeGuildBody(out), body);
    sizes.push_back(body.size());
  }
  // A canonical ULID takes 16 bytes, a 26-character id that is not canonical (lower case) 27.
  EXPECT_EQ(sizes[1] - sizes[0], 12u * 11u);
}

// The load's check of a guild body (ADR 0095) refuses what the decoder would refuse, and keys
// out of the encoder's order; for binary ULID ids and for text ids.
TEST(SnapshotCodec, GuildBodiesAreCheckedAtLoadAsStrictlyAsTheirDecode) {
  for (char tag : {'M', '-'}) {
    auto id = [tag](int m) { return tag == '-' ? "m-" + std::to_string(m) : Id(tag, m); };
    GuildState g;
    g.guild_id = Id('G', 0);
    for (int m = 0; m < 3; ++m) {
      g.messages[id(m)] = MessageFacts{.channel_id = Id('C', 0), .author_id = Id('W', m)};
    }
    g.messages[id(1)].reactions["x"] = {Id('W', 0), Id('W', 1)};
    const std::string body = EncodeGuildBody(g);
    EXPECT_EQ(CheckGuildBody(body), "");
    for (size_t size = 0; size < body.size(); ++size) {
      EXPECT_NE(CheckGuildBody(body.substr(0, size)), "") << size;
    }
    EXPECT_NE(CheckGuildBody(body + "x"), "");
    const std::string m0 = InBody(id(0)), m1 = InBody(id(1)), m2 = InBody(id(2));
    std::string swapped = body;  // messages 0 and 2 swap ids: out of order
    const size_t at0 = swapped.find(m0), at2 = swapped.find(m2);
    ASSERT_NE(at0, std::string::npos);
    ASSERT_NE(at2, std::string::npos);
    swapped.replace(at0, m0.size(), m2);
    swapped.replace(at2, m2.size(), m0);
    EXPECT_NE(CheckGuildBody(swapped).find("duplicate message"), std::string::npos);
    std::string twice = body;  // message 1 gets message 0's id: a duplicate
    twice.replace(twice.find(m1), m1.size(), m0);
    EXPECT_NE(CheckGuildBody(twice).find("duplicate message"), std::string::npos);
    GuildState decoded;
    EXPECT_FALSE(DecodeGuildBody(twice, decoded).ok());
    for (size_t at = 0; at < body.size(); ++at) {  // what the check accepts, the decode accepts
      for (char mask : {'\x01', '\x7f', '\x80'}) {
        std::string flipped = body;
        flipped[at] = static_cast<char>(flipped[at] ^ mask);
        GuildState out;
        if (CheckGuildBody(flipped).empty()) {
          EXPECT_TRUE(DecodeGuildBody(flipped, out).ok()) << at;
        }
      }
    }
  }
}

TEST(SnapshotCodec, AnotherVersionOrPartitionCountIsRefused) {
  std::string bytes = Encoded(Log());
  auto other_partitions = DecodeSnapshot(bytes, kPartitions + 1);
  ASSERT_FALSE(other_partitions.ok());
  EXPECT_EQ(other_partitions.error().code, core::ErrorCode::kFailedPrecondition);
  bytes[8] = static_cast<char>(kSnapshotFormatVersion + 1);
  auto old = DecodeSnapshot(bytes, kPartitions);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(old.error().message.find("format version"), std::string::npos);
}

}  // namespace
}  // namespace filament::commands::snapshot
