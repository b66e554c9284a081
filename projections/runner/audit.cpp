#include "projections/runner/audit.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "events/log_scan.hpp"
#include "projections/audit/audit_actions.hpp"
#include "projections/runner/record_format.hpp"

namespace filament::projections {

namespace {

constexpr size_t kPayloadColumn = 60;

std::vector<std::string> TableRow(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  std::string payload = EscapeForLine(record.record.payload);
  if (payload.size() > kPayloadColumn) payload = payload.substr(0, kPayloadColumn - 3) + "...";
  return {events::FormatPosition(record.position),
          FormatRfc3339(meta.time_unix_ms),
          EscapeForLine(meta.type),
          EscapeForLine(meta.stream),
          EscapeForLine(meta.actor_user_id),
          EscapeForLine(meta.event_id),
          EscapeForLine(meta.correlation_id),
          payload};
}

void PrintTable(const std::vector<events::StoredRecord>& records, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"POSITION", "TIME", "TYPE", "STREAM", "ACTOR", "EVENT_ID", "CORRELATION_ID", "PAYLOAD"}};
  for (const auto& record : records) rows.push_back(TableRow(record));
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

// RecordToJson plus "action" (the contract audit action, as GET /guilds/{g}/audit lists it)
// when the record is an audited event.
std::string JsonLine(const events::StoredRecord& record) {
  std::string line = RecordToJson(record);
  const auto& meta = record.record.meta;
  if (record.decode_error || meta.stream.rfind("guild:", 0) != 0) return line;
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  if (!event.ok()) return line;
  auto entry = AuditEntryOf(meta, *event);
  if (!entry) return line;
  auto json = nlohmann::ordered_json::parse(line);
  json["action"] = entry->action;
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

bool AuditMatches(const AuditFilter& filter, const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  if (filter.workspace && meta.stream != "guild:" + *filter.workspace) return false;
  if (filter.actor && meta.actor_user_id != *filter.actor) return false;
  if (!filter.types.empty() &&
      std::find(filter.types.begin(), filter.types.end(), meta.type) == filter.types.end()) {
    return false;
  }
  if (filter.since_unix_ms && meta.time_unix_ms < *filter.since_unix_ms) return false;
  if (filter.until_unix_ms && meta.time_unix_ms >= *filter.until_unix_ms) return false;
  return true;
}

core::Result<size_t> RunAudit(events::EventLog& log, const AuditFilter& filter, AuditFormat format,
                              std::ostream& out) {
  auto ends = log.EndOffsets();
  if (!ends.ok()) return ends.error();
  std::vector<events::StoredRecord> matches;
  FILAMENT_RETURN_IF_ERROR(events::ReadLogUpTo(log, *ends, [&](const events::StoredRecord& record) {
    if (AuditMatches(filter, record)) matches.push_back(record);
    return core::OkStatus();
  }));
  std::stable_sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) {
    if (a.record.meta.time_unix_ms != b.record.meta.time_unix_ms) {
      return a.record.meta.time_unix_ms < b.record.meta.time_unix_ms;
    }
    return a.position < b.position;
  });
  if (format == AuditFormat::kJsonLines) {
    for (const auto& record : matches) out << JsonLine(record) << '\n';
  } else {
    PrintTable(matches, out);
  }
  out.flush();
  return matches.size();
}

}  // namespace filament::projections
