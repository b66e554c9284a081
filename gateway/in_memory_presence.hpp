#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/ports.hpp"

namespace filament::gateway {

// PresenceDirectory for hubs that share one process: unit tests run two or more hubs ("gateway
// processes") on one bus. Reports are queued and handed to the listeners by Deliver(), on the
// caller's thread, so a test decides when the other "process" hears of a change (in production
// that is the PostgreSQL adapter's notification round trip). Thread-safe.
class InMemoryPresenceBus {
 public:
  InMemoryPresenceBus() = default;
  InMemoryPresenceBus(const InMemoryPresenceBus&) = delete;
  InMemoryPresenceBus& operator=(const InMemoryPresenceBus&) = delete;

  // A directory for one more process. It must not outlive the bus; destroying it is a crash of
  // that process (as Expire).
  std::unique_ptr<PresenceDirectory> Join();
  // Hands every queued report to its listener (in order per listener); returns how many.
  // Call with no hub lock held.
  size_t Deliver();
  // The process of `directory` died: its presence and connections vanish as if its leases
  // expired. Its users with no connection elsewhere are reported gone to one other process.
  void Expire(PresenceDirectory& directory);

 private:
  class Directory;
  using Key = std::pair<std::string, std::string>;           // guild, user
  using Report = std::variant<PresenceChange, std::string>;  // a change, or a user gone
  struct Instance {
    PresenceListener* listener = nullptr;
    std::set<Key> present;
    std::set<std::string> connected;
    std::vector<Report> queue;
  };

  void Announce(int id, const Key& key, bool present);
  void Connect(int id, const std::string& user, bool connected);
  void SetListener(int id, PresenceListener* listener);
  void Remove(int id);
  // Queues a change for every instance but `except` whose view of the others changed.
  void QueueChangesLocked(int except, const Key& key, const std::set<int>& before);
  std::set<int> HoldersLocked(const Key& key) const;
  bool ConnectedAnywhereLocked(const std::string& user) const;

  std::mutex deliver_mu_;  // held while listeners run (SetListener waits for it)
  std::mutex mu_;
  int next_id_ = 0;
  std::map<int, Instance> instances_;
};

}  // namespace filament::gateway
