#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"

namespace filament::projections {

// One entry of a workspace's audit trail (contract §4.9 AuditEvent).
struct AuditEntry {
  std::string audit_id;  // the event id
  std::string guild_id;
  std::string actor_user_id;
  std::optional<std::string> target_user_id;
  std::string action;  // e.g. "member.kick"
  int64_t created_at_unix = 0;
  bool ip_ban_match = false;
};

// The audit entry an event is, or nullopt when the contract does not audit it. One entry per
// event: a role update touching several fields is "role.permissions.update" if permissions
// changed, else "role.update" if the name did, else "role.color.update". Shared by the audit
// read model and `filament audit`, so both list the same trail. Pure.
std::optional<AuditEntry> AuditEntryOf(const events::RecordMeta& meta, const events::Event& event);

}  // namespace filament::projections
