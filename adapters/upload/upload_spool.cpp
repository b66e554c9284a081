#include "adapters/upload/upload_spool.hpp"

#include <algorithm>
#include <cstring>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "adapters/upload/mime_sniffer.hpp"

namespace filament::upload {
namespace {

// Reads a SpooledUpload from byte 0 onwards.
class SpoolSource final : public core::ByteSource {
 public:
  explicit SpoolSource(const SpooledUpload& upload) : upload_(upload) {}
  core::Result<size_t> Read(std::span<char> buffer) override {
    auto n = upload_.ReadAt(offset_, buffer);
    if (n.ok()) offset_ += static_cast<int64_t>(*n);
    return n;
  }

 private:
  const SpooledUpload& upload_;
  int64_t offset_ = 0;
};

core::Error WriteError(int error) {
  std::string message = std::string("upload spool write failed: ") + std::strerror(error);
  if (error == ENOSPC || error == EDQUOT) return core::Unavailable(std::move(message));
  return core::Internal(std::move(message));
}

core::Error Spent() {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, "upload spool already finished");
}

}  // namespace

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

SpooledUpload::SpooledUpload(ScopedFd fd, int64_t size, std::string sha256_hex, std::string head,
                             std::string sniffed_mime)
    : fd_(std::move(fd)),
      size_(size),
      sha256_hex_(std::move(sha256_hex)),
      head_(std::move(head)),
      sniffed_mime_(std::move(sniffed_mime)) {}

core::Result<size_t> SpooledUpload::ReadAt(int64_t offset, std::span<char> out) const {
  if (offset >= size_ || out.empty()) return size_t{0};
  size_t want = std::min(out.size(), static_cast<size_t>(size_ - offset));
  while (true) {
    ssize_t n = ::pread(fd_.get(), out.data(), want, offset);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return core::Internal(std::string("spool read: ") + std::strerror(errno));
  }
}

std::unique_ptr<core::ByteSource> SpooledUpload::NewSource() const {
  return std::make_unique<SpoolSource>(*this);
}

core::BlobInfo SpooledUpload::Info(std::string mime_type) const {
  return core::BlobInfo{size_, sha256_hex_, std::move(mime_type)};
}

UploadSpool::UploadSpool(ScopedFd fd, int64_t max_bytes)
    : fd_(std::move(fd)), max_bytes_(max_bytes) {}

core::Result<UploadSpool> UploadSpool::Create(const SpoolOptions& options) {
  std::string pattern = options.directory + "/filament-upload-XXXXXX";
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    return core::Internal("cannot create an upload spool file in " + options.directory + ": " +
                          std::strerror(errno));
  }
  ::unlink(pattern.c_str());  // anonymous from now on: a crash leaves nothing behind
  return UploadSpool(ScopedFd(fd), std::max<int64_t>(options.max_bytes, 0));
}

core::Status UploadSpool::Append(std::string_view bytes) {
  if (spent_) return Spent();
  if (static_cast<int64_t>(bytes.size()) > max_bytes_ - size_) {
    spent_ = true;
    return core::MakeError(core::ErrorCode::kResourceExhausted, "upload over its cap",
                           "payload_too_large");
  }
  size_t head_room = kSniffBytes - std::min(head_.size(), kSniffBytes);
  head_.append(bytes.substr(0, head_room));
  hasher_.Update(bytes);
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      spent_ = true;
      return WriteError(errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    size_ += n;
  }
  return core::OkStatus();
}

core::Result<SpooledUpload> UploadSpool::Finish() {
  if (spent_) return Spent();
  spent_ = true;
  auto mime = SniffMime(head_);
  if (!mime.ok()) return mime.error();
  return SpooledUpload(std::move(fd_), size_, hasher_.FinishHex(), std::move(head_),
                       std::move(*mime));
}

}  // namespace filament::upload
