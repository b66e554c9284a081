// Friends (REST_API.md §4.4). Decisions on the pair's stream (ADR 0021); lists from the
// friends read model with usernames from the users read model.
#include <map>

#include <nlohmann/json.hpp>

#include "api/routes/route_helpers.hpp"
#include "commands/friendship/friends.hpp"
#include "projections/friends/friends_projection.hpp"
#include "projections/users/users_projection.hpp"

namespace filament::api {
namespace {

using Json = nlohmann::ordered_json;

// Current usernames of `ids` (unknown ids map to "").
core::Result<std::map<std::string, std::string>> Usernames(ApiHandler& api,
                                                           std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::map<std::string, std::string> names;
  if (ids.empty()) return names;
  auto profiles = api.deps().users.FindMany(ids);
  if (!profiles.ok()) return profiles.error();
  for (const auto& p : *profiles) names[p.user_id] = p.username;
  return names;
}

http::HttpResponse NoContent(ApiHandler& api, const commands::Appended& appended) {
  return api.Mutation(appended, "", 204);  // no body: no Content-Type
}

http::HttpResponse ListFriends(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto rows = api.deps().friends.Friends(who->user_id);
  if (!rows.ok()) return api.Error(rows.error());
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.user_id);
  auto names = Usernames(api, ids);
  if (!names.ok()) return api.Error(names.error());
  Json out;
  out["friends"] = Json::array();
  for (const auto& r : *rows) {
    out["friends"].push_back(Json{{"user_id", r.user_id},
                                  {"username", (*names)[r.user_id]},
                                  {"created_at_unix", r.created_at_unix}});
  }
  return api.Json(200, out.dump());
}

http::HttpResponse SendRequest(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  std::string raw = body->RequiredString("recipient_user_id");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto id = core::Ulid::Parse(raw);
  if (!id) return api.Error(core::InvalidArgument("recipient_user_id is not a ULID"));
  const std::string recipient = id->ToString();
  auto& commands = api.deps().commands;
  auto recipient_name = commands.UsernameOf(recipient);
  auto sender_name = commands.UsernameOf(who->user_id);
  if (recipient == who->user_id || !recipient_name || !sender_name) {
    return api.Error(core::InvalidArgument("unknown recipient or oneself"));
  }
  auto appended = commands.OnFriendship(
      ContextFor(*who, request), who->user_id, recipient, [&](commands::Minter& m) {
        return commands::SendFriendRequest{m.NewId(), who->user_id,    *sender_name,
                                           recipient, *recipient_name, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& sent = std::get<events::FriendRequestSent>(appended->events.at(0));
  Json out{{"request_id", sent.request_id},
           {"sender_user_id", sent.sender_user_id},
           {"recipient_user_id", sent.recipient_user_id},
           {"created_at_unix", sent.created_at_unix}};
  return api.Mutation(*appended, out.dump());
}

http::HttpResponse ListRequests(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto rows = api.deps().friends.Requests(who->user_id);
  if (!rows.ok()) return api.Error(rows.error());
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.insert(ids.end(), {r.sender_user_id, r.recipient_user_id});
  auto names = Usernames(api, ids);
  if (!names.ok()) return api.Error(names.error());
  Json out{{"incoming", Json::array()}, {"outgoing", Json::array()}};
  for (const auto& r : *rows) {
    Json item{{"request_id", r.request_id},
              {"sender_user_id", r.sender_user_id},
              {"sender_username", (*names)[r.sender_user_id]},
              {"recipient_user_id", r.recipient_user_id},
              {"recipient_username", (*names)[r.recipient_user_id]},
              {"created_at_unix", r.created_at_unix}};
    out[r.recipient_user_id == who->user_id ? "incoming" : "outgoing"].push_back(item);
  }
  return api.Json(200, out.dump());
}

// The other party of request `request_id` as seen by `me` (404 when unknown).
core::Result<std::pair<std::string, std::string>> Parties(ApiHandler& api,
                                                          const std::string& request_id) {
  auto parties = api.deps().commands.FriendRequestParties(request_id);
  if (!parties) return core::NotFound("unknown friend request");
  return *parties;
}

http::HttpResponse AcceptRequest(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  const std::string request_id(request.match.Param("request_id"));
  auto parties = Parties(api, request_id);
  if (!parties.ok()) return api.Error(parties.error());
  const auto& [a, b] = *parties;
  const std::string other = a == who->user_id ? b : a;
  auto& commands = api.deps().commands;
  auto appended = commands.OnFriendship(ContextFor(*who, request), a, b, [&](commands::Minter& m) {
    return commands::AcceptFriendRequest{request_id, who->user_id,
                                         commands.UsernameOf(who->user_id).value_or(""),
                                         commands.UsernameOf(other).value_or(""), m.NowUnix()};
  });
  if (!appended.ok()) return api.Error(appended.error());
  return api.Mutation(*appended, R"({"accepted":true})");
}

http::HttpResponse DeleteRequest(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  const std::string request_id(request.match.Param("request_id"));
  auto parties = Parties(api, request_id);
  if (!parties.ok()) return api.Error(parties.error());
  auto appended = api.deps().commands.OnFriendship(
      ContextFor(*who, request), parties->first, parties->second, [&](commands::Minter& m) {
        return commands::DeleteFriendRequest{request_id, who->user_id, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return NoContent(api, *appended);
}

http::HttpResponse RemoveFriend(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  auto id = core::Ulid::Parse(request.match.Param("friend_user_id"));
  if (!id) return api.Error(core::InvalidArgument("friend_user_id is not a ULID"));
  const std::string friend_id = id->ToString();
  if (friend_id == who->user_id) return api.Error(core::InvalidArgument("oneself"));
  if (!api.deps().commands.UserExists(friend_id)) return NoContent(api, {});  // idempotent
  auto appended = api.deps().commands.OnFriendship(
      ContextFor(*who, request), who->user_id, friend_id, [&](commands::Minter& m) {
        return commands::RemoveFriend{who->user_id, friend_id, m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return NoContent(api, *appended);
}

}  // namespace

void RegisterFriendRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  add("GET", "/friends", ListFriends);
  add("POST", "/friends/requests", SendRequest);
  add("GET", "/friends/requests", ListRequests);
  add("POST", "/friends/requests/{request_id}/accept", AcceptRequest);
  add("DELETE", "/friends/requests/{request_id}", DeleteRequest);
  add("DELETE", "/friends/{friend_user_id}", RemoveFriend);
}

}  // namespace filament::api
