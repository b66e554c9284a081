#include "apps/blob_sweeper.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "commands/attachment_sweep.hpp"

namespace filament::app {
namespace {

constexpr int64_t kFirstSweepSecs = 60;

}  // namespace

BlobSweeper::BlobSweeper(core::BlobStore& blobs, const commands::AttachmentQuota& ledger,
                         int64_t interval_secs, int64_t grace_secs)
    : blobs_(blobs), ledger_(ledger), interval_secs_(interval_secs), grace_secs_(grace_secs) {}

BlobSweeper::~BlobSweeper() { Stop(); }

void BlobSweeper::Start() {
  if (interval_secs_ <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void BlobSweeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// The first sweep comes soon after start (the ledger is folded by then), so a process that
// restarts more often than the interval still sweeps.
void BlobSweeper::Run() {
  std::unique_lock lock(mu_);
  auto wait = std::chrono::seconds(std::min<int64_t>(interval_secs_, kFirstSweepSecs));
  while (!cv_.wait_for(lock, wait, [this] { return stop_; })) {
    wait = std::chrono::seconds(interval_secs_);
    lock.unlock();
    auto report = commands::SweepOrphanAttachments(blobs_, ledger_, grace_secs_);
    if (!report.ok()) {
      std::cerr << "blob sweep: " << report.error().message << " (retried next interval)\n";
    } else if (report->deleted > 0) {
      std::cerr << "blob sweep: deleted " << report->deleted << " orphan attachment blob(s) of "
                << report->examined << " older than " << grace_secs_ << " s\n";
    }
    lock.lock();
  }
}

}  // namespace filament::app
