#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/crypto/sha256.hpp"
#include "adapters/upload/image_integrity.hpp"
#include "core/blob_store.hpp"
#include "core/result.hpp"

namespace filament::upload {

// An open file descriptor, closed on destruction. Move-only.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ~ScopedFd();
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// A finished upload: its bytes in an anonymous temp file (unlinked at creation, so nothing is
// left on disk when this object goes away — or when the process is killed), plus what was
// learned while the bytes streamed in. Move-only; reads are thread-safe (pread).
class SpooledUpload final : public RandomAccessBytes {
 public:
  SpooledUpload(ScopedFd fd, int64_t size, std::string sha256_hex, std::string head,
                std::string sniffed_mime);
  SpooledUpload(SpooledUpload&&) noexcept = default;
  SpooledUpload& operator=(SpooledUpload&&) noexcept = default;

  int64_t size() const override { return size_; }
  const std::string& sha256_hex() const { return sha256_hex_; }  // 64 lower-case hex
  // The MIME essence sniffed from the first kSniffBytes bytes; "" when not recognised.
  const std::string& sniffed_mime() const { return sniffed_mime_; }
  std::string_view head() const { return head_; }  // the first min(size, kSniffBytes) bytes

  core::Result<size_t> ReadAt(int64_t offset, std::span<char> out) const override;
  // A sequential reader over the whole file from byte 0, for core::BlobStore::Put. Each call
  // gives an independent reader; it must not outlive this object nor a move of it. Read
  // errors: kInternal.
  std::unique_ptr<core::ByteSource> NewSource() const;
  // The metadata to hand to core::BlobStore::Put together with NewSource().
  core::BlobInfo Info(std::string mime_type) const;

 private:
  ScopedFd fd_;
  int64_t size_;
  std::string sha256_hex_;
  std::string head_;
  std::string sniffed_mime_;
};

struct SpoolOptions {
  // Where the temp file is created (and at once unlinked). Must exist and be writable.
  std::string directory = "/tmp";
  // The cap: an Append that would take the total past it fails. Must be >= 0.
  int64_t max_bytes = 0;
};

// Receives an upload body in pieces as they arrive and writes them straight to a temp file,
// counting, hashing (SHA-256) and keeping the first kSniffBytes for sniffing, so memory stays
// at ~8 KiB per upload whatever its size. One spool per upload; not thread-safe.
class UploadSpool {
 public:
  // Creates the temp file. Errors: kInternal (the directory is missing or not writable).
  static core::Result<UploadSpool> Create(const SpoolOptions& options);

  UploadSpool(UploadSpool&&) noexcept = default;
  UploadSpool& operator=(UploadSpool&&) noexcept = default;

  // Appends `bytes`. If they would take the total past max_bytes, nothing of them is written
  // and the result is kResourceExhausted with reason "payload_too_large" (413). Errors:
  // kUnavailable (disk full: ENOSPC/EDQUOT), kInternal (other write errors). After any error
  // the spool is spent: every later Append or Finish fails with kFailedPrecondition.
  core::Status Append(std::string_view bytes);

  // Bytes accepted so far (for a quota check between Appends).
  int64_t size() const { return size_; }

  // Ends the upload: the file, its size, SHA-256 and sniffed MIME (see SniffMime). An empty
  // upload is not an error here (the acceptance rules reject it). Errors: kFailedPrecondition
  // (after an error, or a second Finish), kInternal (libmagic failed).
  core::Result<SpooledUpload> Finish();

 private:
  UploadSpool(ScopedFd fd, int64_t max_bytes);

  ScopedFd fd_;
  int64_t max_bytes_;
  int64_t size_ = 0;
  std::string head_;
  crypto::Sha256 hasher_;
  bool spent_ = false;
};

}  // namespace filament::upload
