#pragma once

// Upcasters of the eventgen test schema (tools/eventgen/testdata/events.yaml): a worked example
// of the contract in events/upcasters.hpp.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace filament::eventgen_testdata {

// note_renamed v1 {board_id, note_id, name} -> v2 {board_id, note_id, title, renamed_at_unix}.
// v1 had no timestamp; 0 stands for "unknown". Errors: kInvalidArgument (not a JSON object).
core::Result<std::string> UpcastNoteRenamedV1(std::string_view payload_json);

}  // namespace filament::eventgen_testdata
