#pragma once

#include "core/result.hpp"
#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"

namespace filament::projections {

// Decodes a stored record into a typed event. The error names the record's position and type,
// as the runner reports it when it stops on a record it cannot apply.
inline core::Result<events::Event> DecodeRecord(const events::StoredRecord& stored) {
  const auto& meta = stored.record.meta;
  auto where = events::FormatPosition(stored.position) + " (" + meta.type + ")";
  if (stored.decode_error) {
    return core::InvalidArgument("record " + where + ": " + stored.decode_error->message);
  }
  auto event = events::DecodeEvent(meta.type, meta.schema_version, stored.record.payload);
  if (!event.ok()) {
    return core::InvalidArgument("record " + where + ": " + event.error().message);
  }
  return event;
}

}  // namespace filament::projections
