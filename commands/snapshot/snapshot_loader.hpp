#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "commands/snapshot/command_fold.hpp"
#include "commands/snapshot/snapshot_store.hpp"
#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::commands::snapshot {

using LogLine = std::function<void(const std::string&)>;

// The newest stored snapshot that decodes and belongs to `log`: its position is not beyond
// `log_ends` and, in every partition, the record just before it carries the event id the
// snapshot recorded. Anything else — a store error, a corrupt or old-format snapshot, one of
// another log — is logged with `line` and the next older one is tried; with none left the
// result is an empty fold (the log is folded from 0). Never fails. `store` may be null.
std::unique_ptr<CommandFold> LoadNewestSnapshot(SnapshotStore* store, events::EventLog& log,
                                                const std::vector<int64_t>& log_ends,
                                                const LogLine& line);

// Folds the records of [fold.ends, ends) into `fold`. Errors: as CommandFold::Fold, and the
// log's read errors.
core::Status FoldTail(events::EventLog& log, CommandFold& fold, const std::vector<int64_t>& ends);

}  // namespace filament::commands::snapshot
