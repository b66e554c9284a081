// Voice / media routes (REST_API.md §4.14, GATEWAY.md §8, ADR 0054): a LiveKit token registers
// the caller as a participant of the channel (events on its voice stream), leave and state
// change it. Checks run in the contract's order.
#include "api/routes/voice_routes.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/routes/governance_helpers.hpp"
#include "api/routes/route_helpers.hpp"
#include "commands/voice/voice.hpp"
#include "projections/guilds/guilds_projection.hpp"

namespace filament::api {
namespace {

struct VoicePath {
  std::string guild_id;
  std::string channel_id;
};

VoicePath PathOf(const RouteRequest& request) {
  return VoicePath{std::string(request.match.Param("guild_id")),
                   std::string(request.match.Param("channel_id"))};
}

struct TokenRequest {
  bool can_publish = true;
  bool can_subscribe = false;
  std::vector<std::string> sources{"microphone"};
};

core::Result<TokenRequest> ParseTokenRequest(const RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return body.error();
  TokenRequest out;
  out.can_publish = body->OptionalBool("can_publish").value_or(true);
  out.can_subscribe = body->OptionalBool("can_subscribe").value_or(false);
  if (auto sources =
          body->OptionalEnumArray("publish_sources", {"microphone", "camera", "screen_share"})) {
    out.sources = std::move(*sources);
  }
  FILAMENT_RETURN_IF_ERROR(body->Finish());
  return out;
}

// Requested (de-duplicated) ∩ allowed, in StreamKind order; empty without can_publish.
std::vector<std::string> EffectiveSources(const TokenRequest& req,
                                          const commands::PermissionSet& granted) {
  using commands::Permission;
  const std::pair<const char*, Permission> kKinds[] = {
      {"microphone", Permission::kCreateMessage},
      {"camera", Permission::kPublishVideo},
      {"screen_share", Permission::kPublishScreenShare}};
  std::vector<std::string> out;
  if (!req.can_publish) return out;
  for (const auto& [kind, permission] : kKinds) {
    const bool asked = std::find(req.sources.begin(), req.sources.end(), kind) != req.sources.end();
    if (asked && granted.Has(permission)) out.emplace_back(kind);
  }
  return out;
}

bool PublishesMedia(const std::vector<std::string>& sources) {
  return std::any_of(sources.begin(), sources.end(),
                     [](const auto& s) { return s == "camera" || s == "screen_share"; });
}

std::string TokenJson(const VoiceSettings& settings, const events::VoiceTokenIssued& issued,
                      const std::string& jwt, int64_t ttl_secs) {
  nlohmann::ordered_json out;
  out["token"] = jwt;
  out["livekit_url"] = settings.livekit_url;
  out["room"] = commands::VoiceRoom(issued.guild_id, issued.channel_id);
  out["identity"] = commands::VoiceIdentity(issued.user_id, issued.guild_id, issued.channel_id);
  out["can_publish"] = issued.can_publish;
  out["can_subscribe"] = issued.can_subscribe;
  out["publish_sources"] = issued.publish_sources;
  out["expires_in_secs"] = ttl_secs;
  return out.dump();
}

core::Result<std::string> SignFor(ApiHandler& api, const VoiceSettings& settings,
                                  const events::VoiceTokenIssued& issued) {
  livekit::AccessToken token;
  token.identity = commands::VoiceIdentity(issued.user_id, issued.guild_id, issued.channel_id);
  token.name = api.deps().commands.UsernameOf(issued.user_id).value_or(issued.user_id);
  token.not_before_unix = issued.issued_at_unix;
  token.expires_at_unix = issued.expires_at_unix;
  token.video = livekit::VideoGrant{commands::VoiceRoom(issued.guild_id, issued.channel_id),
                                    issued.can_publish, issued.can_subscribe, issued.can_publish,
                                    issued.publish_sources};
  return livekit::Sign(*settings.credentials, token);
}

core::Error RateLimitedError() { return RateLimited(); }

// Everything before the append, in the contract's order. Returns the effective grant.
core::Result<commands::IssueVoiceToken> AdmitToken(ApiHandler& api, const RouteRequest& request,
                                                   const Principal& who, const VoicePath& path,
                                                   const TokenRequest& req) {
  VoiceGate* gate = api.deps().voice;
  const std::string key =
      request.client_ip + ":" + who.user_id + ":" + path.guild_id + ":" + path.channel_id;
  if (gate != nullptr && !gate->AllowToken(key)) return RateLimitedError();
  auto access = api.deps().guilds.VisibleChannelAccess(path.guild_id, path.channel_id, who.user_id);
  if (!access.ok()) return access.error();
  if (gate == nullptr || !gate->settings().credentials) {
    return core::Internal("LiveKit is not configured");
  }
  commands::IssueVoiceToken cmd;
  cmd.user_id = who.user_id;
  cmd.guild_id = path.guild_id;
  cmd.channel_id = path.channel_id;
  cmd.sources = EffectiveSources(req, access->permissions);
  cmd.can_subscribe =
      req.can_subscribe && access->permissions.Has(commands::Permission::kSubscribeStreams);
  if (PublishesMedia(cmd.sources) && !gate->AllowPublish(key)) return RateLimitedError();
  if (cmd.sources.empty() && !cmd.can_subscribe) {
    return core::InvalidArgument("neither publish nor subscribe is granted");
  }
  const core::Limits& limits = api.deps().limits;
  cmd.ttl_secs = limits.livekit_token_ttl_secs;
  cmd.max_channels = limits.max_tracked_voice_channels;
  cmd.max_participants_per_channel = limits.max_tracked_voice_participants_per_channel;
  return cmd;
}

http::HttpResponse IssueToken(ApiHandler& api, RouteRequest& request) {
  auto req = ParseTokenRequest(request);
  if (!req.ok()) return api.Error(req.error());
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  const VoicePath path = PathOf(request);
  if (auto refused = IpBanGate(api, request, *who, path.guild_id)) return *refused;
  auto admitted = AdmitToken(api, request, *who, path, *req);
  if (!admitted.ok()) return api.Error(admitted.error());
  auto appended = api.deps().commands.OnVoice(ContextFor(*who, request), who->user_id,
                                              [&](commands::Minter& m) {
                                                commands::IssueVoiceToken cmd = *admitted;
                                                cmd.now_unix = m.NowUnix();
                                                return cmd;
                                              });
  if (!appended.ok()) return api.Error(appended.error());
  const auto& issued = std::get<events::VoiceTokenIssued>(appended->events.back());
  const VoiceSettings& settings = api.deps().voice->settings();
  auto jwt = SignFor(api, settings, issued);
  if (!jwt.ok()) return api.Error(jwt.error());
  return api.Mutation(*appended,
                      TokenJson(settings, issued, *jwt, api.deps().limits.livekit_token_ttl_secs));
}

http::HttpResponse NoContent(ApiHandler& api, const commands::Appended& appended) {
  return api.Mutation(appended, "", 204);
}

http::HttpResponse Leave(ApiHandler& api, RouteRequest& request) {
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  const VoicePath path = PathOf(request);
  if (auto refused = IpBanGate(api, request, *who, path.guild_id)) return *refused;
  auto appended = api.deps().commands.OnVoice(
      ContextFor(*who, request), who->user_id, [&](commands::Minter& m) {
        return commands::RemoveVoiceParticipant{who->user_id, path.guild_id, path.channel_id,
                                                "leave", m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return NoContent(api, *appended);
}

http::HttpResponse SetState(ApiHandler& api, RouteRequest& request) {
  auto body = ParseBody(request);
  if (!body.ok()) return api.Error(body.error());
  auto muted = body->OptionalBool("is_muted");
  auto deafened = body->OptionalBool("is_deafened");
  if (auto status = body->Finish(); !status.ok()) return api.Error(status.error());
  if (!muted && !deafened) return api.Error(core::InvalidArgument("no voice state given"));
  auto who = api.Authenticate(request);
  if (!who.ok()) return api.Error(who.error());
  const VoicePath path = PathOf(request);
  if (auto refused = IpBanGate(api, request, *who, path.guild_id)) return *refused;
  auto appended = api.deps().commands.OnVoice(
      ContextFor(*who, request), who->user_id, [&](commands::Minter& m) {
        return commands::SetVoiceState{who->user_id, path.guild_id, path.channel_id,
                                       muted,        deafened,      m.NowUnix()};
      });
  if (!appended.ok()) return api.Error(appended.error());
  return NoContent(api, *appended);
}

std::string Trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

bool IsWebSocketUrl(const std::string& url) {
  return url.rfind("ws://", 0) == 0 || url.rfind("wss://", 0) == 0;
}

}  // namespace

core::Result<VoiceSettings> MakeVoiceSettings(const std::string& api_key,
                                              const std::string& api_secret,
                                              const std::string& url) {
  VoiceSettings settings;
  const std::string key = Trimmed(api_key);
  const std::string secret = Trimmed(api_secret);
  if (key.empty() != secret.empty()) {
    return core::InvalidArgument(
        "FILAMENT_LIVEKIT_API_KEY and FILAMENT_LIVEKIT_API_SECRET must be set together");
  }
  if (!key.empty()) settings.credentials = livekit::Credentials{key, secret};
  if (!url.empty()) {
    if (!IsWebSocketUrl(url) || url.size() > 256) {
      return core::InvalidArgument("FILAMENT_LIVEKIT_URL must be ws:// or wss://, <= 256 bytes");
    }
    settings.livekit_url = url;
  }
  return settings;
}

void EndVoiceOfRemovedMembers(commands::CommandService& commands,
                              const commands::CommandContext& ctx,
                              const commands::Appended& appended) {
  for (const auto& event : appended.events) {
    const auto* removed = std::get_if<events::MemberRemoved>(&event);
    if (removed == nullptr) continue;
    auto ended = commands.OnVoice(ctx, removed->user_id, [&](commands::Minter& m) {
      return commands::RemoveVoiceParticipant{removed->user_id, removed->guild_id, "",
                                              removed->reason, m.NowUnix()};
    });
    if (!ended.ok() && ended.error().code != core::ErrorCode::kNotFound) {
      std::fprintf(stderr, "voice: ending %s's participation after %s failed: %s\n",
                   removed->user_id.c_str(), removed->reason.c_str(),
                   ended.error().message.c_str());
    }
  }
}

void RegisterVoiceRoutes(const AddRoute& add) {
  add("POST", "/guilds/{guild_id}/channels/{channel_id}/voice/token", IssueToken);
  add("POST", "/guilds/{guild_id}/channels/{channel_id}/voice/leave", Leave);
  add("POST", "/guilds/{guild_id}/channels/{channel_id}/voice/state", SetState);
}

}  // namespace filament::api
