#pragma once

// Internal to adapters/presence: the SQL of the directory (includes libpqxx).

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "gateway/ports.hpp"

namespace filament::presence::internal {

using Key = std::pair<std::string, std::string>;  // guild ('' = connected), user
// guild → users present there on other live instances
using Mirror = std::map<std::string, std::set<std::string>>;

struct LeaseWrite {
  std::vector<Key> add;
  std::vector<Key> remove;
};

// One transaction: renews (or re-creates) the instance row; when it had to be re-created (the
// others swept this instance as dead) inserts `all_if_recreated` instead of `write.add`; applies
// the removals; returns the users whose removed '' lease was their last live one anywhere
// (serialized per user with an advisory lock); NOTIFYs each guild touched.
std::vector<std::string> WriteLeases(pqxx::connection& c, const std::string& instance,
                                     int64_t ttl_ms, const LeaseWrite& write,
                                     const std::vector<Key>& all_if_recreated);
// Deletes expired instances and their leases (each by exactly one sweeper); returns the users
// left with no live connection lease.
std::vector<std::string> SweepDead(pqxx::connection& c);
// Whether `user` holds a live connection lease on any live instance.
bool HasLiveConnection(pqxx::connection& c, const std::string& user);
// Deletes this instance's rows (a clean stop); returns the users it leaves gone.
std::vector<std::string> RemoveInstance(pqxx::connection& c, const std::string& instance);
// The live presence of the other instances, for all guilds or the `guilds` given.
Mirror ReadRemote(pqxx::connection& c, const std::string& instance,
                  const std::vector<std::string>* guilds);
// Replaces `mirror`'s entries for `guilds` (nullptr: every guild) with `fresh`'s and returns
// the differences, guild by guild.
std::vector<gateway::PresenceChange> Replace(Mirror& mirror, const Mirror& fresh,
                                             const std::vector<std::string>* guilds);
// A PostgreSQL text[] literal ({"a","b"}, quotes and backslashes escaped).
std::string TextArrayLiteral(const std::vector<std::string>& values);

}  // namespace filament::presence::internal
