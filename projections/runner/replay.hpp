#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"
#include "projections/projection.hpp"

namespace filament::projections {

struct ReplayOptions {
  std::string conninfo;           // the read-model database
  std::vector<std::string> only;  // projection names to rebuild; empty = every projection
  size_t batch_size = 5000;       // records per transaction (and per read-ahead chunk)
  // Decoder threads preparing records ahead of the writer (ADR 0074); 0 = one per core, <= 4.
  int decoders = 0;
  // Replay "as of" these end offsets (index = partition; records below them are applied).
  // Unset = the log's EndOffsets() when the replay starts.
  std::optional<std::vector<int64_t>> until;
  std::chrono::milliseconds progress_interval{1000};  // at most one progress line per interval
};

// Rebuilds the chosen projections from the log, one after the other: empties their Tables()
// and resets their checkpoints (one transaction), then re-applies every record from offset 0
// up to the end offsets, in batches that advance the checkpoint as `project` does. So an
// interrupted replay resumes where it stopped when `project` (or Replay with the same `until`)
// runs again, and a running `project` of the same projection stays correct (the checkpoint
// compare-and-set makes every batch take effect once), though stopping it first is faster.
// Writes progress lines to `out`, e.g.
//   replay messages: 120000/500000 records (24.0%), 35210 events/s
//   replay messages: done, 500000 records in 14.2 s (35211 events/s)
// Operator skips (projection_skips) are honoured.
// Transient log / database errors are reported on `out` and retried with backoff (as the
// runner does), so an unreachable database makes Replay wait, not fail.
// Errors: kInvalidArgument (unknown name in `only`; or a record a projection cannot apply:
// the message names its position and type, and the rebuild stops there; add a skip with
// AddSkip and run again), kUnavailable (EndOffsets or the first connection failed).
core::Status Replay(events::EventLog& log, const std::vector<Projection*>& projections,
                    const ReplayOptions& options, std::ostream& out);

struct TableCheck {
  std::string projection;
  std::string table;
  int64_t live_rows = 0;
  int64_t rebuilt_rows = 0;
  bool equal = false;
  std::vector<std::string> live_only;     // a few rows (as row text) only in the live table
  std::vector<std::string> rebuilt_only;  // a few rows only in the rebuilt table
};

struct ReplayCheckReport {
  std::vector<TableCheck> tables;
  bool identical = true;
  int ExitCode() const { return identical ? 0 : 1; }
};

// `replay --check`: proves that the live read models equal a fresh rebuild from the log,
// without touching them. It
//  1. creates schema filament_replay_check with an empty copy of each table
//     (CREATE TABLE ... (LIKE public.t INCLUDING ALL)) and of projection_checkpoints;
//  2. in ONE repeatable-read transaction, reads the live checkpoints of the chosen projections
//     and snapshots their live tables into schema filament_replay_check_live, so the live side
//     is a consistent cut even while `project` keeps running;
//  3. replays each projection into the scratch schema (search_path = scratch, public) up to
//     exactly its live checkpoint: the rebuilt tables then reflect the same records as the live
//     ones, so any difference is a projection bug (non-determinism, a lost or doubled record,
//     a hand edit), not lag;
//  4. compares every table: row count and md5 of all rows in text form, sorted; on a
//     difference lists up to 5 rows on each side (EXCEPT ALL);
//  5. prints "table  live_rows  rebuilt_rows  OK|DIFF" per table and drops both schemas.
// Projections must be deterministic functions of the records (use record time, not now(); no
// sequences) for the check to hold. `options.until` is ignored (the live checkpoints rule).
// Run one check at a time per database (the scratch schema names are fixed).
// Errors: as Replay; the report (not an error) carries differences.
core::Result<ReplayCheckReport> ReplayCheck(events::EventLog& log,
                                            const std::vector<Projection*>& projections,
                                            const ReplayOptions& options, std::ostream& out);

}  // namespace filament::projections
