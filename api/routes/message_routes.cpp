#include "api/routes/route_helpers.hpp"
#include "commands/guild/messages.hpp"
#include "commands/validation.hpp"
#include "core/ulid.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"

namespace filament::api {
namespace {

// attachment_ids: at most 5 (counted before de-duplication), each a ULID; duplicates dropped.
core::Result<std::vector<std::string>> AttachmentIds(const std::vector<std::string>& raw) {
  if (raw.size() > commands::kMaxAttachmentsPerMessage) {
    return core::InvalidArgument("more than 5 attachment ids");
  }
  return CanonicalUlids(raw);
}

http::HttpResponse PostMessage(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string content = body->RequiredString("content");
  auto raw_ids = body->OptionalStringArray("attachment_ids");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto ids = AttachmentIds(raw_ids.value_or(std::vector<std::string>{}));
  if (!ids.ok()) return api.Error(ids.error());
  std::string guild_id(request.match.Param("guild_id"));
  std::string channel_id(request.match.Param("channel_id"));
  // The id is minted under the stream lock, so message ids increase in log order.
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::PostMessage{guild_id, channel_id, m.NewId(),  who->user_id,
                                     content,  *ids,       m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& posted = std::get<events::MessagePosted>(appended->events.at(0));
  return api.Mutation(*appended, render::MessageJson(render::ViewOf(posted)));
}

struct HistoryQuery {
  int64_t limit = 20;
  std::string before;  // canonical ULID or empty
};

core::Result<HistoryQuery> ValidateHistoryQuery(std::optional<int64_t> limit,
                                                const std::optional<std::string>& before) {
  HistoryQuery query;
  query.limit = limit.value_or(20);
  if (query.limit < 1 || query.limit > 100) return core::InvalidArgument("limit must be 1..100");
  if (before) {
    auto id = core::Ulid::Parse(*before);
    if (!id) return core::InvalidArgument("before is not a message id");
    query.before = id->ToString();
  }
  return query;
}

http::HttpResponse ListMessages(ApiHandler& api, RouteRequest& request) {
  auto params = QueryParams::Parse(request.http.query);
  if (!params.ok()) return api.Error(params.error());
  auto limit = params->GetInt("limit");
  auto before = params->Get("before");
  if (!limit.ok()) return api.Error(limit.error());
  if (!before.ok()) return api.Error(before.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto query = ValidateHistoryQuery(*limit, *before);
  if (!query.ok()) return api.Error(query.error());
  std::string guild_id(request.match.Param("guild_id"));
  std::string channel_id(request.match.Param("channel_id"));
  auto access = api.deps().guilds.VisibleChannelAccess(guild_id, channel_id, who->user_id);
  if (!access.ok()) return api.Error(access.error());
  auto page =
      api.deps().messages.History(channel_id, static_cast<int>(query->limit), query->before);
  if (!page.ok()) return api.Error(page.error());
  std::string out = R"({"messages":[)";
  for (size_t i = 0; i < page->size(); ++i) {
    if (i != 0) out += ',';
    out += render::MessageJson((*page)[i]);
  }
  out += R"(],"next_before":)";
  out += page->empty() ? "null" : "\"" + page->back().message_id + "\"";
  return api.Json(200, out + "}");
}

}  // namespace

void RegisterMessageRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("POST", "/guilds/{guild_id}/channels/{channel_id}/messages", PostMessage);
  add("GET", "/guilds/{guild_id}/channels/{channel_id}/messages", ListMessages);
}

}  // namespace filament::api
