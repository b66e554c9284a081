#include "gateway/in_memory_presence.hpp"

namespace filament::gateway {

class InMemoryPresenceBus::Directory final : public PresenceDirectory {
 public:
  Directory(InMemoryPresenceBus& bus, int id) : bus_(bus), id_(id) {}
  ~Directory() override { bus_.Remove(id_); }
  void Announce(const std::string& guild_id, const std::string& user_id) override {
    bus_.Announce(id_, {guild_id, user_id}, true);
  }
  void Withdraw(const std::string& guild_id, const std::string& user_id) override {
    bus_.Announce(id_, {guild_id, user_id}, false);
  }
  void Connected(const std::string& user_id) override { bus_.Connect(id_, user_id, true); }
  void Disconnected(const std::string& user_id) override { bus_.Connect(id_, user_id, false); }
  void SetListener(PresenceListener* listener) override { bus_.SetListener(id_, listener); }
  std::optional<bool> ConnectedAnywhere(const std::string& user_id) override {
    std::lock_guard lock(bus_.mu_);
    return bus_.ConnectedAnywhereLocked(user_id);
  }
  int id() const { return id_; }

 private:
  InMemoryPresenceBus& bus_;
  const int id_;
};

std::unique_ptr<PresenceDirectory> InMemoryPresenceBus::Join() {
  std::lock_guard lock(mu_);
  const int id = next_id_++;
  instances_[id];
  return std::make_unique<Directory>(*this, id);
}

std::set<int> InMemoryPresenceBus::HoldersLocked(const Key& key) const {
  std::set<int> holders;
  for (const auto& [id, instance] : instances_) {
    if (instance.present.count(key) > 0) holders.insert(id);
  }
  return holders;
}

bool InMemoryPresenceBus::ConnectedAnywhereLocked(const std::string& user) const {
  for (const auto& [id, instance] : instances_) {
    if (instance.connected.count(user) > 0) return true;
  }
  return false;
}

void InMemoryPresenceBus::QueueChangesLocked(int except, const Key& key,
                                             const std::set<int>& before) {
  const std::set<int> after = HoldersLocked(key);
  for (auto& [id, instance] : instances_) {
    if (id == except) continue;
    // Present for `id` = held by some instance other than `id`.
    const bool was = before.size() > before.count(id);
    const bool is = after.size() > after.count(id);
    if (was != is) instance.queue.emplace_back(PresenceChange{key.first, key.second, is});
  }
}

void InMemoryPresenceBus::Announce(int id, const Key& key, bool present) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end()) return;  // expired: a dead process announces nothing
  const std::set<int> before = HoldersLocked(key);
  if (present) {
    it->second.present.insert(key);
  } else {
    it->second.present.erase(key);
  }
  QueueChangesLocked(id, key, before);
}

void InMemoryPresenceBus::Connect(int id, const std::string& user, bool connected) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end()) return;
  if (connected) {
    it->second.connected.insert(user);
    return;
  }
  if (it->second.connected.erase(user) > 0 && !ConnectedAnywhereLocked(user)) {
    it->second.queue.emplace_back(user);  // decided here, reported to the process it left
  }
}

void InMemoryPresenceBus::SetListener(int id, PresenceListener* listener) {
  std::lock_guard deliver(deliver_mu_);
  std::lock_guard lock(mu_);
  auto it = instances_.find(id);
  if (it != instances_.end()) it->second.listener = listener;
}

void InMemoryPresenceBus::Expire(PresenceDirectory& directory) {
  Remove(static_cast<Directory&>(directory).id());
}

void InMemoryPresenceBus::Remove(int id) {
  std::lock_guard deliver(deliver_mu_);
  std::lock_guard lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end()) return;
  Instance dead = std::move(it->second);
  instances_.erase(it);
  for (const Key& key : dead.present) {
    std::set<int> before = HoldersLocked(key);
    before.insert(id);
    QueueChangesLocked(id, key, before);
  }
  if (instances_.empty()) return;
  for (const std::string& user : dead.connected) {
    if (!ConnectedAnywhereLocked(user)) instances_.begin()->second.queue.emplace_back(user);
  }
}

size_t InMemoryPresenceBus::Deliver() {
  std::lock_guard deliver(deliver_mu_);
  std::vector<std::pair<PresenceListener*, std::vector<Report>>> batches;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, instance] : instances_) {
      if (instance.queue.empty()) continue;
      batches.emplace_back(instance.listener, std::move(instance.queue));
      instance.queue.clear();
    }
  }
  size_t delivered = 0;
  for (auto& [listener, reports] : batches) {
    for (Report& report : reports) {
      ++delivered;
      if (listener == nullptr) continue;
      if (auto* change = std::get_if<PresenceChange>(&report)) {
        listener->OnRemotePresence({*change});
      } else {
        listener->OnUserGone(std::get<std::string>(report));
      }
    }
  }
  return delivered;
}

}  // namespace filament::gateway
