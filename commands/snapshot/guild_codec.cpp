#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <vector>

#include "commands/snapshot/snapshot_codec.hpp"
#include "core/ulid.hpp"

// GuildState in the snapshot encoding (ADR 0078). Messages carry their channel and author as
// indexes into a per-guild table of ids, so a message costs its id and a few bytes. A guild is
// its head (everything but messages and attachments) and its length-prefixed body (those two),
// so that a start can decode every head and leave each body for the guild's first use (ADR 0095).
namespace filament::commands::snapshot {
namespace {

constexpr uint64_t kMaxAttachmentsPerMessage = 64;

void EncodeIdSet(SnapshotWriter& w, const std::set<std::string>& ids) {
  w.U64(ids.size());
  for (const auto& id : ids) w.Str(id);
}

std::set<std::string> DecodeIdSet(SnapshotReader& r) {
  std::set<std::string> ids;
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    if (!ids.insert(r.Str()).second) r.Fail("duplicate id");
  }
  return ids;
}

void EncodeOverrides(SnapshotWriter& w, const std::map<std::string, OverrideFacts>& overrides) {
  w.U64(overrides.size());
  for (const auto& [id, o] : overrides) {
    w.Str(id);
    w.U64(o.allow.bits());
    w.U64(o.deny.bits());
  }
}

PermissionSet Bits(SnapshotReader& r) {
  const uint64_t bits = r.U64();
  if ((bits & ~PermissionSet::kAllBits) != 0) r.Fail("unknown permission bits");
  return PermissionSet::FromBits(bits);
}

std::map<std::string, OverrideFacts> DecodeOverrides(SnapshotReader& r) {
  std::map<std::string, OverrideFacts> overrides;
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string id = r.Str();
    OverrideFacts o;
    o.allow = Bits(r);
    o.deny = Bits(r);
    if (!overrides.emplace(std::move(id), o).second) r.Fail("duplicate override");
  }
  return overrides;
}

void EncodeAuthz(SnapshotWriter& w, const GuildAuthz& a) {
  for (const auto* id :
       {&a.everyone_role_id, &a.owner_role_id, &a.moderator_role_id, &a.member_role_id}) {
    w.Str(*id);
  }
  w.U64(a.roles.size());
  for (const auto& [id, role] : a.roles) {
    w.Str(id);
    w.Str(role.role_id);
    w.I64(role.position);
    w.Str(role.system_key);
    w.U64(role.allow.bits());
  }
  w.U64(a.members.size());
  for (const auto& [id, member] : a.members) {
    w.Str(id);
    w.U64(static_cast<uint64_t>(member.legacy_role));
    EncodeIdSet(w, member.assigned_role_ids);
  }
  EncodeIdSet(w, a.banned_user_ids);
  w.U64(a.channels.size());
  for (const auto& [id, channel] : a.channels) {
    w.Str(id);
    EncodeOverrides(w, channel.role_overrides);
    EncodeOverrides(w, channel.member_overrides);
  }
}

GuildAuthz DecodeAuthz(SnapshotReader& r) {
  GuildAuthz a;
  for (auto* id :
       {&a.everyone_role_id, &a.owner_role_id, &a.moderator_role_id, &a.member_role_id}) {
    *id = r.Str();
  }
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string id = r.Str();
    RoleFacts role{.role_id = r.Str()};
    const int64_t position = r.I64();
    if (position < INT32_MIN || position > INT32_MAX) r.Fail("role position out of range");
    role.position = static_cast<int32_t>(position);
    role.system_key = r.Str();
    role.allow = Bits(r);
    if (!a.roles.emplace(std::move(id), std::move(role)).second) r.Fail("duplicate role");
  }
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string id = r.Str();
    const uint64_t legacy = r.U64();
    if (legacy < 1 || legacy > 3) r.Fail("legacy role out of range");
    MemberFacts member{.legacy_role = static_cast<LegacyRole>(legacy),
                       .assigned_role_ids = DecodeIdSet(r)};
    if (!a.members.emplace(std::move(id), std::move(member)).second) r.Fail("duplicate member");
  }
  a.banned_user_ids = DecodeIdSet(r);
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string id = r.Str();
    GuildAuthz::Channel channel{.role_overrides = DecodeOverrides(r),
                                .member_overrides = DecodeOverrides(r)};
    if (!a.channels.emplace(std::move(id), std::move(channel)).second) r.Fail("duplicate channel");
  }
  return a;
}

// The per-guild table of ids that messages refer to by index.
class IdTable {
 public:
  uint64_t Index(const std::string& id) {
    auto [it, added] = index_.emplace(id, ids_.size());
    if (added) ids_.push_back(&it->first);
    return it->second;
  }
  void Encode(SnapshotWriter& w) const {
    w.U64(ids_.size());
    for (const auto* id : ids_) w.Str(*id);
  }

 private:
  std::unordered_map<std::string, uint64_t> index_;
  std::vector<const std::string*> ids_;
};

std::string Lookup(SnapshotReader& r, const std::vector<std::string>& table) {
  const uint64_t i = r.U64();
  if (i >= table.size()) return r.Fail("id index out of range"), std::string();
  return table[i];
}

// A message id as its 16 bytes when it is a canonical ULID (26 upper-case Crockford
// characters), else nullopt. Binary ULIDs sort like their text, so key order is kept.
std::optional<std::array<uint8_t, 16>> UlidBytes(const std::string& id) {
  auto ulid = core::Ulid::Parse(id);
  if (!ulid || ulid->ToString() != id) return std::nullopt;
  return ulid->bytes();
}

std::string UlidText(std::string_view bytes) {
  uint64_t unix_ms = 0;
  for (size_t i = 0; i < 6; ++i) unix_ms = (unix_ms << 8) | static_cast<uint8_t>(bytes[i]);
  std::array<uint8_t, 10> random{};
  for (size_t i = 0; i < 10; ++i) random[i] = static_cast<uint8_t>(bytes[6 + i]);
  return core::Ulid::FromParts(unix_ms, random).ToString();
}

// Messages: the id table, whether ids are binary ULIDs (ADR 0095: when every message id of the
// guild is a canonical ULID, each is written as 16 bytes, not 27), the count, the messages.
void EncodeMessages(SnapshotWriter& w, const GuildState& g) {
  auto sorted = Sorted(g.messages);
  std::vector<std::array<uint8_t, 16>> binary_ids;
  binary_ids.reserve(sorted.size());
  for (const auto* entry : sorted) {
    auto bytes = UlidBytes(entry->first);
    if (!bytes) break;
    binary_ids.push_back(*bytes);
  }
  const bool binary = binary_ids.size() == sorted.size();
  IdTable table;
  SnapshotWriter body;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const MessageFacts& m = sorted[i]->second;
    if (binary) {
      body.bytes().append(reinterpret_cast<const char*>(binary_ids[i].data()), 16);
    } else {
      body.Str(sorted[i]->first);
    }
    body.U64(table.Index(m.channel_id));
    body.U64(table.Index(m.author_id));
    body.U64(m.attachment_ids.size());
    for (const auto& id : m.attachment_ids) body.Str(id);
    body.U64(m.reactions.size());
    for (const auto& [emoji, users] : m.reactions) {
      body.Str(emoji);
      body.U64(users.size());
      for (const auto& user : users) body.U64(table.Index(user));
    }
  }
  table.Encode(w);
  w.Bool(binary);
  w.U64(sorted.size());
  w.bytes().append(body.bytes());
}

void DecodeMessage(SnapshotReader& r, const std::vector<std::string>& table, MessageFacts& m) {
  m.channel_id = Lookup(r, table);
  m.author_id = Lookup(r, table);
  const uint64_t attachments = r.Count(kMaxAttachmentsPerMessage);
  for (uint64_t i = 0; i < attachments && r.ok(); ++i) m.attachment_ids.push_back(r.Str());
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string emoji = r.Str();
    std::set<std::string> users;
    for (uint64_t u = r.Count(); u > 0 && r.ok(); --u) {
      if (!users.insert(Lookup(r, table)).second) r.Fail("duplicate reaction");
    }
    if (!m.reactions.emplace(std::move(emoji), std::move(users)).second) {
      r.Fail("duplicate emoji");
    }
  }
}

void DecodeMessages(SnapshotReader& r, GuildState& g) {
  std::vector<std::string> table;
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) table.push_back(r.Str());
  const bool binary = r.Bool();
  const uint64_t count = r.Count();
  g.messages.reserve(count);
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    std::string id;
    if (binary) {
      const std::string_view bytes = r.Fixed(16);
      if (!r.ok()) break;
      id = UlidText(bytes);
    } else {
      id = r.Str();
    }
    auto [it, added] = g.messages.try_emplace(std::move(id));
    if (!added) return r.Fail("duplicate message");
    DecodeMessage(r, table, it->second);
  }
}

void EncodeAttachments(SnapshotWriter& w, const GuildState& g) {
  auto sorted = Sorted(g.attachments);
  w.U64(sorted.size());
  for (const auto* entry : sorted) {
    const AttachmentFacts& a = entry->second;
    w.Str(entry->first);
    for (const auto* s : {&a.channel_id, &a.owner_id, &a.message_id}) w.Str(*s);
    w.U64(a.size_bytes);
    for (const auto* s : {&a.filename, &a.mime_type, &a.sha256_hex}) w.Str(*s);
  }
}

void DecodeAttachments(SnapshotReader& r, GuildState& g) {
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    auto [it, added] = g.attachments.try_emplace(r.Str());
    if (!added) return r.Fail("duplicate attachment");
    AttachmentFacts& a = it->second;
    for (auto* s : {&a.channel_id, &a.owner_id, &a.message_id}) *s = r.Str();
    a.size_bytes = r.U64();
    for (auto* s : {&a.filename, &a.mime_type, &a.sha256_hex}) *s = r.Str();
  }
}

void EncodeRest(SnapshotWriter& w, const GuildState& g) {
  w.U64(g.role_meta.size());
  for (const auto& [id, meta] : g.role_meta) {
    w.Str(id);
    w.Str(meta.name);
    w.OptStr(meta.color_hex);
    w.I64(meta.created_at_unix);
  }
  w.OptStr(g.default_join_role_id);
  w.U64(g.ip_bans.size());
  for (const auto& [id, ban] : g.ip_bans) {
    w.Str(id);
    w.Str(ban.observation_id);
    w.OptI64(ban.expires_at_unix);
  }
}

void DecodeRest(SnapshotReader& r, GuildState& g) {
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string id = r.Str();
    GuildState::RoleMeta meta{.name = r.Str(), .color_hex = r.OptStr()};
    meta.created_at_unix = r.I64();
    if (!g.role_meta.emplace(std::move(id), std::move(meta)).second) r.Fail("duplicate role");
  }
  g.default_join_role_id = r.OptStr();
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string id = r.Str();
    GuildState::IpBan ban{.observation_id = r.Str(), .expires_at_unix = r.OptI64()};
    if (!g.ip_bans.emplace(std::move(id), std::move(ban)).second) r.Fail("duplicate ip ban");
  }
}

// What DecodeMessages and DecodeAttachments accept, checked without building anything
// (ADR 0095): views into the input, no allocation per message. Stricter in one way: keys must
// come in the encoder's (ascending) order, which also rules out duplicates.
class BodyChecker {
 public:
  explicit BodyChecker(std::string_view body) : r_(body) {}

  std::string Check() {
    for (uint64_t n = r_.Count(); n > 0 && r_.ok(); --n) table_.push_back(r_.View());
    const bool binary = r_.Bool();
    const uint64_t count = r_.Count();
    std::string_view previous;
    for (uint64_t i = 0; i < count && r_.ok(); ++i) {
      Ascending(i, previous, binary ? r_.Fixed(16) : r_.View(), "duplicate message");
      Message();
    }
    previous = {};
    const uint64_t attachments = r_.Count();
    for (uint64_t i = 0; i < attachments && r_.ok(); ++i) {
      Ascending(i, previous, r_.View(), "duplicate attachment");
      for (int s = 0; s < 3; ++s) r_.View();
      r_.U64();
      for (int s = 0; s < 3; ++s) r_.View();
    }
    if (r_.ok() && !r_.AtEnd()) r_.Fail("bytes after the guild's last field");
    return r_.error();
  }

 private:
  void Ascending(uint64_t i, std::string_view& previous, std::string_view key, const char* what) {
    if (i > 0 && r_.ok() && key <= previous) r_.Fail(what);
    previous = key;
  }
  std::string_view Lookup() {
    const uint64_t i = r_.U64();
    if (i >= table_.size()) return r_.Fail("id index out of range"), std::string_view();
    return table_[i];
  }
  void Message() {
    Lookup();
    Lookup();
    const uint64_t attachments = r_.Count(kMaxAttachmentsPerMessage);
    for (uint64_t i = 0; i < attachments && r_.ok(); ++i) r_.View();
    std::string_view emoji;
    const uint64_t reactions = r_.Count();
    for (uint64_t e = 0; e < reactions && r_.ok(); ++e) {
      Ascending(e, emoji, r_.View(), "duplicate emoji");
      std::string_view user;
      const uint64_t users = r_.Count();
      for (uint64_t u = 0; u < users && r_.ok(); ++u) {
        Ascending(u, user, Lookup(), "duplicate reaction");
      }
    }
  }

  SnapshotReader r_;
  std::vector<std::string_view> table_;
};

}  // namespace

void EncodeGuildHead(SnapshotWriter& w, const GuildState& g) {
  w.I64(g.version);
  w.Bool(g.exists);
  for (const auto* s : {&g.guild_id, &g.name, &g.visibility, &g.creator_user_id}) w.Str(*s);
  w.I64(g.created_at_unix);
  EncodeAuthz(w, g.authz);
  w.U64(g.channel_ids.size());
  for (const auto& id : g.channel_ids) w.Str(id);
  EncodeRest(w, g);
}

std::string EncodeGuildBody(const GuildState& g) {
  SnapshotWriter w;
  EncodeMessages(w, g);
  EncodeAttachments(w, g);
  return std::move(w.bytes());
}

void EncodeGuild(SnapshotWriter& w, const GuildState& g) {
  EncodeGuildHead(w, g);
  w.Str(EncodeGuildBody(g));
}

GuildState DecodeGuildHead(SnapshotReader& r) {
  GuildState g;
  g.version = r.I64();
  g.exists = r.Bool();
  for (auto* s : {&g.guild_id, &g.name, &g.visibility, &g.creator_user_id}) *s = r.Str();
  g.created_at_unix = r.I64();
  g.authz = DecodeAuthz(r);
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) g.channel_ids.push_back(r.Str());
  DecodeRest(r, g);
  return g;
}

std::string CheckGuildBody(std::string_view body) { return BodyChecker(body).Check(); }

core::Status DecodeGuildBody(std::string_view body, GuildState& g) {
  SnapshotReader r(body);
  DecodeMessages(r, g);
  DecodeAttachments(r, g);
  if (r.ok() && !r.AtEnd()) r.Fail("bytes after the guild's last field");
  if (!r.ok()) return core::Internal("guild " + g.guild_id + ": " + r.error());
  return core::OkStatus();
}

}  // namespace filament::commands::snapshot
