#include "projections/messages/messages_projection.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/json_text.hpp"
#include "projections/decode_record.hpp"
#include "projections/sql_script.hpp"

namespace filament::projections {
namespace {

bool IsMessageEvent(std::string_view type) {
  return type == events::MessagePosted::kType || type == events::MessageEdited::kType ||
         type == events::MessageDeleted::kType || type == events::MessageReactionChanged::kType ||
         type == events::AttachmentUploaded::kType || type == events::AttachmentDeleted::kType;
}

// Prepare's result: the decoded event, and for a post its row (tokens included), for an edit
// its tokens.
struct PreparedMessage final : Prepared {
  events::Event event;
  render::MessageView row;  // a post's row
  std::string tokens;       // an edit's markdown tokens
};

std::string IdsJson(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (const std::string& id : ids) {
    if (out.size() > 1) out += ',';
    if (!core::AppendJsonString(out, id)) return nlohmann::json(ids).dump();  // throws, as before
  }
  return out + "]";
}

// Decodes and tokenizes one message record; nullptr for other types. Errors: the record cannot
// be decoded.
core::Result<std::unique_ptr<PreparedMessage>> PrepareMessage(const events::StoredRecord& record) {
  if (!IsMessageEvent(record.record.meta.type)) return std::unique_ptr<PreparedMessage>();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  auto out = std::make_unique<PreparedMessage>();
  if (const auto* posted = std::get_if<events::MessagePosted>(&*event)) {
    out->row = render::ViewOf(*posted);
    out->row.attachments_json = IdsJson(posted->attachment_ids);  // the ids column
  } else if (const auto* edited = std::get_if<events::MessageEdited>(&*event)) {
    out->tokens = render::MarkdownTokensJson(edited->content);
  }
  out->event = std::move(*event);
  return out;
}

constexpr size_t kCopyRows = 64;  // from this many new messages on, COPY instead of INSERT

}  // namespace

bool MessagesProjection::Ignores(const events::RecordMeta& meta) const {
  return !IsMessageEvent(meta.type);
}

core::Status MessagesProjection::Apply(pqxx::dbtransaction& tx,
                                       const events::StoredRecord& record) {
  auto prepared = PrepareMessage(record);
  if (!prepared.ok()) return prepared.error();
  if (!*prepared) return core::OkStatus();
  return ApplyPrepared(tx, record, prepared->get());
}

std::unique_ptr<Prepared> MessagesProjection::Prepare(const events::StoredRecord& record) const {
  auto prepared = PrepareMessage(record);
  if (!prepared.ok()) return nullptr;  // Apply reports the error, in log order
  return std::move(*prepared);
}

core::Status MessagesProjection::ApplyPrepared(pqxx::dbtransaction& tx,
                                               const events::StoredRecord& record,
                                               const Prepared* prepared) {
  const auto* message = dynamic_cast<const PreparedMessage*>(prepared);
  if (message == nullptr) return Apply(tx, record);
  if (std::holds_alternative<events::MessagePosted>(message->event)) {
    const auto& posted = std::get<events::MessagePosted>(message->event);
    // A statement already buffered on this id must run before its row exists: flush first.
    if (touched_.count(posted.message_id) != 0) FILAMENT_RETURN_IF_ERROR(Flush(tx));
    pending_.push_back(message->row);
    for (size_t i = 0; i < posted.attachment_ids.size(); ++i) {
      script_.Add(
          tx, "UPDATE attachments SET message_id = $1, bind_index = $2 WHERE attachment_id = $3",
          {posted.message_id, std::to_string(i), posted.attachment_ids[i]});
    }
    return core::OkStatus();
  }
  Script(tx, message->event, message->tokens);
  return core::OkStatus();
}

// Buffers the statements of an edit, delete, reaction or attachment event, in log order.
void MessagesProjection::Script(pqxx::dbtransaction& tx, const events::Event& event,
                                const std::string& tokens) {
  if (const auto* e = std::get_if<events::MessageEdited>(&event)) {
    touched_.insert(e->message_id);
    script_.Add(tx, "UPDATE messages SET content = $1, markdown_tokens = $2 WHERE message_id = $3",
                {e->content, tokens, e->message_id});
  } else if (const auto* e = std::get_if<events::MessageDeleted>(&event)) {
    touched_.insert(e->message_id);
    for (const char* table : {"messages", "message_reactions", "attachments"}) {
      script_.Add(tx, std::string("DELETE FROM ") + table + " WHERE message_id = $1",
                  {e->message_id});
    }
  } else if (const auto* e = std::get_if<events::MessageReactionChanged>(&event)) {
    touched_.insert(e->message_id);
    // Only on a live message: a reaction recorded after a delete in a replay must not linger.
    script_.Add(
        tx,
        e->operation == "add"
            ? "INSERT INTO message_reactions (message_id, emoji, user_id) SELECT $1, $2, $3 "
              "WHERE EXISTS (SELECT 1 FROM messages WHERE message_id = $1) "
              "ON CONFLICT DO NOTHING"
            : "DELETE FROM message_reactions WHERE message_id = $1 AND emoji = $2 AND "
              "user_id = $3",
        {e->message_id, e->emoji, e->user_id});
  } else if (const auto* e = std::get_if<events::AttachmentUploaded>(&event)) {
    script_.Add(
        tx,
        "INSERT INTO attachments (attachment_id, guild_id, channel_id, owner_id, filename, "
        "mime_type, size_bytes, sha256_hex, uploaded_at_unix) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING",
        {e->attachment_id, e->guild_id, e->channel_id, e->owner_id, e->filename, e->mime_type,
         std::to_string(e->size_bytes), e->sha256_hex, std::to_string(e->uploaded_at_unix)});
  } else if (const auto* e = std::get_if<events::AttachmentDeleted>(&event)) {
    script_.Add(tx, "DELETE FROM attachments WHERE attachment_id = $1", {e->attachment_id});
  }
}

void MessagesProjection::WriteNewRows(pqxx::dbtransaction& tx) {
  if (pending_.size() >= kCopyRows) {
    pqxx::stream_to copy(
        tx, "messages",
        std::vector<std::string>{"message_id", "guild_id", "channel_id", "author_id", "content",
                                 "markdown_tokens", "attachment_ids", "created_at_unix"});
    for (const render::MessageView& m : pending_) {
      copy << std::make_tuple(m.message_id, m.guild_id, m.channel_id, m.author_id, m.content,
                              m.markdown_tokens_json, m.attachments_json, m.created_at_unix);
    }
    copy.complete();
    return;
  }
  std::string sql =
      "INSERT INTO messages (message_id, guild_id, channel_id, author_id, content, "
      "markdown_tokens, attachment_ids, created_at_unix) VALUES ";
  for (size_t i = 0; i < pending_.size(); ++i) {
    const render::MessageView& m = pending_[i];
    sql += (i == 0 ? "(" : ",(") + tx.quote(m.message_id) + "," + tx.quote(m.guild_id) + "," +
           tx.quote(m.channel_id) + "," + tx.quote(m.author_id) + "," + tx.quote(m.content) + "," +
           tx.quote(m.markdown_tokens_json) + "," + tx.quote(m.attachments_json) + "," +
           std::to_string(m.created_at_unix) + ")";
  }
  tx.exec(sql);
}

core::Status MessagesProjection::Flush(pqxx::dbtransaction& tx) {
  // Written or rolled back with the transaction either way (Discard runs before any retry).
  if (!pending_.empty()) WriteNewRows(tx);
  pending_.clear();
  touched_.clear();
  script_.Run(tx);
  return core::OkStatus();
}

void MessagesProjection::Discard() {
  pending_.clear();
  script_.Clear();
  touched_.clear();
}

}  // namespace filament::projections
