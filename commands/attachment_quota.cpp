#include "commands/attachment_quota.hpp"

#include <algorithm>

namespace filament::commands {

std::optional<uint64_t> AttachmentQuota::GrantLocked(const std::string& user_id, uint64_t at_least,
                                                     uint64_t at_most) {
  Account& account = accounts_[user_id];
  uint64_t taken = account.used + account.reserved;
  if (taken > quota_bytes_ || at_least > quota_bytes_ - taken) return std::nullopt;
  uint64_t granted = std::min(quota_bytes_ - taken, at_most);
  account.reserved += granted;
  return granted;
}

bool AttachmentQuota::Reserve(const std::string& user_id, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  return GrantLocked(user_id, bytes, bytes).has_value();
}

void AttachmentQuota::Release(const std::string& user_id, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  Account& account = accounts_[user_id];
  account.reserved -= std::min(bytes, account.reserved);
}

void AttachmentQuota::ShareReservations(UploadReservations* shared,
                                        std::function<core::Status()> catch_up) {
  shared_ = shared;
  catch_up_ = std::move(catch_up);
}

core::Result<uint64_t> AttachmentQuota::ReserveUpload(const std::string& user_id,
                                                      const std::string& hold_id, uint64_t at_least,
                                                      uint64_t at_most) {
  if (shared_ != nullptr) {
    return shared_->Reserve(user_id, hold_id, at_least, at_most, quota_bytes_,
                            [&]() -> core::Result<uint64_t> {
                              FILAMENT_RETURN_IF_ERROR(catch_up_());
                              return Used(user_id);
                            });
  }
  std::lock_guard lock(mutex_);
  return GrantLocked(user_id, at_least, at_most).value_or(0);
}

core::Status AttachmentQuota::ReleaseUpload(const std::string& user_id, const std::string& hold_id,
                                            uint64_t bytes) {
  if (shared_ == nullptr) {
    Release(user_id, bytes);
    return core::OkStatus();
  }
  return shared_->Release(hold_id);
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
