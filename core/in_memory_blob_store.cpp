#include "core/in_memory_blob_store.hpp"

#include <algorithm>
#include <cstring>

namespace filament::core {

// Reads a snapshot of one object; fails with kAborted once the key names another object.
class InMemoryBlobReader final : public BlobReader {
 public:
  InMemoryBlobReader(const InMemoryBlobStore* store, std::string key,
                     std::shared_ptr<const InMemoryBlobStore::Object> object)
      : store_(store), key_(std::move(key)), object_(std::move(object)) {}

  const BlobInfo& info() const override { return object_->info; }

  Result<size_t> Read(std::span<char> buffer) override {
    if (store_->Current(key_) != object_) return Aborted("blob replaced or deleted while reading");
    size_t n = std::min(buffer.size(), object_->bytes.size() - offset_);
    if (n > 0) std::memcpy(buffer.data(), object_->bytes.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  const InMemoryBlobStore* store_;
  std::string key_;
  std::shared_ptr<const InMemoryBlobStore::Object> object_;
  size_t offset_ = 0;
};

Status InMemoryBlobStore::Put(std::string_view key, ByteSource& source, const BlobInfo& expected) {
  FILAMENT_RETURN_IF_ERROR(ValidateBlobPut(key, expected));
  auto object = std::make_shared<Object>();
  object->info = expected;
  char buffer[64 * 1024];
  while (true) {
    auto n = source.Read(std::span<char>(buffer, sizeof(buffer)));
    if (!n.ok()) return n.error();
    if (*n == 0) break;
    object->bytes.append(buffer, *n);
    if (object->bytes.size() > static_cast<size_t>(expected.size)) break;
  }
  if (object->bytes.size() != static_cast<size_t>(expected.size)) {
    return Internal("blob source does not match the expected size");
  }
  object->stored_unix_ms = NowUnixMs();
  std::lock_guard lock(mutex_);
  objects_.insert_or_assign(std::string(key), std::move(object));
  return OkStatus();
}

Result<std::unique_ptr<BlobReader>> InMemoryBlobStore::Open(std::string_view key) {
  if (!IsValidBlobKey(key)) return InvalidArgument("malformed blob key");
  auto object = Current(std::string(key));
  if (object == nullptr) return NotFound("no such blob");
  return std::unique_ptr<BlobReader>(
      std::make_unique<InMemoryBlobReader>(this, std::string(key), std::move(object)));
}

Result<BlobInfo> InMemoryBlobStore::Stat(std::string_view key) {
  if (!IsValidBlobKey(key)) return InvalidArgument("malformed blob key");
  auto object = Current(std::string(key));
  if (object == nullptr) return NotFound("no such blob");
  return object->info;
}

Status InMemoryBlobStore::Delete(std::string_view key) {
  if (!IsValidBlobKey(key)) return InvalidArgument("malformed blob key");
  std::lock_guard lock(mutex_);
  objects_.erase(std::string(key));
  return OkStatus();
}

Result<std::vector<std::string>> InMemoryBlobStore::ListStale(std::string_view prefix,
                                                              int64_t min_age_secs,
                                                              std::string_view after,
                                                              size_t limit) {
  const int64_t stored_by = NowUnixMs() - min_age_secs * 1000;
  std::vector<std::string> keys;
  std::lock_guard lock(mutex_);
  for (auto it = objects_.upper_bound(after); it != objects_.end() && keys.size() < limit; ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) {
      if (it->first > prefix) break;  // past every key with the prefix
      continue;
    }
    if (it->second->stored_unix_ms <= stored_by) keys.push_back(it->first);
  }
  return keys;
}

int64_t InMemoryBlobStore::NowUnixMs() const {
  return clock_ != nullptr ? clock_->NowUnixMs() : SystemClock().NowUnixMs();
}

size_t InMemoryBlobStore::size() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

std::shared_ptr<const InMemoryBlobStore::Object> InMemoryBlobStore::Current(
    const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

}  // namespace filament::core
