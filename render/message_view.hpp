#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/generated/event_types.hpp"

namespace filament::render {

// The contract's Attachment object (REST_API.md §4.12).
struct AttachmentView {
  std::string attachment_id;
  std::string guild_id;
  std::string channel_id;
  std::string owner_id;
  std::string filename;
  std::string mime_type;
  uint64_t size_bytes = 0;
  std::string sha256_hex;
};

// One Reaction entry (REST_API.md §4.14): users in reactor order, at most 32 rendered.
struct ReactionView {
  std::string emoji;
  uint64_t count = 0;
  bool reacted_by_me = false;
  std::vector<std::string> reactor_user_ids;  // sorted; omitted from JSON when empty
};

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

// Derives the view of a freshly posted message (tokenizes its content; attachments from the
// upload facts the event carries).
MessageView ViewOf(const events::MessagePosted& posted);
// The attachments a MessagePosted binds, in its order.
std::vector<AttachmentView> AttachmentsOf(const events::MessagePosted& posted);
AttachmentView ViewOf(const events::AttachmentUploaded& uploaded);

// The contract's Message object (REST_API.md §4.11), keys in contract order.
std::string MessageJson(const MessageView& message);
std::string AttachmentJson(const AttachmentView& attachment);
std::string AttachmentsJson(const std::vector<AttachmentView>& attachments);
std::string ReactionJson(const ReactionView& reaction);
std::string ReactionsJson(const std::vector<ReactionView>& reactions);
// Markdown tokens of `content` as a JSON array (the contract's token list).
std::string MarkdownTokensJson(const std::string& content);
// The gateway's message_update payload for an edit.
std::string MessageUpdateJson(const events::MessageEdited& edited);

}  // namespace filament::render
