#include "gateway/bridge/voice_payloads.hpp"

#include <nlohmann/json.hpp>

namespace filament::gateway {
namespace {

using Json = nlohmann::ordered_json;

template <typename E>
Json Head(const E& e) {
  Json d;
  d["guild_id"] = e.guild_id;
  d["channel_id"] = e.channel_id;
  return d;
}

template <typename E>
Json Who(const E& e) {
  Json d = Head(e);
  d["user_id"] = e.user_id;
  d["identity"] = e.identity;
  return d;
}

Json Join(const events::VoiceParticipantJoined& e) {
  Json d = Head(e);
  d["participant"] = Json{{"user_id", e.user_id},
                          {"identity", e.identity},
                          {"joined_at_unix", e.joined_at_unix},
                          {"updated_at_unix", e.joined_at_unix},
                          {"is_muted", false},
                          {"is_deafened", false},
                          {"is_speaking", false},
                          {"is_video_enabled", e.is_video_enabled},
                          {"is_screen_share_enabled", e.is_screen_share_enabled}};
  return d;
}

Json Update(const events::VoiceParticipantUpdated& e) {
  Json d = Who(e);
  Json fields = Json::object();
  if (e.is_muted) fields["is_muted"] = *e.is_muted;
  if (e.is_deafened) fields["is_deafened"] = *e.is_deafened;
  if (e.is_speaking) fields["is_speaking"] = *e.is_speaking;
  if (e.is_video_enabled) fields["is_video_enabled"] = *e.is_video_enabled;
  if (e.is_screen_share_enabled) fields["is_screen_share_enabled"] = *e.is_screen_share_enabled;
  d["updated_fields"] = std::move(fields);
  d["updated_at_unix"] = e.updated_at_unix;
  return d;
}

template <typename E>
GatewayMessage Message(const E& e, std::string_view type, const Json& d) {
  return GatewayMessage{
      GatewayMessage::Scope::kChannel, e.guild_id, e.channel_id, "", std::string(type), d.dump()};
}

}  // namespace

std::optional<core::Result<GatewayMessage>> BuildVoicePayload(std::string_view type,
                                                              const events::Event& event) {
  if (type == "voice_participant_join") {
    if (const auto* e = std::get_if<events::VoiceParticipantJoined>(&event)) {
      return Message(*e, type, Join(*e));
    }
  } else if (type == "voice_participant_update") {
    if (const auto* e = std::get_if<events::VoiceParticipantUpdated>(&event)) {
      return Message(*e, type, Update(*e));
    }
  } else if (type == "voice_participant_leave") {
    if (const auto* e = std::get_if<events::VoiceParticipantLeft>(&event)) {
      Json d = Who(*e);
      d["left_at_unix"] = e->left_at_unix;
      return Message(*e, type, d);
    }
  } else if (type == "voice_stream_publish") {
    if (const auto* e = std::get_if<events::VoiceStreamPublished>(&event)) {
      Json d = Who(*e);
      d["stream"] = e->stream;
      d["published_at_unix"] = e->published_at_unix;
      return Message(*e, type, d);
    }
  } else if (type == "voice_stream_unpublish") {
    if (const auto* e = std::get_if<events::VoiceStreamUnpublished>(&event)) {
      Json d = Who(*e);
      d["stream"] = e->stream;
      d["unpublished_at_unix"] = e->unpublished_at_unix;
      return Message(*e, type, d);
    }
  } else {
    return std::nullopt;
  }
  return core::Result<GatewayMessage>(
      core::Internal("voice payload " + std::string(type) + " from another event"));
}

std::vector<std::string_view> VoiceGatewayTypes() {
  return {"voice_participant_join", "voice_participant_update", "voice_participant_leave",
          "voice_stream_publish", "voice_stream_unpublish"};
}

}  // namespace filament::gateway
