#pragma once

// How each domain event changes the search index: one small function per event type, found by
// the record's wire type. To index a new event, add its function to the table in
// search_appliers.cpp; every other type is passed over without being decoded.

#include "adapters/search/search_index.hpp"
#include "core/result.hpp"
#include "events/log_record.hpp"

namespace filament::projections {

// True when `type` (RecordMeta::type) can change the index.
bool SearchHandles(std::string_view type);

// Applies one record to `index` (uncommitted). Types SearchHandles rejects are ignored.
// Idempotent: applying a record twice leaves the index as applying it once, so a batch that is
// re-applied after a crash converges to the same index.
// Errors: kInvalidArgument (the record cannot be decoded; names its position and type),
// kInternal (index write failed).
core::Status ApplyToSearchIndex(search::SearchIndex& index, const events::StoredRecord& record);

}  // namespace filament::projections
