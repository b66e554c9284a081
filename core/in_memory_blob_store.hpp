#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/blob_store.hpp"

namespace filament::core {

// The in-memory twin of the BlobStore port, for tests of code that uses a store. Thread-safe;
// same semantics as the port (atomic replace, kAborted for a reader whose object was replaced
// or deleted, idempotent delete) except that it cannot compute SHA-256 with the standard
// library: it checks `expected.size` and the form of `expected.sha256_hex`, and trusts the hash.
class InMemoryBlobStore final : public BlobStore {
 public:
  Status Put(std::string_view key, ByteSource& source, const BlobInfo& expected) override;
  Result<std::unique_ptr<BlobReader>> Open(std::string_view key) override;
  Result<BlobInfo> Stat(std::string_view key) override;
  Status Delete(std::string_view key) override;

  // Test hook: the number of objects stored.
  size_t size() const;

  struct Object {
    BlobInfo info;
    std::string bytes;
  };

 private:
  friend class InMemoryBlobReader;
  // The object now under `key`, or null.
  std::shared_ptr<const Object> Current(const std::string& key) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Object>, std::less<>> objects_;
};

}  // namespace filament::core
