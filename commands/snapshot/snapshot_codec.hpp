#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "commands/guild/guild_state.hpp"
#include "commands/snapshot/command_fold.hpp"
#include "commands/snapshot/snapshot_wire.hpp"
#include "core/result.hpp"

// The snapshot encoding of a CommandFold (ADR 0078):
//
//   "FLMTSNAP" | format version (u32 LE) | body length (u64 LE) | CRC-32C of body (u32 LE) | body
//
// The body is the fold's end offsets, then every stream state (in key order, so equal folds
// encode to equal bytes; each guild's encoding length-prefixed so that guilds decode on
// several threads), the directory and the attachment ledger, in SnapshotWriter
// primitives. Decoding is strict: a wrong magic, another format version, a length or CRC
// mismatch, any malformed or out-of-range field, duplicate keys or bytes left over are an
// error and nothing is returned. Bump kSnapshotFormatVersion whenever a state struct or its
// fold changes meaning: an old snapshot is then refused and the log is folded from 0.
namespace filament::commands::snapshot {

inline constexpr std::string_view kSnapshotMagic = "FLMTSNAP";
// 2: the recorded server owner (ADR 0085). 3: guilds length-prefixed, decoded in parallel
// (ADR 0086). 4: a guild's messages and attachments last, length-prefixed, decoded on first
// use (ADR 0095).
inline constexpr uint32_t kSnapshotFormatVersion = 4;
inline constexpr size_t kSnapshotHeaderBytes = 8 + 4 + 8 + 4;

std::string EncodeSnapshot(const CommandFold& fold);

// Errors: kInvalidArgument (corrupt: the message says where), kFailedPrecondition (another
// format version, or a snapshot of a log with another partition count than `partitions`).
// Every guild's body (its messages and attachments) is checked but left encoded in the
// returned fold's `undecoded_guilds`, which keeps `bytes` alive (ADR 0095).
core::Result<std::unique_ptr<CommandFold>> DecodeSnapshot(std::shared_ptr<const std::string> bytes,
                                                          int32_t partitions);
// The same on a copy of `bytes`.
core::Result<std::unique_ptr<CommandFold>> DecodeSnapshot(std::string_view bytes,
                                                          int32_t partitions);

// One guild's state (guild_codec.cpp): its head (all but messages and attachments), then its
// body (those two) length-prefixed (ADR 0095).
void EncodeGuild(SnapshotWriter& w, const GuildState& g);
void EncodeGuildHead(SnapshotWriter& w, const GuildState& g);
std::string EncodeGuildBody(const GuildState& g);
GuildState DecodeGuildHead(SnapshotReader& r);
// Whether DecodeGuildBody would accept `body`, without building anything: "" when it would,
// else what is wrong. (Stricter: keys must come in the encoder's ascending order.)
std::string CheckGuildBody(std::string_view body);
// Decodes a body into `g` (whose messages and attachments are empty). Errors: kInternal.
core::Status DecodeGuildBody(std::string_view body, GuildState& g);

}  // namespace filament::commands::snapshot
