#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"
#include "gateway/bridge/log_bridge.hpp"

// Payload builders of the workspace governance gateway events (guild scope: settings, members,
// roles, overrides). Keys follow docs/GATEWAY_EVENTS.md.
namespace filament::gateway {

// nullopt when `gateway_type` is not a governance event.
std::optional<core::Result<GatewayMessage>> BuildGovernancePayload(std::string_view gateway_type,
                                                                   const events::Event& event,
                                                                   const events::RecordMeta& meta);

std::vector<std::string_view> GovernanceGatewayTypes();

}  // namespace filament::gateway
