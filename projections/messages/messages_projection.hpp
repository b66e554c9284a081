#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "projections/projection.hpp"
#include "render/message_view.hpp"

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore

namespace filament::projections {

// Folds the message events into `messages` (migration 0006), `message_reactions` and
// `attachments` (0030): posts, edits (content and markdown tokens recomputed), deletes (with
// their reactions and bound attachments), reactions, uploads and attachment deletes. Markdown
// tokens are derived at apply time so history reads need no tokenizing. New messages are
// buffered by Apply and written by Flush in one multi-row INSERT per batch
// (docs/performance.md §2); any other message event flushes them first, keeping log order.
class MessagesProjection final : public Projection {
 public:
  std::string_view Name() const override { return "messages"; }
  std::vector<std::string> Tables() const override {
    return {"messages", "message_reactions", "attachments"};
  }
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;
  core::Status Flush(pqxx::dbtransaction& tx) override;
  void Discard() override { pending_.clear(); }

 private:
  std::vector<render::MessageView> pending_;  // owned by the runner thread applying this projection
};

// A stored attachment and the message it is bound to (empty when unbound).
struct StoredAttachment {
  render::AttachmentView view;
  std::string message_id;
};

// Reads of the messages read model. Thread-safe. Errors: kUnavailable, kInternal.
class MessagesQueries {
 public:
  explicit MessagesQueries(pgstore::ConnectionPool& pool) : pool_(pool) {}

  // Newest first; `before` (exclusive, canonical ULID) or empty for the newest page. Each
  // message carries its attachments and reactions, reacted_by_me computed for `viewer_id`.
  core::Result<std::vector<render::MessageView>> History(const std::string& channel_id, int limit,
                                                         const std::string& before,
                                                         const std::string& viewer_id = "");

  // One message with its attachments and reactions (reacted_by_me for `viewer_id`), or
  // nullopt when it does not exist (or was deleted).
  core::Result<std::optional<render::MessageView>> Message(const std::string& message_id,
                                                           const std::string& viewer_id);

  // The messages named by `message_ids` that exist, in that order, with attachments and
  // reactions (reacted_by_me false: no viewer). For search hydration.
  core::Result<std::vector<render::MessageView>> ByIds(const std::vector<std::string>& message_ids);

  // Up to `max` messages of the guild (ids ascending), content only: for search reconcile.
  core::Result<std::vector<render::MessageView>> GuildMessages(const std::string& guild_id,
                                                               int64_t max);

  // The live attachment `attachment_id`, or nullopt.
  core::Result<std::optional<StoredAttachment>> Attachment(const std::string& attachment_id);

 private:
  pgstore::ConnectionPool& pool_;
};

}  // namespace filament::projections
