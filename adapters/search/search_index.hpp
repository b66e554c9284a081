#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/search/query_syntax.hpp"
#include "core/result.hpp"

namespace filament::search {

// What the index knows of one message.
struct MessageDoc {
  std::string message_id;
  std::string guild_id;
  std::string channel_id;
  std::string content;  // may be empty (attachment-only messages are indexed, with no words)
};

struct SearchRequest {
  std::string guild_id;
  std::string channel_id;  // empty = the whole guild
  std::string query;       // as the client sent it; validated (again) against `limits`
  size_t limit = 20;
  // The query's time budget, counted from when the reader sees the latest commit. When it runs
  // out before the match ends the query fails (kInvalidArgument, reason kReasonQueryTimeout):
  // the contract answers a query exceeding 200 ms with 400. A match that ended is answered.
  std::chrono::milliseconds budget{200};
  QueryLimits limits;
};

// A summary of an index's documents and their terms: equal digests mean the same documents
// (by message id) with the same terms, positions and stored fields. Independent of Xapian's
// internal document numbers, so a live index and a fresh rebuild compare equal.
struct IndexDigest {
  std::vector<int64_t> position;  // the committed position of the state digested
  uint64_t documents = 0;
  uint64_t hash = 0;
  bool operator==(const IndexDigest&) const = default;
};

// One Xapian (glass) database in a directory: the search projection's store. Words are
// lower-cased, not stemmed; CJK text is indexed as n-grams (docs/adr/0016-search-index.md).
//
// The log position the index reflects is kept in the index's own metadata and written by the
// same commit as the documents, so after a crash the index and its position always agree.
//
// Thread safety: the write methods (Upsert, ReplaceContent, Remove, Commit, Discard) must be
// called from one thread at a time. Query, Position, GuildMessageIds, DocumentCount, Digest and
// DiffDocuments are thread-safe, may run concurrently with writes, and see only committed
// state (each query leases its own read handle, reopened after every commit).
class SearchIndex {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens the index in `dir`, creating it when kReadWrite and absent. Only one process may
  // open a directory kReadWrite at a time; kReadOnly can run beside a writer.
  // `fsync` (kReadWrite): each Commit waits until the data is on disk (an fsync per table and
  // for the version file: ~20-30 ms on this machine's disk). Without it a commit survives a
  // process crash (kill -9) but an OS crash or power loss may lose recent commits or corrupt
  // the index (then rebuilt from the log); commits take 0.5-4 ms.
  // Errors: kFailedPrecondition (an index of another format version: rebuild it; reason
  // "search_index_format"), kUnavailable (locked by another writer), kNotFound (kReadOnly and
  // no index), kInternal (corrupt or unreadable).
  static core::Result<std::unique_ptr<SearchIndex>> Open(const std::string& dir, Mode mode,
                                                         bool fsync = true);

  ~SearchIndex();
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  const std::string& Dir() const;

  // Adds the message's document, or replaces it (same message id). Idempotent.
  // Not visible to readers, nor durable, until Commit. Errors: kFailedPrecondition (read-only),
  // kInternal.
  core::Status Upsert(const MessageDoc& doc);
  // Replaces the content of an indexed message, keeping its guild, channel and time.
  // Returns false (and changes nothing) when the message is not in the index. Idempotent.
  core::Result<bool> ReplaceContent(std::string_view message_id, std::string_view content);
  // Removes the message's document; false when there was none. Idempotent.
  core::Result<bool> Remove(std::string_view message_id);

  // Durably commits every change since the last Commit together with `next_offsets` (the next
  // log offset to apply, per partition), atomically: after a crash the index holds either all
  // of it or none of it. Errors: kFailedPrecondition (read-only), kInternal (disk).
  core::Status Commit(const std::vector<int64_t>& next_offsets);
  // Drops every change since the last Commit.
  void Discard();

  // For an index opened with fsync = false (a rebuild, which is not live until it is complete):
  // makes every commit so far durable (fsyncs the index's files, then its directory) and every
  // later Commit fsynced, as if opened with fsync = true. Call between commits (changes not
  // yet committed are dropped). A no-op on an index opened with fsync. Errors:
  // kFailedPrecondition (read-only), kUnavailable (the directory was locked meanwhile),
  // kInternal (disk).
  core::Status StartSyncing();

  // The next_offsets of the last Commit (kReadOnly: as of Open); empty for a new index.
  std::vector<int64_t> Position() const;

  // Runs a query scoped to a guild (and a channel), best match first, at most `limit` ids.
  // A query whose words the index does not know (or only excludes) returns no ids.
  // Errors: kInvalidArgument with reason kReasonInvalidQuery (validation or syntax) or
  // kReasonQueryTimeout (budget exceeded); kInternal (index unreadable).
  core::Result<std::vector<std::string>> Query(const SearchRequest& request) const;

  // Ids of the guild's indexed messages in ascending order, at most `max`.
  core::Result<std::vector<std::string>> GuildMessageIds(std::string_view guild_id,
                                                         size_t max) const;
  core::Result<uint64_t> DocumentCount() const;

  // See IndexDigest; position and documents come from one committed state. Reads every
  // document: an operator tool, not for request paths.
  core::Result<IndexDigest> Digest() const;
  // Message ids whose documents differ between the two indexes (present in one only, or with
  // other terms or fields), ascending, at most `max`.
  core::Result<std::vector<std::string>> DiffDocuments(const SearchIndex& other, size_t max) const;

  struct Impl;

 private:
  explicit SearchIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Removes an index directory and everything in it (no error when absent).
core::Status RemoveIndexDir(const std::string& dir);

}  // namespace filament::search
