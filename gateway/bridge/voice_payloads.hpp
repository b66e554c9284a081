#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "events/generated/event_types.hpp"
#include "gateway/bridge/log_bridge.hpp"

// Payload builders of the channel-scoped voice events (GATEWAY.md §6.2): the voice stream's
// events go to the subscribers of their channel. Keys follow docs/GATEWAY_EVENTS.md.
namespace filament::gateway {

// nullopt when `gateway_type` is not a voice event.
std::optional<core::Result<GatewayMessage>> BuildVoicePayload(std::string_view gateway_type,
                                                              const events::Event& event);

std::vector<std::string_view> VoiceGatewayTypes();

}  // namespace filament::gateway
