#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/blob_store.hpp"
#include "core/result.hpp"

namespace filament::webroot {

// The bytes of one open regular file, read sequentially (a streamed response body). Owns the
// descriptor and closes it on destruction. Not thread-safe (one reader, as ByteSource says).
class FileSource final : public core::ByteSource {
 public:
  // Opens `path` read-only. Errors: kNotFound (no such file), kInternal (anything else).
  static core::Result<std::unique_ptr<FileSource>> Open(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Errors: kInternal on a read error (EINTR is retried).
  core::Result<size_t> Read(std::span<char> buffer) override;

  int fd() const { return fd_; }

 private:
  explicit FileSource(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace filament::webroot
