#pragma once

// Internal to adapters/search (never included outside it): the Xapian side of SearchIndex.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "adapters/search/search_index.hpp"

namespace filament::search {

// Term prefixes (Xapian convention: capital letters) and metadata keys.
inline constexpr char kIdPrefix[] = "Q";
inline constexpr char kGuildPrefix[] = "G";
inline constexpr char kChannelPrefix[] = "C";
inline constexpr char kFormatKey[] = "filament.format";
inline constexpr char kPositionKey[] = "filament.position";
// Bump when the document layout or the analyzer changes: older indexes are then rebuilt.
// 2: document data is the message id alone, a ULID in 17 bytes (ADR 0045).
inline constexpr char kFormatVersion[] = "2";
// The first byte of a document's data: a 16-byte ULID follows, or the id as text.
inline constexpr char kUlidData = 'U';
inline constexpr char kTextData = 'T';

// The analyzer, shared by indexing and query parsing so both see the same words.
void ConfigureTermGenerator(Xapian::TermGenerator& generator);

// A document's data: its message id (guild and channel are its G and C terms), and back.
std::string EncodeDocData(std::string_view message_id);
std::optional<std::string> DecodeDocData(std::string_view data);

// Read handles for queries, one per concurrent caller, reopened after each commit.
class ReaderPool {
 public:
  // `always_reopen`: look for a newer commit before every use (for read-only indexes, whose
  // commits come from another process and so never Invalidate).
  ReaderPool(std::string dir, bool always_reopen)
      : dir_(std::move(dir)), always_reopen_(always_reopen) {}

  // Runs `fn` on a handle that sees the latest commit, retrying (after reopen) when Xapian
  // reports the revision was overwritten under it. Xapian errors become kInternal.
  core::Status With(const std::function<core::Status(Xapian::Database&)>& fn);
  // Called by the writer after each commit.
  void Invalidate() { generation_.fetch_add(1); }

 private:
  struct Handle {
    std::unique_ptr<Xapian::Database> db;
    uint64_t generation = 0;
  };
  Handle Acquire();
  void Release(Handle handle);

  std::string dir_;
  bool always_reopen_ = false;
  std::atomic<uint64_t> generation_{1};
  std::mutex mu_;
  std::vector<Handle> free_;
};

struct SearchIndex::Impl {
  std::string dir;
  Mode mode = Mode::kReadOnly;
  std::unique_ptr<Xapian::WritableDatabase> writer;  // null when read-only
  bool in_transaction = false;
  bool fsync = true;  // each commit fsyncs (false: Xapian's DB_NO_SYNC until StartSyncing)
  Xapian::TermGenerator generator;
  mutable std::mutex position_mu;
  std::vector<int64_t> position;
  mutable ReaderPool readers;

  Impl(std::string d, Mode m) : dir(d), mode(m), readers(std::move(d), m == Mode::kReadOnly) {}
};

// Runs a validated query against `db`. Errors as SearchIndex::Query.
core::Result<std::vector<std::string>> RunQuery(Xapian::Database& db, const SearchRequest& request,
                                                std::chrono::steady_clock::time_point deadline);

// Per message id, a 64-bit fingerprint of its document (data, terms, wdf, positions), in
// ascending id order.
using Fingerprints = std::vector<std::pair<std::string, uint64_t>>;
core::Result<Fingerprints> FingerprintAll(ReaderPool& readers,
                                          std::vector<int64_t>* position = nullptr);

std::string EncodePosition(const std::vector<int64_t>& next_offsets);
std::optional<std::vector<int64_t>> DecodePosition(const std::string& text);

}  // namespace filament::search
