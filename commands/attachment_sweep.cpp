#include "commands/attachment_sweep.hpp"

#include <string>
#include <vector>

namespace filament::commands {

core::Result<AttachmentSweepReport> SweepOrphanAttachments(core::BlobStore& blobs,
                                                           const AttachmentQuota& ledger,
                                                           int64_t grace_secs, size_t page) {
  const std::string prefix = core::AttachmentBlobKey("");  // "attachments/"
  AttachmentSweepReport report;
  std::string after;
  for (;;) {
    auto keys = blobs.ListStale(prefix, grace_secs, after, page);
    if (!keys.ok()) return keys.error();
    for (const std::string& key : *keys) {
      ++report.examined;
      if (ledger.IsLive(key.substr(prefix.size()))) continue;
      FILAMENT_RETURN_IF_ERROR(blobs.Delete(key));
      ++report.deleted;
    }
    if (keys->size() < page || keys->empty()) return report;
    after = keys->back();
  }
}

}  // namespace filament::commands
