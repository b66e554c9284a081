#include "gateway/bridge/payloads.hpp"

#include <nlohmann/json.hpp>

#include "gateway/bridge/governance_payloads.hpp"
#include "render/message_view.hpp"

namespace filament::gateway {
namespace {

using Json = nlohmann::ordered_json;

core::Result<GatewayMessage> MessageCreate(const events::MessagePosted& e) {
  return GatewayMessage{
      GatewayMessage::Scope::kChannel,       e.guild_id, e.channel_id, "", "message_create",
      render::MessageJson(render::ViewOf(e))};
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

}  // namespace

core::Result<GatewayMessage> BuildPayload(std::string_view gateway_type, const events::Event& event,
                                          const events::RecordMeta& meta) {
  if (gateway_type == "message_create") {
    if (const auto* e = std::get_if<events::MessagePosted>(&event)) return MessageCreate(*e);
  } else if (gateway_type == "channel_create") {
    if (const auto* e = std::get_if<events::ChannelCreated>(&event)) return ChannelCreate(*e);
  } else if (gateway_type == "workspace_member_add") {
    if (const auto* e = std::get_if<events::MemberJoined>(&event)) return MemberAdd(*e, meta);
  }
  if (auto governance = BuildGovernancePayload(gateway_type, event, meta)) return *governance;
  return core::Internal("no payload builder for " + std::string(gateway_type) + " from " +
                        std::string(events::TypeOf(event)));
}

std::vector<std::string_view> BuiltGatewayTypes() {
  std::vector<std::string_view> types = {"message_create", "channel_create",
                                         "workspace_member_add"};
  for (auto type : GovernanceGatewayTypes()) types.push_back(type);
  return types;
}

core::Result<std::vector<GatewayMessage>> MapRecord(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  auto routes = events::RoutesFor(meta.type);
  if (routes.empty()) return std::vector<GatewayMessage>{};
  if (record.decode_error) return core::InvalidArgument(record.decode_error->message);
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  if (!event.ok()) return event.error();
  std::vector<GatewayMessage> out;
  for (const auto& route : routes) {
    auto message = BuildPayload(route.gateway_type, *event, meta);
    if (!message.ok()) return message.error();
    out.push_back(std::move(*message));
  }
  return out;
}

}  // namespace filament::gateway
