#include "api/routes/governance_helpers.hpp"
#include "api/routes/route_helpers.hpp"
#include "commands/guild/messages.hpp"
#include "commands/validation.hpp"
#include "core/ulid.hpp"
#include "projections/guilds/guilds_projection.hpp"
#include "projections/messages/messages_projection.hpp"
#include "render/message_view.hpp"

namespace filament::api {
namespace {

// attachment_ids: at most 5 (counted before de-duplication), each a ULID; duplicates dropped.
core::Result<std::vector<std::string>> AttachmentIds(const std::vector<std::string>& raw) {
  if (raw.size() > commands::kMaxAttachmentsPerMessage) {
    return core::InvalidArgument("more than 5 attachment ids");
  }
  return CanonicalUlids(raw);
}

// What a post carries from its request to the command, owned (the command outlives the handler).
struct PostInput {
  commands::CommandContext ctx;
  std::string client_ip;
  std::string guild_id;
  std::string channel_id;
  std::string content;
  std::vector<std::string> attachment_ids;

  // `address_cleared`: the poster's address was checked against the guild's IP bans.
  std::function<commands::PostMessage(commands::Minter&)> Make(bool address_cleared) const {
    return [in = *this, address_cleared](commands::Minter& m) {
      return commands::PostMessage{in.guild_id,          in.channel_id,  m.NewId(),
                                   in.ctx.actor_user_id, in.content,     in.attachment_ids,
                                   m.NowUnix(),          address_cleared};
    };
  }
};

std::string PostedJson(const commands::Appended& appended) {
  return render::MessageJson(
      render::ViewOf(std::get<events::MessagePosted>(appended.events.at(0))));
}

// The post of a guild with an active IP ban (the decider asked for the address check, ADR
// 0104): the address is checked as every post's was before, then the post is made again,
// cleared, on this worker.
http::HttpResponse PostAfterAddressCheck(ApiHandler& api, const PostInput& in) {
  if (auto refused = IpBanGate(api, in.client_ip, in.ctx, in.guild_id)) return *refused;
  auto appended = api.deps().commands.OnGuild(in.ctx, in.guild_id, in.Make(true));
  if (!appended.ok()) return api.Error(appended.error());
  return api.MutationNow(*appended, PostedJson(*appended));
}

http::HttpResponse PostMessage(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string content = body->RequiredString("content");
  auto raw_ids = body->OptionalStringArray("attachment_ids");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  PostInput in{ContextFor(*who, request),
               request.client_ip,
               std::string(request.match.Param("guild_id")),
               std::string(request.match.Param("channel_id")),
               std::move(content),
               {}};
  auto ids = AttachmentIds(raw_ids.value_or(std::vector<std::string>{}));
  if (!ids.ok()) {
    // A banned address is refused before anything else it sent is judged (contract §3.7).
    if (auto refused = IpBanGate(api, in.client_ip, in.ctx, in.guild_id)) return *refused;
    return api.Error(ids.error());
  }
  in.attachment_ids = std::move(*ids);
  // Queued without holding this worker (ADR 0102): the worker that finds the stream idle runs
  // its batches, the others go on reading requests, so a busy guild's batches can grow. The
  // address is checked only when the guild has an active IP ban (ADR 0104): the decider asks.
  // The id is minted under the stream lock, so message ids increase in log order.
  auto& commands = api.deps().commands;
  return api.MutationDetached(
      [&commands, in](ApiHandler::AppendedDone done) {
        commands.OnGuildDetached(in.ctx, in.guild_id, in.Make(false), std::move(done));
      },
      PostedJson,
      [&api, in](const core::Error& error) {
        if (error.reason != commands::kAddressCheckRequired) return api.Error(error);
        return PostAfterAddressCheck(api, in);
      });
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
  if (auto refused = IpBanGate(api, request, *who, std::string(request.match.Param("guild_id")))) {
    return *refused;
  }
  auto query = ValidateHistoryQuery(*limit, *before);
  if (!query.ok()) return api.Error(query.error());
  std::string guild_id(request.match.Param("guild_id"));
  std::string channel_id(request.match.Param("channel_id"));
  auto access = api.deps().guilds.VisibleChannelAccess(guild_id, channel_id, who->user_id);
  if (!access.ok()) return api.Error(access.error());
  auto page = api.deps().messages.History(channel_id, static_cast<int>(query->limit), query->before,
                                          who->user_id);
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

struct MessagePath {
  std::string guild_id;
  std::string channel_id;
  std::string message_id;
};

MessagePath PathOf(const RouteRequest& request) {
  return MessagePath{std::string(request.match.Param("guild_id")),
                     std::string(request.match.Param("channel_id")),
                     std::string(request.match.Param("message_id"))};
}

http::HttpResponse EditMessage(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string content = body->RequiredString("content");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  MessagePath path = PathOf(request);
  if (auto refused = IpBanGate(api, request, *who, path.guild_id)) return *refused;
  auto appended = api.deps().commands.OnGuild(
      ContextFor(*who, request), path.guild_id, [&](commands::Minter& m) {
        return commands::EditMessage{path.guild_id, path.channel_id, path.message_id,
                                     who->user_id,  content,         m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& edited = std::get<events::MessageEdited>(appended->events.at(0));
  http::HttpResponse response = api.MutationNow(*appended, "");
  // The rest of the Message (original created_at_unix, attachments, reactions) comes from the
  // read model, which Mutation waited for; the edit itself from the event, never stale.
  auto stored = api.deps().messages.Message(path.message_id, who->user_id);
  if (!stored.ok()) return api.Error(stored.error());
  if (!*stored) return api.Error(core::NotFound("message deleted meanwhile"));
  render::MessageView view = **stored;
  view.content = edited.content;
  view.markdown_tokens_json = render::MarkdownTokensJson(edited.content);
  response.body = render::MessageJson(view);
  return response;
}

http::HttpResponse DeleteMessage(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  MessagePath path = PathOf(request);
  if (auto refused = IpBanGate(api, request, *who, path.guild_id)) return *refused;
  auto appended = api.deps().commands.OnGuild(
      ContextFor(*who, request), path.guild_id, [&](commands::Minter& m) {
        return commands::DeleteMessage{path.guild_id, path.channel_id, path.message_id,
                                       who->user_id, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& deleted = std::get<events::MessageDeleted>(appended->events.at(0));
  api.DeleteAttachmentBytes(deleted.attachment_ids.value_or(std::vector<std::string>{}));
  return api.Mutation(*appended, "", 204);
}

}  // namespace

void RegisterMessageRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("POST", "/guilds/{guild_id}/channels/{channel_id}/messages", PostMessage);
  add("GET", "/guilds/{guild_id}/channels/{channel_id}/messages", ListMessages);
  add("PATCH", "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}", EditMessage);
  add("DELETE", "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}", DeleteMessage);
}

}  // namespace filament::api
