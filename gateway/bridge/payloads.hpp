#pragma once

#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"
#include "gateway/bridge/log_bridge.hpp"
#include "gateway/bridge/observers.hpp"

namespace filament::gateway {

// Builds the gateway event `gateway_type` (one of the routes of `event`'s type) from a decoded
// domain event and its record metadata (actor_user_id comes from there): one message, or for
// user-scoped events one per recipient (`observers` names a profile's audience). Payload keys
// follow the manifest (docs/GATEWAY_EVENTS.md). Errors: kInternal for a route with no builder.
core::Result<std::vector<GatewayMessage>> BuildPayload(std::string_view gateway_type,
                                                       const events::Event& event,
                                                       const events::RecordMeta& meta,
                                                       const ObserverIndex& observers);

// The gateway types BuildPayload knows, for the test that checks every active route has one.
std::vector<std::string_view> BuiltGatewayTypes();

}  // namespace filament::gateway
