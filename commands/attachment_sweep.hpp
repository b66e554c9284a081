#pragma once

#include <cstdint>

#include "commands/attachment_quota.hpp"
#include "core/blob_store.hpp"

namespace filament::commands {

struct AttachmentSweepReport {
  int64_t examined = 0;  // attachment blobs older than the grace period
  int64_t deleted = 0;   // of those, the orphans removed
};

// Removes orphan attachment blobs (ADR 0042): objects under `attachments/<id>` stored at least
// `grace_secs` ago (by the store's clock) whose id `ledger` does not hold as a live attachment
// — left by a crash between BlobStore::Put and the AttachmentUploaded append, or between a
// delete's append and its blob delete.
//
// Safe only where `ledger` has folded the whole log and sees every append as it happens: the
// CommandService of the deployment's one command writer (ADR 0002), after Start. The grace
// period protects uploads in flight (Put done, append pending), so it must exceed the longest
// time from a Put's start to its append (a request's run time, FILAMENT_REQUEST_TIMEOUT_SECS,
// with a wide margin). Attachment ids are never reused, so a key judged orphan never becomes
// live again. Pages through the store `page` keys at a time; a failing delete stops the sweep
// and is returned (the next sweep retries). Errors: the store's (kUnavailable: retry later).
core::Result<AttachmentSweepReport> SweepOrphanAttachments(core::BlobStore& blobs,
                                                           const AttachmentQuota& ledger,
                                                           int64_t grace_secs, size_t page = 500);

}  // namespace filament::commands
