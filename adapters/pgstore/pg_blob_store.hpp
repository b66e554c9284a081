#pragma once

#include <cstddef>

#include "core/blob_store.hpp"

namespace filament::pgstore {

class ConnectionPool;

struct PgBlobStoreOptions {
  // Bytes per stored chunk (clamped to 4 KiB .. 16 MiB). Bounds the memory of one Put or one
  // reader: about 3x this while a chunk is in flight (our buffer, libpqxx's copy, libpq's).
  size_t chunk_bytes = 256 * 1024;
};

// core::BlobStore on PostgreSQL (migration 0007, ADR 0013): every process of a deployment that
// reaches the database reaches the blobs — the embedded `filament serve` cluster and a shared
// server alike. A Put writes all chunks and the key's row in one transaction, so a crash at any
// point leaves the old object (or none) and no visible trace of the new one; a replace takes a
// new object id and deletes the old chunks in that transaction; deleted chunks become dead
// tuples that (auto)vacuum turns into reusable space. Thread-safe; each call leases one pooled
// connection for its duration (a reader: one lease per chunk, none in between).
// Errors: as core::BlobStore; kUnavailable for a lost connection, including one lost during
// COMMIT (the Put may or may not have happened: retrying it is safe).
class PgBlobStore final : public core::BlobStore {
 public:
  // `pool` must outlive the store and its readers.
  explicit PgBlobStore(ConnectionPool& pool, PgBlobStoreOptions options = {});

  core::Status Put(std::string_view key, core::ByteSource& source,
                   const core::BlobInfo& expected) override;
  core::Result<std::unique_ptr<core::BlobReader>> Open(std::string_view key) override;
  core::Result<core::BlobInfo> Stat(std::string_view key) override;
  core::Status Delete(std::string_view key) override;
  core::Result<std::vector<std::string>> ListStale(std::string_view prefix, int64_t min_age_secs,
                                                   std::string_view after, size_t limit) override;

 private:
  ConnectionPool& pool_;
  size_t chunk_bytes_;
};

}  // namespace filament::pgstore
