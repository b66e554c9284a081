// Search (contract §4.13) over the search index projection (projections/search).
#include "adapters/search/query_syntax.hpp"
#include "adapters/search/search_index.hpp"
#include "api/routes/governance_helpers.hpp"
#include "api/routes/route_helpers.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "projections/runner/applied_positions.hpp"
#include "projections/search/search_projection.hpp"
#include "render/message_view.hpp"

namespace filament::api {
namespace {

// The caller's guild-level permission `needed` (channel overrides are not applied, contract
// §4.13). Unknown guild and non-member: 403.
core::Status RequireGuildPermission(ApiHandler& api, const std::string& guild_id,
                                    const std::string& user_id, commands::Permission needed) {
  auto view = api.deps().guilds.LoadForUser(guild_id, user_id);
  if (!view.ok()) return view.error();
  if (!view->has_value()) return core::PermissionDenied("unknown guild");
  auto effective = commands::EvaluateGuild((*view)->authz, user_id);
  if (!effective.ok()) return effective.error();
  if (!effective->permissions.Has(needed)) return core::PermissionDenied("missing permission");
  return core::OkStatus();
}

http::HttpResponse PlainBadRequest(std::string text) {
  http::HttpResponse response;
  response.status = 400;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(text);
  return response;
}

core::Result<search::SearchRequest> ParseSearch(ApiHandler& api, const QueryParams& params,
                                                std::string guild_id, std::string q) {
  const core::Limits& limits = api.deps().limits;
  search::SearchRequest request;
  request.guild_id = std::move(guild_id);
  request.query = std::move(q);
  request.budget = std::chrono::milliseconds(limits.search_query_timeout_ms);
  request.limits = search::QueryLimits{limits.search_query_max_chars, limits.max_search_terms,
                                       limits.max_search_wildcards, limits.max_search_fuzzy};
  auto limit = params.GetInt("limit");
  if (!limit.ok()) return limit.error();
  int64_t n = limit->value_or(20);
  if (n < 1 || n > limits.search_result_limit_max) return core::InvalidArgument("limit 1..50");
  request.limit = static_cast<size_t>(n);
  auto channel = params.Get("channel_id");
  if (!channel.ok()) return channel.error();
  if (*channel) {
    auto id = core::Ulid::Parse(**channel);
    if (!id) return core::InvalidArgument("channel_id is not a ULID");
    request.channel_id = id->ToString();
  }
  auto valid = search::ValidateQuery(request.query, request.limits);
  if (!valid.ok()) return valid.error();
  return request;
}

std::string SearchJson(const std::vector<std::string>& ids,
                       const std::vector<render::MessageView>& messages) {
  std::string out = R"({"message_ids":[)";
  for (size_t i = 0; i < ids.size(); ++i) out += (i == 0 ? "\"" : ",\"") + ids[i] + "\"";
  out += R"(],"messages":[)";
  for (size_t i = 0; i < messages.size(); ++i) {
    out += (i == 0 ? "" : ",") + render::MessageJson(messages[i]);
  }
  return out + "]}";
}

http::HttpResponse Search(ApiHandler& api, RouteRequest& request) {
  auto params = QueryParams::Parse(request.http.query);
  if (!params.ok()) return api.Error(params.error());
  auto q = params->Get("q");
  if (!q.ok()) return api.Error(q.error());
  if (!*q) return PlainBadRequest("Failed to deserialize query string: missing field `q`");
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id(request.match.Param("guild_id"));
  if (auto refused = IpBanGate(api, request, *who, guild_id)) return *refused;
  if (auto s =
          RequireGuildPermission(api, guild_id, who->user_id, commands::Permission::kCreateMessage);
      !s.ok()) {
    return api.Error(s.error());
  }
  auto search = ParseSearch(api, *params, guild_id, **q);
  if (!search.ok()) return api.Error(search.error());
  if (api.deps().search == nullptr) return api.Error(core::Unavailable("no search index here"));
  auto ids = api.deps().search->Query(*search);
  if (!ids.ok()) return api.Error(ids.error());
  auto messages = api.deps().messages.ByIds(*ids);
  if (!messages.ok()) return api.Error(messages.error());
  return api.Json(200, SearchJson(*ids, *messages));
}

// The IP-ban gate's 403 when the caller's address is banned in the guild (contract §3.7).
std::optional<http::HttpResponse> GateIndexAdmin(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return std::nullopt;  // RequireIndexAdmin answers the 401
  return IpBanGate(api, request, *who, std::string(request.match.Param("guild_id")));
}

core::Status RequireIndexAdmin(ApiHandler& api, RouteRequest& request, std::string* user_id) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return who.error();
  *user_id = who->user_id;
  FILAMENT_RETURN_IF_ERROR(RequireGuildPermission(api, std::string(request.match.Param("guild_id")),
                                                  who->user_id,
                                                  commands::Permission::kManageWorkspaceRoles));
  if (api.deps().search == nullptr) return core::Unavailable("no search index here");
  return core::OkStatus();
}

http::HttpResponse Rebuild(ApiHandler& api, RouteRequest& request) {
  if (auto refused = GateIndexAdmin(api, request)) return *refused;  // before the permission
  std::string user_id;
  if (auto s = RequireIndexAdmin(api, request, &user_id); !s.ok()) return api.Error(s.error());
  // Every guild's index is rebuilt (contract §8 #6) beside the live one, which keeps serving.
  auto rebuilt = api.deps().search->Rebuild(std::chrono::seconds(60));
  if (!rebuilt.ok() && rebuilt.error().code != core::ErrorCode::kDeadlineExceeded) {
    return api.Error(rebuilt.error());
  }
  http::HttpResponse response;
  response.status = 204;
  return response;
}

// What the index should hold for `guild_id`, from the messages read model once it includes
// everything the index applied (else applied messages would look like orphans).
projections::ExpectedMessagesLoader GuildDocsLoader(ApiHandler& api, std::string guild_id,
                                                    int64_t max_docs) {
  return
      [&api, guild_id, max_docs](
          const std::vector<int64_t>& index_next) -> core::Result<std::vector<search::MessageDoc>> {
        for (size_t p = 0; p < index_next.size(); ++p) {
          if (index_next[p] == 0 || api.deps().applied == nullptr) continue;
          events::Position last{static_cast<int32_t>(p), index_next[p] - 1};
          if (!api.deps().applied->WaitFor({"messages"}, last, std::chrono::seconds(10))) {
            return core::Unavailable("messages read model behind the index");
          }
        }
        auto rows = api.deps().messages.GuildMessages(guild_id, max_docs + 1);
        if (!rows.ok()) return rows.error();
        if (static_cast<int64_t>(rows->size()) > max_docs) {
          return core::InvalidArgument("guild has more than 10000 messages");
        }
        std::vector<search::MessageDoc> docs;
        for (const auto& m : *rows) {
          docs.push_back({m.message_id, m.guild_id, m.channel_id, m.content});
        }
        return docs;
      };
}

http::HttpResponse Reconcile(ApiHandler& api, RouteRequest& request) {
  if (auto refused = GateIndexAdmin(api, request)) return *refused;  // before the permission
  std::string user_id;
  if (auto s = RequireIndexAdmin(api, request, &user_id); !s.ok()) return api.Error(s.error());
  std::string guild_id(request.match.Param("guild_id"));
  const int64_t max_docs = api.deps().limits.max_search_reconcile_docs;
  auto result =
      api.deps().search->Reconcile(guild_id, GuildDocsLoader(api, guild_id, max_docs),
                                   static_cast<size_t>(max_docs), std::chrono::seconds(60));
  if (!result.ok()) {
    if (result.error().code == core::ErrorCode::kResourceExhausted) {
      return api.Error(core::InvalidArgument("guild has more than 10000 messages"));
    }
    return api.Error(result.error());
  }
  return api.Json(200, R"({"upserted":)" + std::to_string(result->upserted) + R"(,"deleted":)" +
                           std::to_string(result->deleted) + "}");
}

}  // namespace

void RegisterSearchRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("GET", "/guilds/{guild_id}/search", Search);
  add("POST", "/guilds/{guild_id}/search/rebuild", Rebuild);
  add("POST", "/guilds/{guild_id}/search/reconcile", Reconcile);
}

}  // namespace filament::api
