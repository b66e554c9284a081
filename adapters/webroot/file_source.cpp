#include "adapters/webroot/file_source.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace filament::webroot {

core::Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    std::string message = "open " + path + ": " + std::strerror(error);
    if (error == ENOENT || error == ENOTDIR) return core::NotFound(std::move(message));
    return core::Internal(std::move(message));
  }
  return std::unique_ptr<FileSource>(new FileSource(fd));
}

FileSource::~FileSource() { ::close(fd_); }

core::Result<size_t> FileSource::Read(std::span<char> buffer) {
  if (buffer.empty()) return size_t{0};
  for (;;) {
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    return core::Internal(std::string("read: ") + std::strerror(errno));
  }
}

}  // namespace filament::webroot
