#include "apps/blob_sweeper.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "commands/attachment_sweep.hpp"

namespace filament::app {
namespace {

constexpr int64_t kFirstSweepSecs = 60;

}  // namespace

// The first sweep comes soon after start (the ledger is folded by then), so a process that
// restarts more often than the interval still sweeps.
BlobSweeper::BlobSweeper(core::BlobStore& blobs, const commands::AttachmentQuota& ledger,
                         int64_t interval_secs, int64_t grace_secs)
    : blobs_(blobs),
      ledger_(ledger),
      interval_secs_(interval_secs),
      grace_secs_(grace_secs),
      task_(
          std::chrono::seconds(std::clamp<int64_t>(interval_secs, 0, kFirstSweepSecs)),
          std::chrono::seconds(std::max<int64_t>(interval_secs, 0)), [this] { Sweep(); },
          "blob-sweeper") {}

BlobSweeper::~BlobSweeper() { Stop(); }

void BlobSweeper::Start() {
  if (interval_secs_ > 0) task_.Start();
}

void BlobSweeper::Stop() { task_.Stop(); }

void BlobSweeper::Sweep() {
  auto report = commands::SweepOrphanAttachments(blobs_, ledger_, grace_secs_);
  if (!report.ok()) {
    std::cerr << "blob sweep: " << report.error().message << " (retried next interval)\n";
  } else if (report->deleted > 0) {
    std::cerr << "blob sweep: deleted " << report->deleted << " orphan attachment blob(s) of "
              << report->examined << " older than " << grace_secs_ << " s\n";
  }
}

}  // namespace filament::app
