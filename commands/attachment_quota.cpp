#include "commands/attachment_quota.hpp"

namespace filament::commands {

bool AttachmentQuota::Reserve(const std::string& user_id, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  Account& account = accounts_[user_id];
  uint64_t taken = account.used + account.reserved;
  if (taken > quota_bytes_ || bytes > quota_bytes_ - taken) return false;
  account.reserved += bytes;
  return true;
}

void AttachmentQuota::Release(const std::string& user_id, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  Account& account = accounts_[user_id];
  account.reserved -= std::min(bytes, account.reserved);
}

void AttachmentQuota::Free(const std::string& attachment_id) {
  auto it = live_.find(attachment_id);
  if (it == live_.end()) return;
  Account& account = accounts_[it->second.first];
  account.used -= std::min(it->second.second, account.used);
  live_.erase(it);
}

bool AttachmentQuota::IsLive(const std::string& attachment_id) const {
  std::lock_guard lock(mutex_);
  return live_.count(attachment_id) > 0;
}

void AttachmentQuota::Apply(const events::Event& event) {
  if (const auto* up = std::get_if<events::AttachmentUploaded>(&event)) {
    std::lock_guard lock(mutex_);
    auto size = static_cast<uint64_t>(up->size_bytes);
    if (!live_.emplace(up->attachment_id, std::make_pair(up->owner_id, size)).second) return;
    accounts_[up->owner_id].used += size;
  } else if (const auto* gone = std::get_if<events::AttachmentDeleted>(&event)) {
    std::lock_guard lock(mutex_);
    Free(gone->attachment_id);
  } else if (const auto* deleted = std::get_if<events::MessageDeleted>(&event)) {
    if (!deleted->attachment_ids) return;
    std::lock_guard lock(mutex_);
    for (const auto& id : *deleted->attachment_ids) Free(id);
  }
}

uint64_t AttachmentQuota::Used(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(user_id);
  return it == accounts_.end() ? 0 : it->second.used;
}

uint64_t AttachmentQuota::Reserved(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(user_id);
  return it == accounts_.end() ? 0 : it->second.reserved;
}

AttachmentQuota::LiveMap AttachmentQuota::Live() const {
  std::lock_guard lock(mutex_);
  return live_;
}

void AttachmentQuota::Restore(LiveMap live) {
  std::lock_guard lock(mutex_);
  for (auto& [user_id, account] : accounts_) account.used = 0;
  live_ = std::move(live);
  for (const auto& [id, owned] : live_) accounts_[owned.first].used += owned.second;
}

}  // namespace filament::commands
