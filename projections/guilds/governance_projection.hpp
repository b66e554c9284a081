#pragma once

#include <string_view>

#include <pqxx/pqxx>

#include "events/generated/event_types.hpp"

namespace filament::projections {

// Applies a workspace governance event (settings, members, moderation, roles, overrides) to the
// guild read models; false when `event` is not one of them.
bool ApplyGovernanceEvent(pqxx::dbtransaction& tx, const events::Event& event);

// Whether ApplyGovernanceEvent handles events of wire type `type`; `known` is set to whether
// `type` is an event type at all.
bool GovernanceHandles(std::string_view type, bool& known);

}  // namespace filament::projections
