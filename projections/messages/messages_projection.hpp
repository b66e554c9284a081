#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/result.hpp"
#include "projections/projection.hpp"
#include "projections/sql_script.hpp"
#include "render/message_view.hpp"

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore

namespace filament::projections {

// Folds the message events into `messages` (migration 0006), `message_reactions` and
// `attachments` (0030): posts, edits (content and markdown tokens recomputed), deletes (with
// their reactions and bound attachments), reactions, uploads and attachment deletes. Markdown
// tokens are derived at apply time so history reads need no tokenizing.
// Apply buffers and Flush writes, once per batch (docs/performance.md §2, ADR 0074): new
// messages in one COPY (or one multi-row INSERT for a few), then every other change as one
// script of statements in log order. Writing the new rows first equals log order because the
// other statements touch other messages' rows; a statement on a message posted later in the
// same batch flushes the buffer first. The rebuild pipeline decodes and tokenizes in Prepare,
// on helper threads.
class MessagesProjection final : public Projection {
 public:
  std::string_view Name() const override { return "messages"; }
  std::vector<std::string> Tables() const override {
    return {"messages", "message_reactions", "attachments"};
  }
  // Everything but the message and attachment events.
  bool Ignores(const events::RecordMeta& meta) const override;
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;
  core::Status Flush(pqxx::dbtransaction& tx) override;
  void Discard() override;
  bool Prepares() const override { return true; }
  std::unique_ptr<Prepared> Prepare(const events::StoredRecord& record) const override;
  core::Status ApplyPrepared(pqxx::dbtransaction& tx, const events::StoredRecord& record,
                             const Prepared* prepared) override;

 private:
  core::Status Buffer(pqxx::dbtransaction& tx, const events::Event& event,
                      const std::string& tokens_json);
  void Script(pqxx::dbtransaction& tx, const events::Event& event, const std::string& tokens);
  void WriteNewRows(pqxx::dbtransaction& tx);

  // Owned by the runner thread applying this projection.
  std::vector<render::MessageView> pending_;  // new messages, in log order
  SqlScript script_;                          // other changes, in log order
  std::unordered_set<std::string> touched_;   // message ids the script acts on
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
