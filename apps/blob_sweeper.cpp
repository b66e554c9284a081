#include "apps/blob_sweeper.hpp"

#include <chrono>
#include <iostream>

#include "commands/attachment_sweep.hpp"

namespace filament::app {

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

void BlobSweeper::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(interval_secs_), [this] { return stop_; })) {
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
