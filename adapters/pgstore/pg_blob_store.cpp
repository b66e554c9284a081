#include "adapters/pgstore/pg_blob_store.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include "adapters/crypto/sha256.hpp"
#include "adapters/pgstore/connection_pool.hpp"

namespace filament::pgstore {
namespace {

constexpr size_t kMinChunkBytes = 4 * 1024;
constexpr size_t kMaxChunkBytes = 16 * 1024 * 1024;
constexpr int kPublishAttempts = 3;

core::Error Mismatch() {
  return core::Internal("blob source does not match the expected size and sha256");
}

// Reads from `source` until `buffer` is full or the source ends; returns the bytes read.
core::Result<size_t> Fill(core::ByteSource& source, std::string& buffer) {
  size_t filled = 0;
  while (filled < buffer.size()) {
    auto n = source.Read(std::span<char>(buffer.data() + filled, buffer.size() - filled));
    if (!n.ok()) return n.error();
    if (*n == 0) break;
    filled += *n;
  }
  return filled;
}

// Inserts the chunks of object `id` and checks them against `expected`; returns their count.
core::Result<int32_t> WriteChunks(pqxx::work& tx, int64_t id, core::ByteSource& source,
                                  const core::BlobInfo& expected, size_t chunk_bytes) {
  crypto::Sha256 hasher;
  std::string chunk(chunk_bytes, '\0');
  int64_t total = 0;
  int32_t seq = 0;
  while (true) {
    auto filled = Fill(source, chunk);
    if (!filled.ok()) return filled.error();
    if (*filled == 0) break;
    total += static_cast<int64_t>(*filled);
    if (total > expected.size) return Mismatch();
    hasher.Update(std::string_view(chunk.data(), *filled));
    tx.exec_params("INSERT INTO blob_chunks (object_id, seq, data) VALUES ($1, $2, $3)", id, seq,
                   pqxx::binarystring(chunk.data(), *filled));
    ++seq;
    if (*filled < chunk.size()) break;
  }
  if (total != expected.size || hasher.FinishHex() != expected.sha256_hex) return Mismatch();
  return seq;
}

// Points `key` at object `id`, deleting the chunks of the object it named before. Loops
// because a concurrent Delete may remove the row between the insert attempt and the lock.
core::Status Publish(pqxx::work& tx, const std::string& key, int64_t id, const core::BlobInfo& info,
                     int32_t chunks) {
  for (int attempt = 0; attempt < kPublishAttempts; ++attempt) {
    auto inserted = tx.exec_params(
        "INSERT INTO blobs (key, object_id, size_bytes, sha256_hex, mime_type, chunk_count) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
        key, id, info.size, info.sha256_hex, info.mime_type, chunks);
    if (inserted.affected_rows() == 1) return core::OkStatus();
    auto old = tx.exec_params("SELECT object_id FROM blobs WHERE key = $1 FOR UPDATE", key);
    if (old.empty()) continue;
    tx.exec_params(
        "UPDATE blobs SET object_id = $2, size_bytes = $3, sha256_hex = $4, mime_type = $5, "
        "chunk_count = $6, created_at = now() WHERE key = $1",
        key, id, info.size, info.sha256_hex, info.mime_type, chunks);
    tx.exec_params("DELETE FROM blob_chunks WHERE object_id = $1", old[0][0].as<int64_t>());
    return core::OkStatus();
  }
  return core::Aborted("blob key contended by concurrent deletes");
}

// Reads one object chunk by chunk, leasing a connection per chunk.
class PgBlobReader final : public core::BlobReader {
 public:
  PgBlobReader(ConnectionPool& pool, int64_t id, int32_t chunks, core::BlobInfo info,
               std::optional<pqxx::binarystring> first)
      : pool_(pool), id_(id), chunks_(chunks), info_(std::move(info)), chunk_(std::move(first)) {
    if (chunk_) next_seq_ = 1;
  }

  const core::BlobInfo& info() const override { return info_; }

  core::Result<size_t> Read(std::span<char> buffer) override {
    while (!chunk_ || offset_ == chunk_->size()) {
      if (next_seq_ == chunks_) return EndOfObject();
      FILAMENT_RETURN_IF_ERROR(FetchNext());
    }
    size_t n = std::min(buffer.size(), chunk_->size() - offset_);
    std::memcpy(buffer.data(), chunk_->data() + offset_, n);
    offset_ += n;
    delivered_ += static_cast<int64_t>(n);
    // A consumed chunk is dropped now, not at the next Read: a reader parked between reads
    // (a download waiting for a slow client) holds no chunk.
    if (offset_ == chunk_->size()) chunk_.reset();
    return n;
  }

 private:
  core::Result<size_t> EndOfObject() const {
    if (delivered_ != info_.size) return core::Internal("blob chunks do not add up to its size");
    return size_t{0};
  }

  core::Status FetchNext() {
    return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
      pqxx::read_transaction tx(c);
      auto rows = tx.exec_params("SELECT data FROM blob_chunks WHERE object_id = $1 AND seq = $2",
                                 id_, next_seq_);
      if (rows.empty()) return core::Aborted("blob replaced or deleted while reading");
      chunk_.emplace(rows[0][0]);
      offset_ = 0;
      ++next_seq_;
      return core::OkStatus();
    });
  }

  ConnectionPool& pool_;
  int64_t id_;
  int32_t chunks_;
  core::BlobInfo info_;
  std::optional<pqxx::binarystring> chunk_;
  size_t offset_ = 0;
  int32_t next_seq_ = 0;
  int64_t delivered_ = 0;
};

}  // namespace

PgBlobStore::PgBlobStore(ConnectionPool& pool, PgBlobStoreOptions options)
    : pool_(pool), chunk_bytes_(std::clamp(options.chunk_bytes, kMinChunkBytes, kMaxChunkBytes)) {}

core::Status PgBlobStore::Put(std::string_view key, core::ByteSource& source,
                              const core::BlobInfo& expected) {
  FILAMENT_RETURN_IF_ERROR(core::ValidateBlobPut(key, expected));
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    int64_t id = tx.exec1("SELECT nextval('blob_object_ids')")[0].as<int64_t>();
    auto chunks = WriteChunks(tx, id, source, expected, chunk_bytes_);
    if (!chunks.ok()) return chunks.error();
    FILAMENT_RETURN_IF_ERROR(Publish(tx, std::string(key), id, expected, *chunks));
    try {
      tx.commit();
    } catch (const pqxx::in_doubt_error& e) {
      std::fprintf(stderr, "postgres: blob put in doubt: %s\n", e.what());
      return core::Unavailable("connection lost during commit");
    }
    return core::OkStatus();
  });
}

core::Result<std::unique_ptr<core::BlobReader>> PgBlobStore::Open(std::string_view key) {
  using Out = core::Result<std::unique_ptr<core::BlobReader>>;
  if (!core::IsValidBlobKey(key)) return core::InvalidArgument("malformed blob key");
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT b.object_id, b.chunk_count, b.size_bytes, b.sha256_hex, b.mime_type, c.data "
        "FROM blobs b LEFT JOIN blob_chunks c ON c.object_id = b.object_id AND c.seq = 0 "
        "WHERE b.key = $1",
        std::string(key));
    if (rows.empty()) return core::NotFound("no such blob");
    const auto& row = rows[0];
    core::BlobInfo info{row[2].as<int64_t>(), row[3].as<std::string>(), row[4].as<std::string>()};
    std::optional<pqxx::binarystring> first;
    if (!row[5].is_null()) first.emplace(row[5]);
    return std::unique_ptr<core::BlobReader>(std::make_unique<PgBlobReader>(
        pool_, row[0].as<int64_t>(), row[1].as<int32_t>(), std::move(info), std::move(first)));
  });
}

core::Result<core::BlobInfo> PgBlobStore::Stat(std::string_view key) {
  if (!core::IsValidBlobKey(key)) return core::InvalidArgument("malformed blob key");
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Result<core::BlobInfo> {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params("SELECT size_bytes, sha256_hex, mime_type FROM blobs WHERE key = $1",
                               std::string(key));
    if (rows.empty()) return core::NotFound("no such blob");
    return core::BlobInfo{rows[0][0].as<int64_t>(), rows[0][1].as<std::string>(),
                          rows[0][2].as<std::string>()};
  });
}

core::Status PgBlobStore::Delete(std::string_view key) {
  if (!core::IsValidBlobKey(key)) return core::InvalidArgument("malformed blob key");
  return WithConnection(pool_, [&](pqxx::connection& c) -> core::Status {
    pqxx::work tx(c);
    auto rows =
        tx.exec_params("DELETE FROM blobs WHERE key = $1 RETURNING object_id", std::string(key));
    if (!rows.empty()) {
      tx.exec_params("DELETE FROM blob_chunks WHERE object_id = $1", rows[0][0].as<int64_t>());
    }
    tx.commit();
    return core::OkStatus();
  });
}

// Ages are the database's clock (created_at is now() of the putting transaction), so the
// processes of a deployment agree on them. Keys compare bytewise (COLLATE "C") whatever the
// database's locale, as the port promises; that scans the `blobs` rows (metadata only, one per
// object), never the chunks.
core::Result<std::vector<std::string>> PgBlobStore::ListStale(std::string_view prefix,
                                                              int64_t min_age_secs,
                                                              std::string_view after,
                                                              size_t limit) {
  using Out = core::Result<std::vector<std::string>>;
  if (min_age_secs < 0) return core::InvalidArgument("negative blob age");
  return WithConnection(pool_, [&](pqxx::connection& c) -> Out {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT key FROM blobs WHERE key COLLATE \"C\" > $1 AND starts_with(key, $2) "
        "AND created_at <= now() - make_interval(secs => $3) ORDER BY key COLLATE \"C\" LIMIT $4",
        std::max(std::string(after), std::string(prefix)), std::string(prefix),
        static_cast<double>(min_age_secs), static_cast<int64_t>(limit));
    std::vector<std::string> keys;
    for (const auto& row : rows) keys.push_back(row[0].as<std::string>());
    return keys;
  });
}

}  // namespace filament::pgstore
