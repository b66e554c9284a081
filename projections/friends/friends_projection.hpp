#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "projections/projection.hpp"
#include "projections/sql_script.hpp"

namespace filament::pgstore {
class ConnectionPool;
}  // namespace filament::pgstore

namespace filament::projections {

// Folds the friendship streams into `friend_requests` and `friendships` (migration 0011).
class FriendsProjection final : public Projection {
 public:
  std::string_view Name() const override { return "friends"; }
  std::vector<std::string> Tables() const override { return {"friend_requests", "friendships"}; }
  // Streams other than friendship:.
  bool Ignores(const events::RecordMeta& meta) const override;
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;
  core::Status Flush(pqxx::dbtransaction& tx) override;
  void Discard() override { script_.Clear(); }

 private:
  SqlScript script_;  // owned by the runner thread applying this projection
};

struct FriendRow {
  std::string user_id;
  int64_t created_at_unix = 0;
};

struct FriendRequestRow {
  std::string request_id;
  std::string sender_user_id;
  std::string recipient_user_id;
  int64_t created_at_unix = 0;
};

// Reads of the friends read model (ids only; the routes add usernames from the users read
// model). Newest first. Thread-safe. Errors: kUnavailable, kInternal.
class FriendsQueries {
 public:
  explicit FriendsQueries(pgstore::ConnectionPool& pool) : pool_(pool) {}
  core::Result<std::vector<FriendRow>> Friends(const std::string& user_id);
  // Pending requests `user_id` sent or received.
  core::Result<std::vector<FriendRequestRow>> Requests(const std::string& user_id);

 private:
  pgstore::ConnectionPool& pool_;
};

}  // namespace filament::projections
