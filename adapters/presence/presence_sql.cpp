#include "adapters/presence/presence_sql.hpp"

namespace filament::presence::internal {
namespace {

constexpr const char* kNotifyChannel = "filament_presence";

std::vector<std::string> Column(const std::vector<Key>& keys, bool guild) {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const Key& key : keys) out.push_back(guild ? key.first : key.second);
  return out;
}

// Locks each user's advisory lock in one global order (hash order), so that two processes
// deciding "last connection" for the same user run one after the other, never deadlocking.
void LockUsers(pqxx::work& tx, const std::vector<std::string>& users) {
  if (users.empty()) return;
  tx.exec_params(
      "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtext('filament_presence:' || u)"
      " AS k FROM unnest($1::text[]) AS t(u)) s ORDER BY k",
      TextArrayLiteral(users));
}

std::vector<std::string> WithoutLiveConnection(pqxx::transaction_base& tx,
                                               const std::vector<std::string>& users) {
  std::vector<std::string> gone;
  if (users.empty()) return gone;
  const pqxx::result rows = tx.exec_params(
      "SELECT DISTINCT u FROM unnest($1::text[]) AS t(u) WHERE NOT EXISTS (SELECT 1 FROM"
      " gateway_presence_leases l JOIN gateway_presence_instances i USING (instance_id)"
      " WHERE l.guild_id = '' AND l.user_id = t.u AND i.expires_at > now())",
      TextArrayLiteral(users));
  for (const auto& row : rows) gone.push_back(row[0].as<std::string>());
  return gone;
}

void NotifyGuilds(pqxx::work& tx, const std::string& instance, const std::set<std::string>& g) {
  std::vector<std::string> guilds;
  for (const std::string& guild : g) {
    if (!guild.empty()) guilds.push_back(guild);
  }
  if (guilds.empty()) return;
  tx.exec_params("SELECT pg_notify($1, $2 || ' ' || g) FROM unnest($3::text[]) AS t(g)",
                 kNotifyChannel, instance, TextArrayLiteral(guilds));
}

// Deletes the leases `rows` returned and reports the users gone; NOTIFYs their guilds.
std::vector<std::string> SettleRemoved(pqxx::work& tx, const std::string& instance,
                                       const pqxx::result& rows) {
  std::set<std::string> guilds;
  std::vector<std::string> users;
  for (const auto& row : rows) {
    std::string guild = row[0].as<std::string>();
    if (guild.empty()) users.push_back(row[1].as<std::string>());
    guilds.insert(std::move(guild));
  }
  LockUsers(tx, users);
  std::vector<std::string> gone = WithoutLiveConnection(tx, users);
  NotifyGuilds(tx, instance, guilds);
  return gone;
}

}  // namespace

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char ch : values[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> WriteLeases(pqxx::connection& c, const std::string& instance,
                                     int64_t ttl_ms, const LeaseWrite& write,
                                     const std::vector<Key>& all_if_recreated) {
  pqxx::work tx(c);
  const pqxx::result renewed = tx.exec_params(
      "INSERT INTO gateway_presence_instances (instance_id, expires_at) VALUES ($1, now() + $2 *"
      " interval '1 millisecond') ON CONFLICT (instance_id) DO UPDATE SET expires_at ="
      " EXCLUDED.expires_at RETURNING (xmax = 0)",
      instance, ttl_ms);
  const bool recreated = renewed[0][0].as<bool>();
  const std::vector<Key>& add = recreated ? all_if_recreated : write.add;
  std::vector<std::string> disconnected;
  for (const Key& key : write.remove) {
    if (key.first.empty()) disconnected.push_back(key.second);
  }
  LockUsers(tx, disconnected);
  if (!add.empty()) {
    tx.exec_params(
        "INSERT INTO gateway_presence_leases (instance_id, guild_id, user_id) SELECT $1, g, u"
        " FROM unnest($2::text[], $3::text[]) AS t(g, u) ON CONFLICT DO NOTHING",
        instance, TextArrayLiteral(Column(add, true)), TextArrayLiteral(Column(add, false)));
  }
  if (!write.remove.empty()) {
    tx.exec_params(
        "DELETE FROM gateway_presence_leases l USING unnest($2::text[], $3::text[]) AS t(g, u)"
        " WHERE l.instance_id = $1 AND l.guild_id = t.g AND l.user_id = t.u",
        instance, TextArrayLiteral(Column(write.remove, true)),
        TextArrayLiteral(Column(write.remove, false)));
  }
  std::vector<std::string> gone = WithoutLiveConnection(tx, disconnected);
  std::set<std::string> guilds;
  for (const Key& key : add) guilds.insert(key.first);
  for (const Key& key : write.remove) guilds.insert(key.first);
  NotifyGuilds(tx, instance, guilds);
  tx.commit();
  return gone;
}

std::vector<std::string> SweepDead(pqxx::connection& c) {
  pqxx::work tx(c);
  const pqxx::result rows = tx.exec(
      "WITH dead AS (DELETE FROM gateway_presence_instances WHERE instance_id IN (SELECT"
      " instance_id FROM gateway_presence_instances WHERE expires_at < now() FOR UPDATE SKIP"
      " LOCKED) RETURNING instance_id) DELETE FROM gateway_presence_leases l USING dead"
      " WHERE l.instance_id = dead.instance_id RETURNING l.guild_id, l.user_id");
  std::vector<std::string> gone = SettleRemoved(tx, "sweep", rows);
  tx.commit();
  return gone;
}

bool HasLiveConnection(pqxx::connection& c, const std::string& user) {
  pqxx::read_transaction tx(c);
  return WithoutLiveConnection(tx, {user}).empty();
}

std::vector<std::string> RemoveInstance(pqxx::connection& c, const std::string& instance) {
  pqxx::work tx(c);
  tx.exec_params("DELETE FROM gateway_presence_instances WHERE instance_id = $1", instance);
  const pqxx::result rows = tx.exec_params(
      "DELETE FROM gateway_presence_leases WHERE instance_id = $1 RETURNING guild_id, user_id",
      instance);
  std::vector<std::string> gone = SettleRemoved(tx, instance, rows);
  tx.commit();
  return gone;
}

Mirror ReadRemote(pqxx::connection& c, const std::string& instance,
                  const std::vector<std::string>* guilds) {
  std::string sql =
      "SELECT l.guild_id, l.user_id FROM gateway_presence_leases l JOIN"
      " gateway_presence_instances i USING (instance_id) WHERE l.instance_id <> $1 AND"
      " l.guild_id <> '' AND i.expires_at > now()";
  pqxx::read_transaction tx(c);
  pqxx::result rows;
  if (guilds == nullptr) {
    rows = tx.exec_params(sql, instance);
  } else {
    rows = tx.exec_params(sql + " AND l.guild_id = ANY($2::text[])", instance,
                          TextArrayLiteral(*guilds));
  }
  Mirror out;
  for (const auto& row : rows) out[row[0].as<std::string>()].insert(row[1].as<std::string>());
  return out;
}

std::vector<gateway::PresenceChange> Replace(Mirror& mirror, const Mirror& fresh,
                                             const std::vector<std::string>* guilds) {
  std::set<std::string> touched;
  if (guilds != nullptr) {
    touched.insert(guilds->begin(), guilds->end());
  } else {
    for (const auto& [guild, users] : mirror) touched.insert(guild);
    for (const auto& [guild, users] : fresh) touched.insert(guild);
  }
  static const std::set<std::string> kNone;
  std::vector<gateway::PresenceChange> changes;
  for (const std::string& guild : touched) {
    auto old_it = mirror.find(guild);
    auto new_it = fresh.find(guild);
    const std::set<std::string>& before = old_it == mirror.end() ? kNone : old_it->second;
    const std::set<std::string>& after = new_it == fresh.end() ? kNone : new_it->second;
    for (const std::string& user : before) {
      if (after.count(user) == 0) changes.push_back({guild, user, false});
    }
    for (const std::string& user : after) {
      if (before.count(user) == 0) changes.push_back({guild, user, true});
    }
    if (after.empty()) {
      mirror.erase(guild);
    } else {
      mirror[guild] = after;
    }
  }
  return changes;
}

}  // namespace filament::presence::internal
