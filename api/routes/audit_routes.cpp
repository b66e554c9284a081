#include <nlohmann/json.hpp>

#include "api/routes/governance_helpers.hpp"
#include "projections/audit/audit_projection.hpp"

// GET /guilds/{g}/audit (contract §4.9), read from the audit read model.
namespace filament::api {
namespace {

constexpr int64_t kDefaultAuditPage = 20;
constexpr size_t kMaxActionPrefix = 64;
constexpr size_t kMaxCursor = 128;

core::Error AuditDenied() {
  return core::PermissionDenied("no view_audit_log", "audit_access_denied");
}

core::Status CheckActionPrefix(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > kMaxActionPrefix) {
    return core::InvalidArgument("action_prefix must be 1..64 characters");
  }
  for (char c : prefix) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')) {
      return core::InvalidArgument("action_prefix holds [a-z0-9._] only");
    }
  }
  return core::OkStatus();
}

// "<created_at_unix>_<audit_id>" (contract §2.5).
core::Result<projections::AuditCursor> ParseCursor(const std::string& text) {
  auto bad = [] { return core::InvalidArgument("bad cursor"); };
  if (text.empty() || text.size() > kMaxCursor) return bad();
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return bad();
  }
  auto split = text.find('_');
  if (split == std::string::npos || split == 0 || split > 18) return bad();
  int64_t created = 0;
  for (size_t i = 0; i < split; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad();
    created = created * 10 + (text[i] - '0');
  }
  auto id = commands::ParseUlidId(text.substr(split + 1));
  if (!id.ok()) return bad();
  return projections::AuditCursor{created, *id};
}

struct AuditQuery {
  int64_t limit = kDefaultAuditPage;
  std::optional<std::string> action_prefix;
  std::optional<projections::AuditCursor> cursor;
};

core::Result<AuditQuery> ParseAuditQuery(ApiHandler& api, const RouteRequest& request) {
  auto query = QueryParams::Parse(request.http.query);
  if (!query.ok()) return query.error();
  FILAMENT_RETURN_IF_ERROR(query->RejectUnknown({"limit", "action_prefix", "cursor"}));
  auto limit = query->GetInt("limit");
  if (!limit.ok()) return limit.error();
  auto prefix = query->Get("action_prefix");
  if (!prefix.ok()) return prefix.error();
  auto cursor = query->Get("cursor");
  if (!cursor.ok()) return cursor.error();
  AuditQuery out;
  out.limit = limit->value_or(kDefaultAuditPage);
  if (out.limit < 1 || out.limit > api.deps().limits.audit_list_limit_max) {
    return core::InvalidArgument("limit out of range");
  }
  if (*prefix) FILAMENT_RETURN_IF_ERROR(CheckActionPrefix(**prefix));
  out.action_prefix = *prefix;
  if (*cursor) {
    auto parsed = ParseCursor(**cursor);
    if (!parsed.ok()) return parsed.error();
    out.cursor = *parsed;
  }
  return out;
}

std::string PageJson(const std::vector<projections::AuditEntry>& entries, int64_t limit) {
  nlohmann::ordered_json out;
  out["events"] = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::ordered_json item;
    item["audit_id"] = e.audit_id;
    item["actor_user_id"] = e.actor_user_id;
    item["target_user_id"] = e.target_user_id ? nlohmann::json(*e.target_user_id) : nullptr;
    item["action"] = e.action;
    item["created_at_unix"] = e.created_at_unix;
    item["ip_ban_match"] = e.ip_ban_match;
    out["events"].push_back(std::move(item));
  }
  out["next_cursor"] = nullptr;
  if (!entries.empty() && static_cast<int64_t>(entries.size()) == limit) {
    out["next_cursor"] =
        std::to_string(entries.back().created_at_unix) + "_" + entries.back().audit_id;
  }
  return out.dump();
}

http::HttpResponse ListAudit(ApiHandler& api, RouteRequest& request) {
  auto query = ParseAuditQuery(api, request);
  if (!query.ok()) return api.Error(query.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  if (api.deps().audit == nullptr) return api.Error(core::Unavailable("no audit read model"));
  std::string guild_id(request.match.Param("guild_id"));
  commands::Actor actor = ActorFor(api, *who);
  auto view = api.deps().guilds.LoadForUser(guild_id, who->user_id);
  if (!view.ok()) return api.Error(view.error());
  if (!view->has_value()) return api.Error(core::NotFound("unknown guild"));
  if (!actor.server_owner) {
    auto effective = commands::EvaluateGuild((*view)->authz, who->user_id);
    if (!effective.ok() || !effective->permissions.Has(commands::Permission::kViewAuditLog)) {
      return api.Error(AuditDenied());
    }
  }
  auto entries = api.deps().audit->List(guild_id, query->action_prefix, query->cursor,
                                        static_cast<int>(query->limit));
  if (!entries.ok()) return api.Error(entries.error());
  return api.Json(200, PageJson(*entries, query->limit));
}

}  // namespace

void RegisterAuditRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("GET", "/guilds/{guild_id}/audit", ListAudit);
}

}  // namespace filament::api
