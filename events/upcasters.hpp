#pragma once

// Hand-written upcasters: each turns a stored payload of an old schema version into the next
// version's payload, so that replaying an old log still decodes (DESIGN.md section 3).
//
// The generated DecodeEvent (events/generated/event_types.hpp) calls them in a chain, from the
// record's schema_version up to the current one, for every event listed with
// `upcasters: [{from_version: N, function: UpcastXxxVN}]` in schema/events.yaml.
//
// Contract of every upcaster:
//   core::Result<std::string> UpcastXxxVN(std::string_view payload_json);
//   - input: a version-N payload exactly as stored (not yet validated: it may be any bytes);
//   - output: the version-N+1 payload as JSON; the generated decoder validates it afterwards;
//   - pure and thread-safe; never throws;
//   - errors: kInvalidArgument when the input cannot be upcast (not JSON, not an object).
//
// No event has a version above 1 yet, so nothing is declared here. Add declarations in
// namespace filament::events and definitions in events/upcasters.cpp; a worked example lives in
// tools/eventgen/testdata/upcasters.{hpp,cpp}.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace filament::events {}  // namespace filament::events
