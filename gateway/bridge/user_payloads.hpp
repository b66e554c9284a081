#pragma once

#include <string>
#include <vector>

#include "events/generated/event_types.hpp"
#include "events/log_record.hpp"
#include "gateway/bridge/log_bridge.hpp"
#include "gateway/bridge/observers.hpp"

// Builders of the user-scoped gateway events (GATEWAY.md §6.4), one GatewayMessage per
// recipient: profile events go to the user and its observers; friend events to both parties,
// `friend_request_update` and `friend_remove` each written from the receiving party's view.
namespace filament::gateway {

std::vector<GatewayMessage> ProfileUpdate(const events::ProfileUpdated& e,
                                          const ObserverIndex& observers);
std::vector<GatewayMessage> ProfileImageUpdate(const std::string& user_id, bool avatar,
                                               int64_t version, int64_t updated_at_unix,
                                               const ObserverIndex& observers);
std::vector<GatewayMessage> FriendRequestCreate(const events::FriendRequestSent& e);
std::vector<GatewayMessage> FriendRequestUpdate(const events::FriendRequestAccepted& e,
                                                const events::RecordMeta& meta);
std::vector<GatewayMessage> FriendRequestDelete(const events::FriendRequestDeleted& e,
                                                const events::RecordMeta& meta);
std::vector<GatewayMessage> FriendRemove(const events::FriendshipRemoved& e,
                                         const events::RecordMeta& meta);

}  // namespace filament::gateway
