#include "projections/messages/messages_projection.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "projections/decode_record.hpp"

namespace filament::projections {
namespace {

bool IsMessageEvent(std::string_view type) {
  return type == events::MessagePosted::kType || type == events::MessageEdited::kType ||
         type == events::MessageDeleted::kType || type == events::MessageReactionChanged::kType ||
         type == events::AttachmentUploaded::kType || type == events::AttachmentDeleted::kType;
}

void BindAttachments(pqxx::dbtransaction& tx, const events::MessagePosted& e) {
  for (size_t i = 0; i < e.attachment_ids.size(); ++i) {
    tx.exec_params(
        "UPDATE attachments SET message_id = $1, bind_index = $2 WHERE attachment_id = $3",
        e.message_id, static_cast<int>(i), e.attachment_ids[i]);
  }
}

void ApplyEdited(pqxx::dbtransaction& tx, const events::MessageEdited& e) {
  tx.exec_params("UPDATE messages SET content = $1, markdown_tokens = $2 WHERE message_id = $3",
                 e.content, render::MarkdownTokensJson(e.content), e.message_id);
}

void ApplyDeleted(pqxx::dbtransaction& tx, const events::MessageDeleted& e) {
  tx.exec_params("DELETE FROM messages WHERE message_id = $1", e.message_id);
  tx.exec_params("DELETE FROM message_reactions WHERE message_id = $1", e.message_id);
  tx.exec_params("DELETE FROM attachments WHERE message_id = $1", e.message_id);
}

void ApplyReaction(pqxx::dbtransaction& tx, const events::MessageReactionChanged& e) {
  if (e.operation == "add") {
    // Only on a live message: a reaction recorded after a delete in a replay must not linger.
    tx.exec_params(
        "INSERT INTO message_reactions (message_id, emoji, user_id) SELECT $1, $2, $3 "
        "WHERE EXISTS (SELECT 1 FROM messages WHERE message_id = $1) ON CONFLICT DO NOTHING",
        e.message_id, e.emoji, e.user_id);
  } else {
    tx.exec_params(
        "DELETE FROM message_reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3",
        e.message_id, e.emoji, e.user_id);
  }
}

void ApplyUploaded(pqxx::dbtransaction& tx, const events::AttachmentUploaded& e) {
  tx.exec_params(
      "INSERT INTO attachments (attachment_id, guild_id, channel_id, owner_id, filename, "
      "mime_type, size_bytes, sha256_hex, uploaded_at_unix) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) "
      "ON CONFLICT DO NOTHING",
      e.attachment_id, e.guild_id, e.channel_id, e.owner_id, e.filename, e.mime_type, e.size_bytes,
      e.sha256_hex, e.uploaded_at_unix);
}

std::string IdsJson(const std::vector<std::string>& ids) { return nlohmann::json(ids).dump(); }

}  // namespace

core::Status MessagesProjection::Apply(pqxx::dbtransaction& tx,
                                       const events::StoredRecord& record) {
  if (!IsMessageEvent(record.record.meta.type)) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  if (const auto* posted = std::get_if<events::MessagePosted>(&*event)) {
    pending_.push_back(render::ViewOf(*posted));
    pending_.back().attachments_json = IdsJson(posted->attachment_ids);  // the ids column
    BindAttachments(tx, *posted);
    return core::OkStatus();
  }
  FILAMENT_RETURN_IF_ERROR(Flush(tx));  // the events below act on rows buffered so far
  if (const auto* e = std::get_if<events::MessageEdited>(&*event)) {
    ApplyEdited(tx, *e);
  } else if (const auto* e = std::get_if<events::MessageDeleted>(&*event)) {
    ApplyDeleted(tx, *e);
  } else if (const auto* e = std::get_if<events::MessageReactionChanged>(&*event)) {
    ApplyReaction(tx, *e);
  } else if (const auto* e = std::get_if<events::AttachmentUploaded>(&*event)) {
    ApplyUploaded(tx, *e);
  } else if (const auto* e = std::get_if<events::AttachmentDeleted>(&*event)) {
    tx.exec_params("DELETE FROM attachments WHERE attachment_id = $1", e->attachment_id);
  }
  return core::OkStatus();
}

core::Status MessagesProjection::Flush(pqxx::dbtransaction& tx) {
  if (pending_.empty()) return core::OkStatus();
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
  pending_.clear();  // written or rolled back with the transaction either way
  tx.exec(sql);
  return core::OkStatus();
}

}  // namespace filament::projections
