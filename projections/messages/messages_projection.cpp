#include "projections/messages/messages_projection.hpp"

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/decode_record.hpp"

namespace filament::projections {

core::Status MessagesProjection::Apply(pqxx::dbtransaction& tx,
                                       const events::StoredRecord& record) {
  if (record.record.meta.type != events::MessagePosted::kType) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  const auto& posted = std::get<events::MessagePosted>(*event);
  MessageView view = ViewOf(posted);
  tx.exec_params(
      "INSERT INTO messages (message_id, guild_id, channel_id, author_id, content, "
      "markdown_tokens, attachment_ids, created_at_unix) VALUES ($1, $2, $3, $4, $5, $6, '[]', $7)",
      view.message_id, view.guild_id, view.channel_id, view.author_id, view.content,
      view.markdown_tokens_json, view.created_at_unix);
  return core::OkStatus();
}

core::Result<std::vector<MessageView>> MessagesQueries::History(const std::string& channel_id,
                                                                int limit,
                                                                const std::string& before) {
  using Out = core::Result<std::vector<MessageView>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT message_id, guild_id, channel_id, author_id, content, markdown_tokens, "
        "created_at_unix FROM messages WHERE channel_id = $1 AND ($2 = '' OR message_id < $2) "
        "ORDER BY message_id DESC LIMIT $3",
        channel_id, before, limit);
    std::vector<MessageView> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      MessageView m;
      m.message_id = r[0].as<std::string>();
      m.guild_id = r[1].as<std::string>();
      m.channel_id = r[2].as<std::string>();
      m.author_id = r[3].as<std::string>();
      m.content = r[4].as<std::string>();
      m.markdown_tokens_json = r[5].as<std::string>();
      m.created_at_unix = r[6].as<int64_t>();
      out.push_back(std::move(m));
    }
    return out;
  });
}

}  // namespace filament::projections
