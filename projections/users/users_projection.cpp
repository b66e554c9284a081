#include "projections/users/users_projection.hpp"

#include <nlohmann/json.hpp>

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/decode_record.hpp"

namespace filament::projections {

core::Status UsersProjection::Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) {
  if (record.record.meta.stream.rfind("user:", 0) != 0) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  if (const auto* e = std::get_if<events::UserRegistered>(&*event)) {
    tx.exec_params("INSERT INTO users (user_id, username, registered_at_unix) VALUES ($1, $2, $3)",
                   e->user_id, e->username, e->registered_at_unix);
  }
  return core::OkStatus();
}

std::string ProfileJson(const Profile& p) {
  nlohmann::ordered_json out;
  out["user_id"] = p.user_id;
  out["username"] = p.username;
  out["about_markdown"] = p.about_markdown;
  out["about_markdown_tokens"] =
      nlohmann::json::parse(p.about_markdown_tokens_json, nullptr, false);
  out["avatar_version"] = p.avatar_version;
  out["banner_version"] = p.banner_version;
  return out.dump();
}

core::Result<std::optional<Profile>> UsersQueries::FindById(const std::string& user_id) {
  using Out = core::Result<std::optional<Profile>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT user_id, username, about_markdown, about_markdown_tokens, avatar_version, "
        "banner_version FROM users WHERE user_id = $1",
        user_id);
    if (rows.empty()) return std::optional<Profile>{};
    const auto& r = rows[0];
    return std::optional<Profile>{Profile{r[0].as<std::string>(), r[1].as<std::string>(),
                                          r[2].as<std::string>(), r[3].as<std::string>(),
                                          r[4].as<int64_t>(), r[5].as<int64_t>()}};
  });
}

core::Result<std::vector<Profile>> UsersQueries::FindMany(
    const std::vector<std::string>& user_ids) {
  using Out = core::Result<std::vector<Profile>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    std::string array = "{";
    for (size_t i = 0; i < user_ids.size(); ++i) {
      array += (i == 0 ? "" : ",") + user_ids[i];  // canonical ULIDs: no quoting needed
    }
    array += "}";
    auto rows = tx.exec_params(
        "SELECT u.user_id, u.username, u.about_markdown, u.about_markdown_tokens, "
        "u.avatar_version, u.banner_version FROM unnest($1::text[]) WITH ORDINALITY AS q(id, n) "
        "JOIN users u ON u.user_id = q.id ORDER BY q.n",
        array);
    std::vector<Profile> out;
    for (const auto& r : rows) {
      out.push_back(Profile{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                            r[3].as<std::string>(), r[4].as<int64_t>(), r[5].as<int64_t>()});
    }
    return out;
  });
}

}  // namespace filament::projections
