#include "projections/friends/friends_projection.hpp"

#include "adapters/pgstore/connection_pool.hpp"
#include "projections/decode_record.hpp"
#include "projections/sql_script.hpp"

namespace filament::projections {
namespace {

void ApplyAccepted(SqlScript& out, pqxx::dbtransaction& tx,
                   const events::FriendRequestAccepted& e) {
  out.Add(tx, "DELETE FROM friend_requests WHERE request_id = $1", {e.request_id});
  // One row per direction; idempotent like the original's insert.
  out.Add(tx,
          "INSERT INTO friendships (user_id, friend_user_id, created_at_unix) VALUES ($1, $2, $3), "
          "($2, $1, $3) ON CONFLICT DO NOTHING",
          {e.sender_user_id, e.recipient_user_id, std::to_string(e.accepted_at_unix)});
}

}  // namespace

bool FriendsProjection::Ignores(const events::RecordMeta& meta) const {
  return meta.stream.rfind("friendship:", 0) != 0;
}

// Buffers each change as a statement; Flush sends the batch's statements in one round trip.
core::Status FriendsProjection::Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) {
  if (Ignores(record.record.meta)) return core::OkStatus();
  auto event = DecodeRecord(record);
  if (!event.ok()) return event.error();
  if (const auto* sent = std::get_if<events::FriendRequestSent>(&*event)) {
    script_.Add(tx,
                "INSERT INTO friend_requests (request_id, sender_user_id, recipient_user_id, "
                "created_at_unix) VALUES ($1, $2, $3, $4)",
                {sent->request_id, sent->sender_user_id, sent->recipient_user_id,
                 std::to_string(sent->created_at_unix)});
  } else if (const auto* accepted = std::get_if<events::FriendRequestAccepted>(&*event)) {
    ApplyAccepted(script_, tx, *accepted);
  } else if (const auto* deleted = std::get_if<events::FriendRequestDeleted>(&*event)) {
    script_.Add(tx, "DELETE FROM friend_requests WHERE request_id = $1", {deleted->request_id});
  } else if (const auto* removed = std::get_if<events::FriendshipRemoved>(&*event)) {
    script_.Add(tx,
                "DELETE FROM friendships WHERE (user_id = $1 AND friend_user_id = $2) OR "
                "(user_id = $2 AND friend_user_id = $1)",
                {removed->user_id, removed->friend_user_id});
  }
  return core::OkStatus();
}

core::Status FriendsProjection::Flush(pqxx::dbtransaction& tx) {
  script_.Run(tx);
  return core::OkStatus();
}

core::Result<std::vector<FriendRow>> FriendsQueries::Friends(const std::string& user_id) {
  using Out = core::Result<std::vector<FriendRow>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto rows = pgstore::ExecPrepared(
        c, "filament_friends_of",
        "SELECT friend_user_id, created_at_unix FROM friendships WHERE user_id = $1 "
        "ORDER BY created_at_unix DESC, friend_user_id DESC",
        user_id);
    std::vector<FriendRow> out;
    for (const auto& r : rows) out.push_back({r[0].as<std::string>(), r[1].as<int64_t>()});
    return out;
  });
}

core::Result<std::vector<FriendRequestRow>> FriendsQueries::Requests(const std::string& user_id) {
  using Out = core::Result<std::vector<FriendRequestRow>>;
  return pgstore::WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    auto rows = pgstore::ExecPrepared(
        c, "filament_friend_requests_of",
        "SELECT request_id, sender_user_id, recipient_user_id, created_at_unix "
        "FROM friend_requests WHERE sender_user_id = $1 OR recipient_user_id = $1 "
        "ORDER BY created_at_unix DESC, request_id DESC",
        user_id);
    std::vector<FriendRequestRow> out;
    for (const auto& r : rows) {
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                     r[3].as<int64_t>()});
    }
    return out;
  });
}

}  // namespace filament::projections
