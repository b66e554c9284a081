#include "projections/messages/messages_projection.hpp"

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/decode_record.hpp"

namespace filament::projections {

core::Status MessagesProjection::Apply(pqxx::dbtransaction& /*tx*/,
                                       const events::StoredRecord& record) {
  if (record.record.meta.type != events::MessagePosted::kType) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  pending_.push_back(render::ViewOf(std::get<events::MessagePosted>(*event)));
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
           tx.quote(m.markdown_tokens_json) + ",'[]'," + std::to_string(m.created_at_unix) + ")";
  }
  pending_.clear();  // written or rolled back with the transaction either way
  tx.exec(sql);
  return core::OkStatus();
}

core::Result<std::vector<render::MessageView>> MessagesQueries::History(
    const std::string& channel_id, int limit, const std::string& before) {
  using Out = core::Result<std::vector<render::MessageView>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT message_id, guild_id, channel_id, author_id, content, markdown_tokens, "
        "created_at_unix FROM messages WHERE channel_id = $1 AND ($2 = '' OR message_id < $2) "
        "ORDER BY message_id DESC LIMIT $3",
        channel_id, before, limit);
    std::vector<render::MessageView> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      render::MessageView m;
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
