#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "projections/audit/audit_actions.hpp"
#include "projections/projection.hpp"

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore

namespace filament::projections {

// The workspace audit trail of migration 0020: one row per audited guild event
// (AuditEntryOf), so the trail is a projection of the log like any other read model.
// Insert-only: Apply buffers the rows, Flush writes a batch's rows in one multi-row INSERT.
class AuditProjection final : public Projection {
 public:
  std::string_view Name() const override { return "audit"; }
  std::vector<std::string> Tables() const override { return {"guild_audit"}; }
  // Everything but guild streams and voice token issues; and message posts.
  bool Ignores(const events::RecordMeta& meta) const override;
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;
  core::Status Flush(pqxx::dbtransaction& tx) override;
  void Discard() override { pending_.clear(); }

 private:
  std::vector<AuditEntry> pending_;  // owned by the runner thread applying this projection
};

// Page position: entries strictly older than (created_at_unix, audit_id).
struct AuditCursor {
  int64_t created_at_unix = 0;
  std::string audit_id;
};

// Reads of the audit trail. Thread-safe. Errors: kUnavailable, kInternal.
class AuditQueries {
 public:
  explicit AuditQueries(pgstore::ConnectionPool& pool) : pool_(pool) {}
  // Newest first (created_at_unix desc, audit_id desc), at most `limit`.
  core::Result<std::vector<AuditEntry>> List(const std::string& guild_id,
                                             const std::optional<std::string>& action_prefix,
                                             const std::optional<AuditCursor>& before, int limit);

 private:
  pgstore::ConnectionPool& pool_;
};

}  // namespace filament::projections
