#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/blob_store.hpp"
#include "core/clock.hpp"

namespace filament::core {

// The in-memory twin of the BlobStore port, for tests of code that uses a store. Thread-safe;
// same semantics as the port (atomic replace, kAborted for a reader whose object was replaced
// or deleted, idempotent delete) except that it cannot compute SHA-256 with the standard
// library: it checks `expected.size` and the form of `expected.sha256_hex`, and trusts the hash.
// Ages for ListStale come from `clock` (the system clock when null), which must outlive it.
class InMemoryBlobStore final : public BlobStore {
 public:
  explicit InMemoryBlobStore(const Clock* clock = nullptr) : clock_(clock) {}

  Status Put(std::string_view key, ByteSource& source, const BlobInfo& expected) override;
  Result<std::unique_ptr<BlobReader>> Open(std::string_view key) override;
  Result<BlobInfo> Stat(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<std::vector<std::string>> ListStale(std::string_view prefix, int64_t min_age_secs,
                                             std::string_view after, size_t limit) override;

  // Test hook: the number of objects stored.
  size_t size() const;

  struct Object {
    BlobInfo info;
    std::string bytes;
    int64_t stored_unix_ms = 0;
  };

 private:
  friend class InMemoryBlobReader;
  // The object now under `key`, or null.
  std::shared_ptr<const Object> Current(const std::string& key) const;

  int64_t NowUnixMs() const;

  const Clock* clock_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Object>, std::less<>> objects_;
};

}  // namespace filament::core
