#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "events/log_archive.hpp"

// Export a log to an archive and import an archive into an empty log (ADR 0053). Both stream:
// memory is bounded by one poll of records (export) or ~32 MiB of batches (import).
namespace filament::events {

struct ExportOptions {
  std::string source_kind;     // written into the header ("postgres", "kafka", "memory")
  std::string source_name;     // topic or table
  std::vector<int64_t> up_to;  // per partition; empty = the log's end offsets at start
  int64_t now_unix_ms = 0;
};

// Writes every record below the end offsets to `out`. Refuses records the adapter could not
// decode (an archive holds exact copies only). Errors: kInvalidArgument (bad up_to, an
// undecodable record), the log's read errors, kUnavailable (writing failed).
core::Result<ArchiveCounts> ExportLog(EventLog& log, const ExportOptions& options,
                                      std::ostream& out);

// Reads the whole archive and checks it (frames, checksums, order, trailer) without writing
// anything. Errors: kInvalidArgument naming the byte offset.
core::Result<ArchiveHeader> VerifyArchive(std::istream& in, ArchiveCounts& counts);

// How far an import got: the next offset of each partition that was written to the log.
struct ImportProgress {
  std::vector<int64_t> written;  // per partition: records appended and found where archived
  int64_t records = 0;
  bool appending = false;  // the log was found empty and appends began: it may hold a part
};

// Appends the archive's records to `log`, which must be empty and have the header's partition
// count. Records of one stream that follow each other in a partition go in one batch whose
// expected_version is the first record's stream_version - 1, so the log's own version check
// re-verifies every stream; the positions the log returns must equal the archived ones.
// Batches are appended on up to 8 threads, all of one partition on the same thread, in order.
// `progress` says what was written when an error stops the import.
// Errors: kFailedPrecondition (log not empty, partition count differs, a position came out
// different), kInvalidArgument (corrupt archive), the log's append errors.
core::Result<ArchiveCounts> ImportLog(EventLog& log, std::istream& in, ImportProgress& progress);

}  // namespace filament::events
