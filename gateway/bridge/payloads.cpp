#include "gateway/bridge/payloads.hpp"

#include <nlohmann/json.hpp>

#include "gateway/bridge/governance_payloads.hpp"
#include "gateway/bridge/user_payloads.hpp"
#include "gateway/bridge/voice_payloads.hpp"
#include "render/message_view.hpp"

namespace filament::gateway {
namespace {

using Json = nlohmann::ordered_json;

core::Result<GatewayMessage> MessageCreate(const events::MessagePosted& e) {
  return GatewayMessage{
      GatewayMessage::Scope::kChannel,       e.guild_id, e.channel_id, "", "message_create",
      render::MessageJson(render::ViewOf(e))};
}

core::Result<GatewayMessage> MessageUpdate(const events::MessageEdited& e) {
  return GatewayMessage{
      GatewayMessage::Scope::kChannel, e.guild_id, e.channel_id, "", "message_update",
      render::MessageUpdateJson(e)};
}

core::Result<GatewayMessage> MessageDelete(const events::MessageDeleted& e) {
  Json d;
  d["guild_id"] = e.guild_id;
  d["channel_id"] = e.channel_id;
  d["message_id"] = e.message_id;
  d["deleted_at_unix"] = e.deleted_at_unix;
  return GatewayMessage{
      GatewayMessage::Scope::kChannel, e.guild_id, e.channel_id, "", "message_delete", d.dump()};
}

core::Result<GatewayMessage> MessageReaction(const events::MessageReactionChanged& e) {
  Json d;
  d["guild_id"] = e.guild_id;
  d["channel_id"] = e.channel_id;
  d["message_id"] = e.message_id;
  d["emoji"] = e.emoji;
  d["count"] = e.count;
  d["operation"] = e.operation;
  d["actor_user_id"] = e.user_id;
  return GatewayMessage{
      GatewayMessage::Scope::kChannel, e.guild_id, e.channel_id, "", "message_reaction", d.dump()};
}

core::Result<GatewayMessage> ChannelCreate(const events::ChannelCreated& e) {
  Json d;
  d["guild_id"] = e.guild_id;
  d["channel"] = Json{{"channel_id", e.channel_id}, {"name", e.name}, {"kind", e.kind}};
  return GatewayMessage{
      GatewayMessage::Scope::kGuild, e.guild_id, "", "", "channel_create", d.dump()};
}

core::Result<GatewayMessage> MemberAdd(const events::MemberJoined& e,
                                       const events::RecordMeta& meta) {
  Json d;
  d["guild_id"] = e.guild_id;
  d["user_id"] = e.user_id;
  d["role"] = e.role;
  d["joined_at_unix"] = e.joined_at_unix;
  d["actor_user_id"] = meta.actor_user_id;
  return GatewayMessage{GatewayMessage::Scope::kGuild, e.guild_id, "", "",
                        "workspace_member_add",        d.dump()};
}

core::Result<std::vector<GatewayMessage>> BuildUserPayload(std::string_view type,
                                                           const events::Event& event,
                                                           const events::RecordMeta& meta,
                                                           const ObserverIndex& observers) {
  using Out = std::vector<GatewayMessage>;
  if (const auto* e = std::get_if<events::ProfileUpdated>(&event)) {
    if (type == "profile_update") return ProfileUpdate(*e, observers);
  } else if (const auto* e = std::get_if<events::ProfileAvatarChanged>(&event)) {
    if (type == "profile_avatar_update")
      return ProfileImageUpdate(e->user_id, true, e->avatar_version, e->updated_at_unix, observers);
  } else if (const auto* e = std::get_if<events::ProfileBannerChanged>(&event)) {
    if (type == "profile_banner_update")
      return ProfileImageUpdate(e->user_id, false, e->banner_version, e->updated_at_unix,
                                observers);
  } else if (const auto* e = std::get_if<events::FriendRequestSent>(&event)) {
    if (type == "friend_request_create") return FriendRequestCreate(*e);
  } else if (const auto* e = std::get_if<events::FriendRequestAccepted>(&event)) {
    if (type == "friend_request_update") return FriendRequestUpdate(*e, meta);
  } else if (const auto* e = std::get_if<events::FriendRequestDeleted>(&event)) {
    if (type == "friend_request_delete") return FriendRequestDelete(*e, meta);
  } else if (const auto* e = std::get_if<events::FriendshipRemoved>(&event)) {
    if (type == "friend_remove") return FriendRemove(*e, meta);
  }
  return Out{};
}

}  // namespace

core::Result<std::vector<GatewayMessage>> BuildPayload(std::string_view gateway_type,
                                                       const events::Event& event,
                                                       const events::RecordMeta& meta,
                                                       const ObserverIndex& observers) {
  using Out = std::vector<GatewayMessage>;
  auto one = [](core::Result<GatewayMessage> m) -> core::Result<Out> {
    if (!m.ok()) return m.error();
    return Out{std::move(*m)};
  };
  if (gateway_type == "message_create") {
    if (const auto* e = std::get_if<events::MessagePosted>(&event)) return one(MessageCreate(*e));
  } else if (gateway_type == "message_update") {
    if (const auto* e = std::get_if<events::MessageEdited>(&event)) return one(MessageUpdate(*e));
  } else if (gateway_type == "message_delete") {
    if (const auto* e = std::get_if<events::MessageDeleted>(&event)) return one(MessageDelete(*e));
  } else if (gateway_type == "message_reaction") {
    if (const auto* e = std::get_if<events::MessageReactionChanged>(&event)) {
      return one(MessageReaction(*e));
    }
  } else if (gateway_type == "channel_create") {
    if (const auto* e = std::get_if<events::ChannelCreated>(&event)) return one(ChannelCreate(*e));
  } else if (gateway_type == "workspace_member_add") {
    if (const auto* e = std::get_if<events::MemberJoined>(&event)) return one(MemberAdd(*e, meta));
  } else if (auto governance = BuildGovernancePayload(gateway_type, event, meta)) {
    return one(std::move(*governance));
  } else if (auto voice = BuildVoicePayload(gateway_type, event)) {
    return one(std::move(*voice));
  } else {
    auto built = BuildUserPayload(gateway_type, event, meta, observers);
    if (!built.ok() || !built->empty()) return built;
  }
  return core::Internal("no payload builder for " + std::string(gateway_type) + " from " +
                        std::string(events::TypeOf(event)));
}

std::vector<std::string_view> BuiltGatewayTypes() {
  std::vector<std::string_view> types = {
      "message_create",        "message_update",        "message_delete",
      "message_reaction",      "channel_create",        "workspace_member_add",
      "profile_update",        "profile_avatar_update", "profile_banner_update",
      "friend_request_create", "friend_request_update", "friend_request_delete",
      "friend_remove"};
  for (auto type : GovernanceGatewayTypes()) types.push_back(type);
  for (auto type : VoiceGatewayTypes()) types.push_back(type);
  return types;
}

core::Result<std::vector<GatewayMessage>> MapRecord(const events::StoredRecord& record) {
  static const ObserverIndex kNobody;
  return MapRecord(record, kNobody);
}

core::Result<std::vector<GatewayMessage>> MapRecord(const events::StoredRecord& record,
                                                    const ObserverIndex& observers) {
  const auto& meta = record.record.meta;
  auto routes = events::RoutesFor(meta.type);
  if (routes.empty()) return std::vector<GatewayMessage>{};
  if (record.decode_error) return core::InvalidArgument(record.decode_error->message);
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  if (!event.ok()) return event.error();
  std::vector<GatewayMessage> out;
  for (const auto& route : routes) {
    auto messages = BuildPayload(route.gateway_type, *event, meta, observers);
    if (!messages.ok()) return messages.error();
    for (auto& m : *messages) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace filament::gateway
