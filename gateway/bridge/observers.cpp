#include "gateway/bridge/observers.hpp"

#include <algorithm>

namespace filament::gateway {
namespace {

bool Concerns(const std::string& type) {
  return type == events::GuildCreated::kType || type == events::MemberJoined::kType ||
         type == events::MemberRemoved::kType || type == events::FriendRequestAccepted::kType ||
         type == events::FriendshipRemoved::kType;
}

}  // namespace

void ObserverIndex::ApplyRecord(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  if (!Concerns(meta.type) || record.decode_error) return;
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  if (event.ok()) Apply(*event);
}

void ObserverIndex::Join(const std::string& guild_id, const std::string& user_id) {
  members_of_[guild_id].insert(user_id);
  guilds_of_[user_id].insert(guild_id);
}

void ObserverIndex::Befriend(const std::string& a, const std::string& b) {
  friends_[a].insert(b);
  friends_[b].insert(a);
}

void ObserverIndex::Apply(const events::Event& event) {
  if (const auto* created = std::get_if<events::GuildCreated>(&event)) {
    Join(created->guild_id, created->creator_user_id);
  } else if (const auto* joined = std::get_if<events::MemberJoined>(&event)) {
    Join(joined->guild_id, joined->user_id);
  } else if (const auto* removed = std::get_if<events::MemberRemoved>(&event)) {
    // Kicked or banned: no longer a co-member, so no longer an observer through this guild.
    members_of_[removed->guild_id].erase(removed->user_id);
    guilds_of_[removed->user_id].erase(removed->guild_id);
  } else if (const auto* accepted = std::get_if<events::FriendRequestAccepted>(&event)) {
    Befriend(accepted->sender_user_id, accepted->recipient_user_id);
  } else if (const auto* removed = std::get_if<events::FriendshipRemoved>(&event)) {
    friends_[removed->user_id].erase(removed->friend_user_id);
    friends_[removed->friend_user_id].erase(removed->user_id);
  }
}

std::vector<std::string> ObserverIndex::Observers(const std::string& user_id) const {
  std::set<std::string> out{user_id};
  if (auto it = friends_.find(user_id); it != friends_.end()) {
    out.insert(it->second.begin(), it->second.end());
  }
  if (auto it = guilds_of_.find(user_id); it != guilds_of_.end()) {
    for (const auto& guild : it->second) {
      const auto& members = members_of_.at(guild);
      out.insert(members.begin(), members.end());
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace filament::gateway
