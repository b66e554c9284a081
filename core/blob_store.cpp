#include "core/blob_store.hpp"

#include <algorithm>
#include <cstring>

namespace filament::core {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsValidSegment(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  return std::all_of(segment.begin(), segment.end(), IsKeyChar);
}

constexpr int kReadAttempts = 3;

// One attempt of ReadWholeBlob. kAborted means "replaced mid-read".
Result<std::string> ReadOnce(BlobStore& store, std::string_view key, int64_t max_bytes,
                             BlobInfo* info) {
  auto reader = store.Open(key);
  if (!reader.ok()) return reader.error();
  const BlobInfo& found = (*reader)->info();
  if (found.size > max_bytes) {
    return MakeError(ErrorCode::kResourceExhausted, "blob larger than the caller's limit");
  }
  std::string bytes(static_cast<size_t>(found.size), '\0');
  size_t filled = 0;
  while (filled < bytes.size()) {
    auto n = (*reader)->Read(std::span<char>(bytes.data() + filled, bytes.size() - filled));
    if (!n.ok()) return n.error();
    if (*n == 0) return Internal("blob reader ended before its announced size");
    filled += *n;
  }
  if (info != nullptr) *info = found;
  return bytes;
}

}  // namespace

bool IsValidBlobKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxBlobKeyBytes) return false;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!IsValidSegment(segment)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string AvatarBlobKey(std::string_view user_id) { return "avatars/" + std::string(user_id); }
std::string BannerBlobKey(std::string_view user_id) { return "banners/" + std::string(user_id); }
std::string AttachmentBlobKey(std::string_view attachment_id) {
  return "attachments/" + std::string(attachment_id);
}

bool IsSha256Hex(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status ValidateBlobPut(std::string_view key, const BlobInfo& expected) {
  if (!IsValidBlobKey(key)) return InvalidArgument("malformed blob key");
  if (expected.size < 0) return InvalidArgument("negative blob size");
  if (!IsSha256Hex(expected.sha256_hex)) return InvalidArgument("malformed blob sha256");
  const std::string& mime = expected.mime_type;
  bool printable = std::all_of(mime.begin(), mime.end(), [](char c) { return c > ' ' && c < 127; });
  if (mime.empty() || mime.size() > 255 || !printable) {
    return InvalidArgument("malformed blob MIME type");
  }
  return OkStatus();
}

Result<std::string> ReadWholeBlob(BlobStore& store, std::string_view key, int64_t max_bytes,
                                  BlobInfo* info) {
  for (int attempt = 1;; ++attempt) {
    auto bytes = ReadOnce(store, key, max_bytes, info);
    if (bytes.ok() || bytes.error().code != ErrorCode::kAborted || attempt == kReadAttempts) {
      return bytes;
    }
  }
}

Result<size_t> StringByteSource::Read(std::span<char> buffer) {
  size_t n = std::min(buffer.size(), bytes_.size() - offset_);
  if (n > 0) std::memcpy(buffer.data(), bytes_.data() + offset_, n);
  offset_ += n;
  return n;
}

}  // namespace filament::core
