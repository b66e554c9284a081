#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "commands/ports.hpp"
#include "core/result.hpp"
#include "events/generated/event_types.hpp"

namespace filament::commands {

// The per-user attachment quota (contract §4.12: every attachment a user owns counts, bound or
// not), decided in one place (docs/adr/0040-attachment-quota.md):
//   used     = sizes of the user's live attachments, a fold of the guild streams' attachment
//              events (AttachmentUploaded adds; AttachmentDeleted and MessageDeleted free);
//   reserved = bytes of uploads in progress, which the upload route reserves chunk by chunk
//              BEFORE it accepts them and releases when the upload ends (appended or not).
// Reserve refuses when used + reserved + n would pass the quota, under one mutex, so parallel
// uploads of one user can never together pass it. With one command writer (ADR 0002) all of
// this is in memory. With several (ADR 0091) the reservations are shared through
// UploadReservations and `used` is read after the fold has caught up with the log (ADR 0096).
// Thread-safe.
class AttachmentQuota {
 public:
  explicit AttachmentQuota(uint64_t quota_bytes) : quota_bytes_(quota_bytes) {}

  // Reserves `bytes` more for `user_id`; false (nothing reserved) when over the quota.
  bool Reserve(const std::string& user_id, uint64_t bytes);
  void Release(const std::string& user_id, uint64_t bytes);

  // Several command writers (ADR 0096): upload reservations go to `shared`, which reads `used`
  // after `catch_up` brought the fold to the log's end. Call before serving.
  void ShareReservations(UploadReservations* shared, std::function<core::Status()> catch_up);

  bool shares_reservations() const { return shared_ != nullptr; }
  // The reservation of one upload, named `hold_id`: between `at_least` and `at_most` bytes
  // more, as many as the quota leaves; returns the bytes reserved, 0 (nothing reserved) when
  // fewer than `at_least` are left. In memory with one writer, in the shared reservations with
  // several; with several it may block (a database transaction and a catch-up of the log).
  // Errors (several writers only): kUnavailable (the shared store or the log is down; retry).
  core::Result<uint64_t> ReserveUpload(const std::string& user_id, const std::string& hold_id,
                                       uint64_t at_least, uint64_t at_most);
  // Never blocks.
  core::Status ReleaseUpload(const std::string& user_id, const std::string& hold_id,
                             uint64_t bytes);

  // Folds one event of the log (others are ignored).
  void Apply(const events::Event& event);

  // True while an attachment with this id is live in the folded log (uploaded, not deleted).
  bool IsLive(const std::string& attachment_id) const;

  uint64_t Used(const std::string& user_id) const;
  uint64_t Reserved(const std::string& user_id) const;
  uint64_t quota_bytes() const { return quota_bytes_; }

  // The ledger of live attachments (id -> owner, size): what a snapshot carries (ADR 0078).
  // `used` of each owner is the sum of its live sizes, so it is rebuilt from this.
  using LiveMap = std::unordered_map<std::string, std::pair<std::string, uint64_t>>;
  LiveMap Live() const;
  // Replaces the ledger of live attachments (and with it `used`); reservations stay.
  void Restore(LiveMap live);

 private:
  struct Account {
    uint64_t used = 0;
    uint64_t reserved = 0;
  };
  void Free(const std::string& attachment_id);  // caller holds mutex_
  // Reserves between at_least and at_most bytes (as many as the quota leaves) in memory;
  // nullopt when fewer than at_least are left. Caller holds mutex_.
  std::optional<uint64_t> GrantLocked(const std::string& user_id, uint64_t at_least,
                                      uint64_t at_most);

  const uint64_t quota_bytes_;
  UploadReservations* shared_ = nullptr;  // set before serving, then read only
  std::function<core::Status()> catch_up_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Account> accounts_;                       // by user id
  std::unordered_map<std::string, std::pair<std::string, uint64_t>> live_;  // id -> owner, size
};

}  // namespace filament::commands
