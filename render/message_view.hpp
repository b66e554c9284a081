#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/generated/event_types.hpp"

namespace filament::render {

// A message as clients see it. The POST response, the gateway's message_create payload and
// the history GET are all built from this one type by MessageJson, so they are equal by
// construction (contract: the gateway payload equals the POST response).
struct MessageView {
  std::string message_id;
  std::string guild_id;
  std::string channel_id;
  std::string author_id;
  std::string content;
  std::string markdown_tokens_json;  // JSON array
  std::string attachments_json = "[]";
  std::string reactions_json = "[]";
  int64_t created_at_unix = 0;
};

// Derives the view of a freshly posted message (tokenizes its content).
MessageView ViewOf(const events::MessagePosted& posted);

// The contract's Message object (REST_API.md §4.11), keys in contract order.
std::string MessageJson(const MessageView& message);

}  // namespace filament::render
