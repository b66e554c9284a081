#include "projections/audit/audit_projection.hpp"

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/decode_record.hpp"

namespace filament::projections {
namespace {

const char* OrNull(const std::optional<std::string>& value) {
  return value ? value->c_str() : nullptr;
}

// Escapes LIKE wildcards ('_' is legal in an action prefix).
std::string LikePrefix(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

}  // namespace

bool AuditProjection::Ignores(const events::RecordMeta& meta) const {
  // Guild streams, and from the voice streams only token issues (media.token.issue).
  if (meta.stream.rfind("guild:", 0) != 0 && meta.type != events::VoiceTokenIssued::kType) {
    return true;
  }
  return meta.type == events::MessagePosted::kType;
}

core::Status AuditProjection::Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) {
  if (Ignores(record.record.meta)) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  auto entry = AuditEntryOf(record.record.meta, *event);
  if (!entry) return core::OkStatus();
  (void)tx;
  pending_.push_back(std::move(*entry));
  return core::OkStatus();
}

core::Status AuditProjection::Flush(pqxx::dbtransaction& tx) {
  if (pending_.empty()) return core::OkStatus();
  std::string sql =
      "INSERT INTO guild_audit (audit_id, guild_id, actor_user_id, target_user_id, action, "
      "created_at_unix, ip_ban_match) VALUES ";
  for (size_t i = 0; i < pending_.size(); ++i) {
    const AuditEntry& e = pending_[i];
    sql += (i == 0 ? "(" : ",(") + tx.quote(e.audit_id) + "," + tx.quote(e.guild_id) + "," +
           tx.quote(e.actor_user_id) + "," +
           (e.target_user_id ? tx.quote(*e.target_user_id) : std::string("NULL")) + "," +
           tx.quote(e.action) + "," + std::to_string(e.created_at_unix) + "," +
           (e.ip_ban_match ? "true" : "false") + ")";
  }
  pending_.clear();  // written or rolled back with the transaction either way
  tx.exec(sql);
  return core::OkStatus();
}

core::Result<std::vector<AuditEntry>> AuditQueries::List(
    const std::string& guild_id, const std::optional<std::string>& action_prefix,
    const std::optional<AuditCursor>& before, int limit) {
  using Out = core::Result<std::vector<AuditEntry>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    std::optional<std::string> like;
    if (action_prefix) like = LikePrefix(*action_prefix);
    std::vector<AuditEntry> out;
    for (const auto& r : tx.exec_params(
             "SELECT audit_id, guild_id, actor_user_id, target_user_id, action, created_at_unix, "
             "ip_ban_match FROM guild_audit WHERE guild_id = $1 "
             "AND ($2::text IS NULL OR action LIKE $2) "
             "AND ($3::bigint IS NULL OR (created_at_unix, audit_id) < ($3, $4)) "
             "ORDER BY created_at_unix DESC, audit_id DESC LIMIT $5",
             guild_id, OrNull(like),
             before ? std::to_string(before->created_at_unix).c_str() : nullptr,
             before ? before->audit_id.c_str() : "", limit)) {
      out.push_back(AuditEntry{
          r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
          r[3].is_null() ? std::nullopt : std::optional<std::string>(r[3].as<std::string>()),
          r[4].as<std::string>(), r[5].as<int64_t>(), r[6].as<bool>()});
    }
    return out;
  });
}

}  // namespace filament::projections
