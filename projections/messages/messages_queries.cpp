#include <map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/messages/messages_projection.hpp"

namespace filament::projections {
namespace {

constexpr size_t kMaxReactorIds = 32;

// '{"A","B",...}' for `= ANY($1::text[])`.
std::string TextArray(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string quoted;
    for (char c : ids[i]) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    out += (i == 0 ? "\"" : ",\"") + quoted + "\"";
  }
  return out + "}";
}

std::string TextArray(const std::vector<render::MessageView>& messages) {
  std::vector<std::string> ids;
  for (const auto& m : messages) ids.push_back(m.message_id);
  return TextArray(ids);
}

render::AttachmentView AttachmentOf(const pqxx::row& r) {
  return render::AttachmentView{r[0].as<std::string>(), r[1].as<std::string>(),
                                r[2].as<std::string>(), r[3].as<std::string>(),
                                r[4].as<std::string>(), r[5].as<std::string>(),
                                r[6].as<uint64_t>(),    r[7].as<std::string>()};
}

constexpr const char* kAttachmentColumns =
    "attachment_id, guild_id, channel_id, owner_id, filename, mime_type, size_bytes, "
    "sha256_hex";

// Fills attachments_json and reactions_json of `messages` (two statements for the whole page).
void Decorate(pqxx::connection& c, std::vector<render::MessageView>& messages,
              const std::string& viewer_id) {
  if (messages.empty()) return;
  std::string ids = TextArray(messages);
  std::map<std::string, std::vector<render::AttachmentView>> attachments;
  for (const auto& r :
       pgstore::ExecPrepared(c, "filament_messages_attachments_of",
                             std::string("SELECT ") + kAttachmentColumns +
                                 ", message_id FROM attachments WHERE message_id "
                                 "= ANY($1::text[]) ORDER BY message_id, bind_index",
                             ids)) {
    attachments[r[8].as<std::string>()].push_back(AttachmentOf(r));
  }
  std::map<std::string, std::vector<render::ReactionView>> reactions;
  for (const auto& r :
       pgstore::ExecPrepared(c, "filament_messages_reactions_of",
                             "SELECT message_id, emoji, count(*), bool_or(user_id = $2), "
                             "array_to_json((array_agg(user_id ORDER BY user_id))[1:$3])::text "
                             "FROM message_reactions WHERE message_id = ANY($1::text[]) "
                             "GROUP BY message_id, emoji ORDER BY message_id, emoji COLLATE \"C\"",
                             ids, viewer_id, static_cast<int>(kMaxReactorIds))) {
    render::ReactionView view{r[1].as<std::string>(), r[2].as<uint64_t>(), r[3].as<bool>(), {}};
    view.reactor_user_ids =
        nlohmann::json::parse(r[4].as<std::string>()).get<std::vector<std::string>>();
    reactions[r[0].as<std::string>()].push_back(std::move(view));
  }
  for (auto& m : messages) {
    m.attachments_json = render::AttachmentsJson(attachments[m.message_id]);
    m.reactions_json = render::ReactionsJson(reactions[m.message_id]);
  }
}

std::vector<render::MessageView> MessagesOf(const pqxx::result& rows) {
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
}

constexpr const char* kMessageColumns =
    "SELECT message_id, guild_id, channel_id, author_id, content, markdown_tokens, "
    "created_at_unix FROM messages ";

}  // namespace

core::Result<std::vector<render::MessageView>> MessagesQueries::History(
    const std::string& channel_id, int limit, const std::string& before,
    const std::string& viewer_id) {
  using Out = core::Result<std::vector<render::MessageView>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    // The first page runs prepared. An older page is planned for its own cursor: a cached
    // generic plan of "message_id < $2 ORDER BY message_id DESC" may walk the primary key
    // backwards and filter by channel, which reads most of the table for a small channel
    // beside a large one (ADR 0105).
    pqxx::result page;
    if (before.empty()) {
      page = pgstore::ExecPrepared(
          c, "filament_messages_history",
          std::string(kMessageColumns) + "WHERE channel_id = $1 ORDER BY message_id DESC LIMIT $2",
          channel_id, limit);
    } else {
      pqxx::nontransaction tx(c);
      page = tx.exec_params(std::string(kMessageColumns) +
                                "WHERE channel_id = $1 AND message_id < $2 "
                                "ORDER BY message_id DESC LIMIT $3",
                            channel_id, before, limit);
    }
    auto out = MessagesOf(page);
    Decorate(c, out, viewer_id);
    return out;
  });
}

core::Result<std::optional<render::MessageView>> MessagesQueries::Message(
    const std::string& message_id, const std::string& viewer_id) {
  using Out = core::Result<std::optional<render::MessageView>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto out = MessagesOf(
        pgstore::ExecPrepared(c, "filament_messages_by_id",
                              std::string(kMessageColumns) + "WHERE message_id = $1", message_id));
    if (out.empty()) return std::optional<render::MessageView>();
    Decorate(c, out, viewer_id);
    return std::optional<render::MessageView>(std::move(out.front()));
  });
}

core::Result<std::vector<render::MessageView>> MessagesQueries::ByIds(
    const std::vector<std::string>& message_ids) {
  using Out = core::Result<std::vector<render::MessageView>>;
  if (message_ids.empty()) return std::vector<render::MessageView>{};
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto found = MessagesOf(
        pgstore::ExecPrepared(c, "filament_messages_by_ids",
                              std::string(kMessageColumns) + "WHERE message_id = ANY($1::text[])",
                              TextArray(message_ids)));
    Decorate(c, found, "");
    std::map<std::string, render::MessageView*> by_id;
    for (auto& m : found) by_id[m.message_id] = &m;
    std::vector<render::MessageView> out;
    for (const auto& id : message_ids) {
      auto it = by_id.find(id);
      if (it != by_id.end()) out.push_back(*it->second);
    }
    return out;
  });
}

core::Result<std::vector<render::MessageView>> MessagesQueries::GuildMessages(
    const std::string& guild_id, int64_t max) {
  using Out = core::Result<std::vector<render::MessageView>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    return MessagesOf(pgstore::ExecPrepared(
        c, "filament_messages_of_guild",
        std::string(kMessageColumns) + "WHERE guild_id = $1 ORDER BY message_id LIMIT $2", guild_id,
        max));
  });
}

core::Result<std::optional<StoredAttachment>> MessagesQueries::Attachment(
    const std::string& attachment_id) {
  using Out = core::Result<std::optional<StoredAttachment>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto rows = pgstore::ExecPrepared(c, "filament_attachment",
                                      std::string("SELECT ") + kAttachmentColumns +
                                          ", coalesce(message_id, '') FROM attachments "
                                          "WHERE attachment_id = $1",
                                      attachment_id);
    if (rows.empty()) return std::optional<StoredAttachment>();
    return std::optional<StoredAttachment>(
        StoredAttachment{AttachmentOf(rows[0]), rows[0][8].as<std::string>()});
  });
}

}  // namespace filament::projections
