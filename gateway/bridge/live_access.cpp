#include "gateway/bridge/live_access.hpp"

#include "commands/permissions.hpp"

namespace filament::gateway {
namespace {

// Records that cannot change who sees what: skipped without decoding (messages above all).
bool CannotChangeAccess(const std::string& type) {
  return type == events::MessagePosted::kType || type == events::DirectoryJoinRecorded::kType ||
         type == events::GuildUpdated::kType;
}

// A frozen copy of a guild's authorization fold, with its own memo of decisions.
class AuthzSnapshot final : public AccessView {
 public:
  AuthzSnapshot(const commands::GuildAuthz* authz, const std::string& server_owner)
      : authz_(authz ? std::make_optional(*authz) : std::nullopt), server_owner_(server_owner) {}

  bool Visible(const std::string& user_id, const std::string& channel_id) const override {
    if (!authz_) return false;
    std::lock_guard lock(mu_);
    auto [it, inserted] = visible_.try_emplace(user_id + ":" + channel_id, false);
    if (!inserted) return it->second;
    if (user_id == server_owner_) {
      it->second = authz_->channels.count(channel_id) != 0;
    } else {
      auto effective = commands::EvaluateChannel(*authz_, user_id, channel_id);
      it->second =
          effective.ok() && effective->permissions.Has(commands::Permission::kCreateMessage);
    }
    return it->second;
  }
  bool IsMember(const std::string& user_id) const override {
    if (!authz_) return false;
    return user_id == server_owner_ || commands::EvaluateGuild(*authz_, user_id).ok();
  }

 private:
  const std::optional<commands::GuildAuthz> authz_;
  const std::string server_owner_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, bool> visible_;
};

}  // namespace

std::shared_ptr<const AccessView> LiveAccess::Snapshot(const std::string& guild_id) {
  std::lock_guard lock(mu_);
  auto guild = guilds_.find(guild_id);
  if (guild == guilds_.end()) return std::make_shared<AuthzSnapshot>(nullptr, server_owner_);
  if (!guild->second.snapshot) {
    guild->second.snapshot =
        std::make_shared<AuthzSnapshot>(&guild->second.state.authz, server_owner_);
  }
  return guild->second.snapshot;
}

LiveAccess::LiveAccess(std::string server_owner_user_id)
    : owner_configured_(!server_owner_user_id.empty()),
      server_owner_(std::move(server_owner_user_id)) {}

std::optional<std::string> LiveAccess::Apply(const events::StoredRecord& record) {
  const auto& meta = record.record.meta;
  if (meta.type == events::ServerOwnerChanged::kType && !owner_configured_ &&
      !record.decode_error) {
    auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
    if (!event.ok()) return std::nullopt;
    std::lock_guard lock(mu_);
    server_owner_ = std::get<events::ServerOwnerChanged>(*event).owner_user_id;
    for (auto& [id, guild] : guilds_) guild.cache.clear();
    return std::nullopt;
  }
  if (meta.stream.rfind("guild:", 0) != 0 || CannotChangeAccess(meta.type)) return std::nullopt;
  if (record.decode_error) return std::nullopt;
  auto event = events::DecodeEvent(meta.type, meta.schema_version, record.record.payload);
  if (!event.ok()) return std::nullopt;
  auto guild_event = events::AsGuildEvent(*event);
  if (!guild_event) return std::nullopt;
  std::string guild_id = meta.stream.substr(6);
  std::lock_guard lock(mu_);
  Guild& guild = guilds_[guild_id];
  commands::Apply(guild.state, *guild_event);
  guild.cache.clear();
  guild.snapshot.reset();
  return guild_id;
}

void LiveAccess::Install(std::unordered_map<std::string, commands::GuildState> guilds,
                         const std::string& recorded_server_owner) {
  std::lock_guard lock(mu_);
  guilds_.clear();
  for (auto& [id, state] : guilds) guilds_[id].state = std::move(state);
  if (!owner_configured_) server_owner_ = recorded_server_owner;
}

bool LiveAccess::MayViewLocked(Guild& guild, const std::string& user_id,
                               const std::string& channel_id) {
  auto& users = guild.cache[channel_id];
  if (auto it = users.find(user_id); it != users.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  bool visible = false;
  if (user_id == server_owner_) {
    visible = guild.state.authz.channels.count(channel_id) != 0;
  } else {
    auto effective = commands::EvaluateChannel(guild.state.authz, user_id, channel_id);
    visible = effective.ok() && effective->permissions.Has(commands::Permission::kCreateMessage);
  }
  users.emplace(user_id, visible);
  return visible;
}

bool LiveAccess::Visible(const std::string& user_id, const std::string& guild_id,
                         const std::string& channel_id) {
  std::lock_guard lock(mu_);
  auto guild = guilds_.find(guild_id);
  if (guild == guilds_.end()) return false;
  return MayViewLocked(guild->second, user_id, channel_id);
}

bool LiveAccess::IsMember(const std::string& user_id, const std::string& guild_id) {
  std::lock_guard lock(mu_);
  auto guild = guilds_.find(guild_id);
  if (guild == guilds_.end()) return false;
  if (user_id == server_owner_) return true;
  return commands::EvaluateGuild(guild->second.state.authz, user_id).ok();
}

}  // namespace filament::gateway
