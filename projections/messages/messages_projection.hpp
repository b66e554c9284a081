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

// Folds MessagePosted into `messages` (migration 0006), storing the markdown tokens derived
// at apply time so history reads need no tokenizing. Rows are buffered by Apply and written by
// Flush in one multi-row INSERT per batch (docs/performance.md §2).
class MessagesProjection final : public Projection {
 public:
  std::string_view Name() const override { return "messages"; }
  std::vector<std::string> Tables() const override { return {"messages"}; }
  core::Status Apply(pqxx::dbtransaction& tx, const events::StoredRecord& record) override;
  core::Status Flush(pqxx::dbtransaction& tx) override;
  void Discard() override { pending_.clear(); }

 private:
  std::vector<render::MessageView> pending_;  // owned by the runner thread applying this projection
};

// Reads of channel history. Thread-safe. Errors: kUnavailable, kInternal.
class MessagesQueries {
 public:
  explicit MessagesQueries(pgstore::ConnectionPool& pool) : pool_(pool) {}

  // Newest first; `before` (exclusive, canonical ULID) or empty for the newest page.
  core::Result<std::vector<render::MessageView>> History(const std::string& channel_id, int limit,
                                                         const std::string& before);

 private:
  pgstore::ConnectionPool& pool_;
};

}  // namespace filament::projections
