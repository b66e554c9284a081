// authz_bench: the cost of live gateway permissions (ADR 0031) at 1,000 subscribers in one
// guild with 64 roles, per-role channel overrides and member overrides:
//   - EvaluateChannel uncached (what a cache miss costs),
//   - LiveAccess::Visible cached (what each channel delivery pays),
//   - a role change: fold it (drops the guild cache) and re-evaluate all subscribers (what
//     the bridge does before revalidating subscriptions), in process, without sockets.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "commands/guild/guild_state.hpp"
#include "core/ulid.hpp"
#include "gateway/bridge/live_access.hpp"

namespace {

using namespace filament;
using Clock = std::chrono::steady_clock;

core::UlidGenerator ids;
std::string Id() { return ids.Next(1'700'000'000'000).ToString(); }

events::StoredRecord Record(const events::GuildEvent& event, const std::string& guild_id,
                            int64_t offset) {
  events::StoredRecord record;
  events::Event e = events::ToEvent(event);
  record.position = {0, offset};
  record.record.meta.type = std::string(events::TypeOf(e));
  record.record.meta.schema_version = events::SchemaVersionOf(e);
  record.record.meta.stream = "guild:" + guild_id;
  record.record.payload = events::EncodePayload(e);
  return record;
}

std::vector<std::string> RandomPermissions(std::mt19937& rng) {
  std::vector<std::string> out;
  for (int bit = 0; bit < commands::kPermissionCount; ++bit) {
    if (rng() % 3 == 0)
      out.emplace_back(commands::PermissionName(static_cast<commands::Permission>(bit)));
  }
  return out;
}

double NsPer(Clock::duration d, int64_t n) {
  return std::chrono::duration<double, std::nano>(d).count() / static_cast<double>(n);
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  const std::string guild = Id(), channel = Id(), owner = Id();
  std::vector<events::GuildEvent> history;
  history.push_back(
      events::GuildCreated{guild, "Bench", "public", owner, Id(), Id(), Id(), Id(), 1});
  history.push_back(events::ChannelCreated{guild, channel, "general", "text", 1});
  std::vector<std::string> roles;
  for (int i = 0; i < 60; ++i) {  // + 4 seeded = 64 roles
    roles.push_back(Id());
    history.push_back(events::RoleCreated{guild, roles.back(), "r", 2 + i, RandomPermissions(rng),
                                          std::nullopt, 1});
    history.push_back(events::ChannelPermissionOverrideSet{
        guild, channel, "role", roles.back(),
        rng() % 2 ? std::vector<std::string>{"create_message"} : std::vector<std::string>{},
        rng() % 4 == 0 ? std::vector<std::string>{"create_message"} : std::vector<std::string>{},
        1});
  }
  std::vector<std::string> users;
  for (int u = 0; u < 1000; ++u) {
    users.push_back(Id());
    history.push_back(events::MemberJoined{guild, users.back(), "member", "directory", 1});
    int assigned = 1 + static_cast<int>(rng() % 16);
    for (int k = 0; k < assigned; ++k) {
      history.push_back(events::RoleAssigned{guild, users.back(), roles[rng() % roles.size()], 1});
    }
    if (u % 10 == 0) {
      history.push_back(events::ChannelPermissionOverrideSet{
          guild, channel, "member", users.back(), {}, {"create_message"}, 1});
    }
  }
  gateway::LiveAccess access("");
  int64_t offset = 0;
  for (const auto& e : history) access.Apply(Record(e, guild, offset++));
  commands::GuildState state = commands::Fold(history);

  constexpr int kReps = 200;
  int visible = 0;
  auto start = Clock::now();
  for (int r = 0; r < kReps; ++r) {
    for (const auto& user : users) {
      auto e = commands::EvaluateChannel(state.authz, user, channel);
      visible += e.ok() && e->permissions.Has(commands::Permission::kCreateMessage);
    }
  }
  double uncached = NsPer(Clock::now() - start, kReps * 1000);
  start = Clock::now();
  for (int r = 0; r < kReps; ++r) {
    for (const auto& user : users) visible += access.Visible(user, guild, channel);
  }
  double cached = NsPer(Clock::now() - start, kReps * 1000);

  constexpr int kChanges = 50;
  start = Clock::now();
  for (int c = 0; c < kChanges; ++c) {
    access.Apply(Record(events::RoleUpdated{.guild_id = guild,
                                            .role_id = roles[c % roles.size()],
                                            .permissions = RandomPermissions(rng),
                                            .updated_at_unix = 2},
                        guild, offset++));
    for (const auto& user : users) visible += access.Visible(user, guild, channel);
  }
  double change_us = NsPer(Clock::now() - start, kChanges) / 1000.0;
  std::printf(
      "{\"subscribers\":1000,\"roles\":%zu,\"history_events\":%zu,\"evaluate_uncached_ns\":%.0f,"
      "\"visible_cached_ns\":%.0f,\"role_change_fold_and_reevaluate_1000_us\":%.0f,"
      "\"checksum\":%d}\n",
      state.authz.roles.size(), history.size(), uncached, cached, change_us, visible);
  return 0;
}
