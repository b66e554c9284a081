// Payloads of the user-scoped gateway events (GATEWAY.md §6.4): profile and friend events.
#include "gateway/bridge/user_payloads.hpp"

#include <nlohmann/json.hpp>

#include "adapters/markdown/markdown_tokens.hpp"

namespace filament::gateway {
namespace {

using Json = nlohmann::ordered_json;

std::vector<GatewayMessage> ToUsers(const std::vector<std::string>& users, const std::string& type,
                                    const std::string& payload) {
  std::vector<GatewayMessage> out;
  for (const auto& user : users) {
    out.push_back(GatewayMessage{GatewayMessage::Scope::kUser, "", "", user, type, payload});
  }
  return out;
}

}  // namespace

std::vector<GatewayMessage> ProfileUpdate(const events::ProfileUpdated& e,
                                          const ObserverIndex& observers) {
  Json fields = Json::object();
  if (e.username) fields["username"] = *e.username;
  if (e.about_markdown) {
    fields["about_markdown"] = *e.about_markdown;
    fields["about_markdown_tokens"] =
        Json::parse(markdown::MarkdownTokensJson(*e.about_markdown), nullptr, false);
  }
  Json d{
      {"user_id", e.user_id}, {"updated_fields", fields}, {"updated_at_unix", e.updated_at_unix}};
  return ToUsers(observers.Observers(e.user_id), "profile_update", d.dump());
}

std::vector<GatewayMessage> ProfileImageUpdate(const std::string& user_id, bool avatar,
                                               int64_t version, int64_t updated_at_unix,
                                               const ObserverIndex& observers) {
  Json d{{"user_id", user_id},
         {avatar ? "avatar_version" : "banner_version", version},
         {"updated_at_unix", updated_at_unix}};
  return ToUsers(observers.Observers(user_id),
                 avatar ? "profile_avatar_update" : "profile_banner_update", d.dump());
}

std::vector<GatewayMessage> FriendRequestCreate(const events::FriendRequestSent& e) {
  Json d{{"request_id", e.request_id},
         {"sender_user_id", e.sender_user_id},
         {"sender_username", e.sender_username},
         {"recipient_user_id", e.recipient_user_id},
         {"recipient_username", e.recipient_username},
         {"created_at_unix", e.created_at_unix}};
  return ToUsers({e.sender_user_id, e.recipient_user_id}, "friend_request_create", d.dump());
}

std::vector<GatewayMessage> FriendRequestUpdate(const events::FriendRequestAccepted& e,
                                                const events::RecordMeta& meta) {
  auto perspective = [&](const std::string& user, const std::string& other,
                         const std::string& other_name) {
    Json d{{"request_id", e.request_id},
           {"state", "accepted"},
           {"user_id", user},
           {"friend_user_id", other},
           {"friend_username", other_name},
           {"friendship_created_at_unix", e.accepted_at_unix},
           {"updated_at_unix", e.accepted_at_unix},
           {"actor_user_id", meta.actor_user_id}};
    return GatewayMessage{GatewayMessage::Scope::kUser, "",      "", user,
                          "friend_request_update",      d.dump()};
  };
  return {perspective(e.recipient_user_id, e.sender_user_id, e.sender_username),
          perspective(e.sender_user_id, e.recipient_user_id, e.recipient_username)};
}

std::vector<GatewayMessage> FriendRequestDelete(const events::FriendRequestDeleted& e,
                                                const events::RecordMeta& meta) {
  Json d{{"request_id", e.request_id},
         {"deleted_at_unix", e.deleted_at_unix},
         {"actor_user_id", meta.actor_user_id}};
  return ToUsers({e.sender_user_id, e.recipient_user_id}, "friend_request_delete", d.dump());
}

std::vector<GatewayMessage> FriendRemove(const events::FriendshipRemoved& e,
                                         const events::RecordMeta& meta) {
  auto perspective = [&](const std::string& user, const std::string& other) {
    Json d{{"user_id", user},
           {"friend_user_id", other},
           {"removed_at_unix", e.removed_at_unix},
           {"actor_user_id", meta.actor_user_id}};
    return GatewayMessage{GatewayMessage::Scope::kUser, "", "", user, "friend_remove", d.dump()};
  };
  return {perspective(e.user_id, e.friend_user_id), perspective(e.friend_user_id, e.user_id)};
}

}  // namespace filament::gateway
