#pragma once

#include <pqxx/pqxx>

#include "events/generated/event_types.hpp"

namespace filament::projections {

// Applies a workspace governance event (settings, members, moderation, roles, overrides) to the
// guild read models; false when `event` is not one of them.
bool ApplyGovernanceEvent(pqxx::dbtransaction& tx, const events::Event& event);

}  // namespace filament::projections
