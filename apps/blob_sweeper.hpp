#pragma once

#include <cstdint>

#include "commands/attachment_quota.hpp"
#include "core/blob_store.hpp"
#include "core/periodic_task.hpp"

namespace filament::app {

// Runs commands::SweepOrphanAttachments every `interval_secs` on a thread of its own, in the
// process that owns the command side (ADR 0042): the first sweep a minute after Start (or one
// interval, if shorter),
// each logging one line to stderr when it deleted something or failed. `ledger` must be the
// started CommandService's; it and `blobs` must outlive the sweeper.
class BlobSweeper {
 public:
  BlobSweeper(core::BlobStore& blobs, const commands::AttachmentQuota& ledger,
              int64_t interval_secs, int64_t grace_secs);
  ~BlobSweeper();  // Stop()s
  void Start();
  void Stop();  // waits for a sweep in progress; idempotent

 private:
  void Sweep();

  core::BlobStore& blobs_;
  const commands::AttachmentQuota& ledger_;
  const int64_t interval_secs_;
  const int64_t grace_secs_;
  core::PeriodicTask task_;
};

}  // namespace filament::app
