// Reactions (contract §4.11): add and remove one user's reaction with one emoji.
#include "api/routes/governance_helpers.hpp"
#include "api/routes/route_helpers.hpp"
#include "commands/guild/reactions.hpp"
#include "render/message_view.hpp"

namespace filament::api {
namespace {

http::HttpResponse React(ApiHandler& api, RouteRequest& request, bool add) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  std::string guild_id(request.match.Param("guild_id"));
  if (auto refused = IpBanGate(api, request, *who, guild_id)) return *refused;
  std::string channel_id(request.match.Param("channel_id"));
  std::string message_id(request.match.Param("message_id"));
  std::string emoji(request.match.Param("emoji"));  // percent-decoded by the router
  auto appended =
      api.deps().commands.OnGuild(ContextFor(*who, request), guild_id, [&](commands::Minter& m) {
        return commands::ReactToMessage{guild_id, channel_id, message_id, who->user_id,
                                        emoji,    add,        m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& changed = std::get<events::MessageReactionChanged>(appended->events.at(0));
  // As the original's PostgreSQL path: reactor_user_ids is never filled in these answers.
  render::ReactionView view{changed.emoji, static_cast<uint64_t>(changed.count), add, {}};
  return api.Mutation(*appended, render::ReactionJson(view));
}

}  // namespace

void RegisterReactionRoutes(
    const std::function<void(std::string_view, std::string_view, ApiHandler::Route)>& add) {
  constexpr std::string_view kPath =
      "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}/reactions/{emoji}";
  add("POST", kPath, [](ApiHandler& api, RouteRequest& r) { return React(api, r, true); });
  add("DELETE", kPath, [](ApiHandler& api, RouteRequest& r) { return React(api, r, false); });
}

}  // namespace filament::api
