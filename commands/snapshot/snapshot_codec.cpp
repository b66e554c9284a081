#include "commands/snapshot/snapshot_codec.hpp"

#include <algorithm>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

#include "events/log_archive.hpp"

namespace filament::commands::snapshot {
namespace {

constexpr uint64_t kMaxPartitions = 1 << 16;
// Guilds are decoded on up to this many threads once the section is at least this large.
constexpr size_t kDecodeThreads = 4;
constexpr size_t kParallelDecodeBytes = 1 << 20;

// A map of stream states in key order: count, then (key, state) pairs.
template <typename State, typename EncodeState>
void EncodeStates(SnapshotWriter& w, const std::unordered_map<std::string, State>& states,
                  EncodeState&& encode) {
  auto sorted = Sorted(states);
  w.U64(sorted.size());
  for (const auto* entry : sorted) {
    w.Str(entry->first);
    encode(w, entry->second);
  }
}

template <typename State, typename DecodeState>
void DecodeStates(SnapshotReader& r, std::unordered_map<std::string, State>& states,
                  DecodeState&& decode) {
  const uint64_t count = r.Count();
  states.reserve(count);
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    std::string key = r.Str();
    if (!states.emplace(std::move(key), decode(r)).second) r.Fail("duplicate stream");
  }
}

// The guild section: count, then (key, length-prefixed guild encoding) pairs. The lengths let
// the decoder split the section first and decode the guilds on several threads (ADR 0086). A
// guild whose body was never decoded is written with its body's bytes as they were read
// (ADR 0095: the encoding is canonical, so they are the bytes its state would encode to).
void EncodeGuilds(SnapshotWriter& w, const CommandFold& fold) {
  auto sorted = Sorted(fold.guilds);
  w.U64(sorted.size());
  SnapshotWriter one;
  for (const auto* entry : sorted) {
    w.Str(entry->first);
    one.bytes().clear();
    EncodeGuildHead(one, entry->second);
    auto undecoded = fold.undecoded_guilds.find(entry->first);
    if (undecoded != fold.undecoded_guilds.end()) {
      one.Str(undecoded->second.bytes);
    } else {
      one.Str(EncodeGuildBody(entry->second));
    }
    w.Str(one.bytes());
  }
}

struct GuildSlice {
  std::string key;
  std::string_view bytes;
  GuildState state;       // the head
  std::string_view body;  // checked, not decoded
  std::string error;
};

void DecodeSlices(std::vector<GuildSlice>& slices, size_t first, size_t last) {
  for (size_t i = first; i < last; ++i) {
    SnapshotReader r(slices[i].bytes);
    slices[i].state = DecodeGuildHead(r);
    slices[i].body = r.Bytes();
    if (r.ok() && !r.AtEnd()) r.Fail("bytes after the guild's last field");
    if (r.ok()) {
      slices[i].error = CheckGuildBody(slices[i].body);
    } else {
      slices[i].error = r.error();
    }
  }
}

// Decodes the slices on up to kDecodeThreads threads, each a run of about equal bytes.
void DecodeSlicesInParallel(std::vector<GuildSlice>& slices) {
  size_t total = 0;
  for (const auto& s : slices) total += s.bytes.size();
  const size_t threads = std::min<size_t>(
      {kDecodeThreads, std::max(1u, std::thread::hardware_concurrency()), slices.size()});
  if (threads <= 1 || total < kParallelDecodeBytes) return DecodeSlices(slices, 0, slices.size());
  std::vector<std::thread> workers;
  size_t first = 0, bytes = 0;
  for (size_t i = 0; i < slices.size(); ++i) {
    bytes += slices[i].bytes.size();
    if (workers.size() + 1 < threads && bytes >= total * (workers.size() + 1) / threads) {
      workers.emplace_back(DecodeSlices, std::ref(slices), first, i + 1);
      first = i + 1;
    }
  }
  DecodeSlices(slices, first, slices.size());
  for (auto& worker : workers) worker.join();
}

// Every guild's head decoded and its body checked; the bodies stay encoded (ADR 0095).
void DecodeGuilds(SnapshotReader& r, const std::shared_ptr<const std::string>& owner,
                  CommandFold& fold) {
  std::vector<GuildSlice> slices;
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    GuildSlice slice{.key = r.Str()};
    slice.bytes = r.Bytes();
    slices.push_back(std::move(slice));
  }
  if (!r.ok()) return;
  DecodeSlicesInParallel(slices);
  fold.guilds.reserve(slices.size());
  fold.undecoded_guilds.reserve(slices.size());
  for (auto& slice : slices) {
    if (!slice.error.empty()) return r.Fail("guild " + slice.key + ": " + slice.error);
    if (!slice.body.empty()) {
      fold.undecoded_guilds.emplace(slice.key, CommandFold::EncodedGuildBody{owner, slice.body});
    }
    if (!fold.guilds.emplace(std::move(slice.key), std::move(slice.state)).second) {
      return r.Fail("duplicate stream");
    }
  }
}

void EncodeUser(SnapshotWriter& w, const UserState& u) {
  w.I64(u.version);
  w.Bool(u.exists);
  w.Str(u.user_id);
  w.Str(u.username);
  w.I64(u.registered_at_unix);
  w.Str(u.about_markdown);
  w.I64(u.avatar_version);
  w.I64(u.banner_version);
  EncodeStates(w, u.sessions, [](SnapshotWriter& w, const SessionLife& s) {
    w.I64(s.started_at_unix);
    w.I64(s.expires_at_unix);
    w.Bool(s.revoked);
  });
}

UserState DecodeUser(SnapshotReader& r) {
  UserState u;
  u.version = r.I64();
  u.exists = r.Bool();
  u.user_id = r.Str();
  u.username = r.Str();
  u.registered_at_unix = r.I64();
  u.about_markdown = r.Str();
  u.avatar_version = r.I64();
  u.banner_version = r.I64();
  DecodeStates(r, u.sessions, [](SnapshotReader& r) {
    SessionLife s{.started_at_unix = r.I64(), .expires_at_unix = r.I64()};
    s.revoked = r.Bool();
    return s;
  });
  return u;
}

void EncodeFriendship(SnapshotWriter& w, const FriendshipState& f) {
  w.I64(f.version);
  w.Bool(f.pending.has_value());
  if (f.pending) {
    w.Str(f.pending->request_id);
    w.Str(f.pending->sender_user_id);
    w.Str(f.pending->recipient_user_id);
    w.I64(f.pending->created_at_unix);
  }
  w.Bool(f.friends);
  w.I64(f.friends_since_unix);
}

FriendshipState DecodeFriendship(SnapshotReader& r) {
  FriendshipState f;
  f.version = r.I64();
  if (r.Bool()) {
    PendingFriendRequest p{.request_id = r.Str(), .sender_user_id = r.Str()};
    p.recipient_user_id = r.Str();
    p.created_at_unix = r.I64();
    f.pending = std::move(p);
  }
  f.friends = r.Bool();
  f.friends_since_unix = r.I64();
  return f;
}

void EncodeVoice(SnapshotWriter& w, const VoiceState& v) {
  w.I64(v.version);
  w.Bool(v.participation.has_value());
  if (!v.participation) return;
  const VoiceParticipation& p = *v.participation;
  for (const auto* s : {&p.guild_id, &p.channel_id, &p.identity}) w.Str(*s);
  for (int64_t t : {p.joined_at_unix, p.updated_at_unix, p.expires_at_unix}) w.I64(t);
  for (bool b :
       {p.is_muted, p.is_deafened, p.is_speaking, p.is_video_enabled, p.is_screen_share_enabled}) {
    w.Bool(b);
  }
  w.U64(p.sources.size());
  for (const auto& s : p.sources) w.Str(s);
}

VoiceState DecodeVoice(SnapshotReader& r) {
  VoiceState v;
  v.version = r.I64();
  if (!r.Bool()) return v;
  VoiceParticipation p;
  for (auto* s : {&p.guild_id, &p.channel_id, &p.identity}) *s = r.Str();
  for (auto* t : {&p.joined_at_unix, &p.updated_at_unix, &p.expires_at_unix}) *t = r.I64();
  for (auto* b : {&p.is_muted, &p.is_deafened, &p.is_speaking, &p.is_video_enabled,
                  &p.is_screen_share_enabled}) {
    *b = r.Bool();
  }
  for (uint64_t n = r.Count(16); n > 0 && r.ok(); --n) p.sources.push_back(r.Str());
  v.participation = std::move(p);
  return v;
}

void EncodeDirectory(SnapshotWriter& w, const UserDirectory& d) {
  auto str = [](SnapshotWriter& w, const std::string& s) { w.Str(s); };
  EncodeStates(w, d.user_id_by_username, str);
  EncodeStates(w, d.username_by_user_id, str);
  EncodeStates(w, d.guilds_created_by_user, [](SnapshotWriter& w, int64_t n) { w.I64(n); });
  EncodeStates(w, d.friend_pair_by_request, str);
}

void DecodeDirectory(SnapshotReader& r, UserDirectory& d) {
  auto str = [](SnapshotReader& r) { return r.Str(); };
  DecodeStates(r, d.user_id_by_username, str);
  DecodeStates(r, d.username_by_user_id, str);
  DecodeStates(r, d.guilds_created_by_user, [](SnapshotReader& r) { return r.I64(); });
  DecodeStates(r, d.friend_pair_by_request, str);
}

void PutFixed(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetFixed(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  return v;
}

core::Status DecodeBody(SnapshotReader& r, const std::shared_ptr<const std::string>& owner,
                        CommandFold& fold) {
  for (auto& end : fold.ends) {
    end = r.I64();
    if (end < 0) r.Fail("negative end offset");
  }
  for (size_t p = 0; p < fold.ends.size(); ++p) {
    fold.last_event_ids[p] = r.Str();
    if (fold.last_event_ids[p].empty() != (fold.ends[p] == 0)) r.Fail("last event id mismatch");
  }
  DecodeGuilds(r, owner, fold);
  DecodeStates(r, fold.users, DecodeUser);
  DecodeStates(r, fold.friendships, DecodeFriendship);
  DecodeStates(r, fold.voices, DecodeVoice);
  fold.server_owner_user_id = r.Str();
  DecodeDirectory(r, fold.directory);
  AttachmentQuota::LiveMap live;
  DecodeStates(r, live, [](SnapshotReader& r) {
    std::pair<std::string, uint64_t> owned{r.Str(), 0};
    owned.second = r.U64();
    return owned;
  });
  if (r.ok() && !r.AtEnd()) r.Fail("bytes after the last field");
  if (!r.ok()) return core::InvalidArgument("snapshot corrupt: " + r.error());
  fold.attachments.Restore(std::move(live));
  return core::OkStatus();
}

}  // namespace

std::string EncodeSnapshot(const CommandFold& fold) {
  SnapshotWriter w;
  w.U64(fold.ends.size());
  for (int64_t end : fold.ends) w.I64(end);
  for (const auto& id : fold.last_event_ids) w.Str(id);
  EncodeGuilds(w, fold);
  EncodeStates(w, fold.users, EncodeUser);
  EncodeStates(w, fold.friendships, EncodeFriendship);
  EncodeStates(w, fold.voices, EncodeVoice);
  w.Str(fold.server_owner_user_id);
  EncodeDirectory(w, fold.directory);
  EncodeStates(w, fold.attachments.Live(),
               [](SnapshotWriter& w, const std::pair<std::string, uint64_t>& owned) {
                 w.Str(owned.first);
                 w.U64(owned.second);
               });
  const std::string& body = w.bytes();
  std::string out(kSnapshotMagic);
  PutFixed(out, kSnapshotFormatVersion, 4);
  PutFixed(out, body.size(), 8);
  PutFixed(out, events::Crc32c(body), 4);
  out.append(body);
  return out;
}

core::Result<std::unique_ptr<CommandFold>> DecodeSnapshot(std::string_view bytes,
                                                          int32_t partitions) {
  return DecodeSnapshot(std::make_shared<const std::string>(bytes), partitions);
}

core::Result<std::unique_ptr<CommandFold>> DecodeSnapshot(std::shared_ptr<const std::string> owner,
                                                          int32_t partitions) {
  const std::string_view bytes = *owner;
  if (bytes.size() < kSnapshotHeaderBytes || bytes.substr(0, 8) != kSnapshotMagic) {
    return core::InvalidArgument("snapshot corrupt: no snapshot header");
  }
  const uint64_t version = GetFixed(bytes, 8, 4);
  if (version != kSnapshotFormatVersion) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "snapshot format version " + std::to_string(version) +
                               ", this build reads " + std::to_string(kSnapshotFormatVersion));
  }
  const std::string_view body = bytes.substr(kSnapshotHeaderBytes);
  if (GetFixed(bytes, 12, 8) != body.size()) {
    return core::InvalidArgument("snapshot corrupt: body length does not match");
  }
  if (GetFixed(bytes, 20, 4) != events::Crc32c(body)) {
    return core::InvalidArgument("snapshot corrupt: CRC-32C does not match");
  }
  SnapshotReader r(body);
  const uint64_t count = r.Count(kMaxPartitions);
  if (!r.ok()) return core::InvalidArgument("snapshot corrupt: " + r.error());
  if (count != static_cast<uint64_t>(partitions)) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "snapshot of a log with " + std::to_string(count) +
                               " partitions, the log has " + std::to_string(partitions));
  }
  auto fold = std::make_unique<CommandFold>(partitions);
  FILAMENT_RETURN_IF_ERROR(DecodeBody(r, owner, *fold));
  return fold;
}

}  // namespace filament::commands::snapshot
