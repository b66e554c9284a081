#include "adapters/upload/mime_sniffer.hpp"

#include <algorithm>
#include <cstdio>

#include <magic.h>

namespace filament::upload {
namespace {

// libmagic handles are not thread-safe, so each thread gets its own. The compiled database is
// mapped from /usr/share/misc/magic.mgc, so a handle costs a few hundred KiB, not a copy of it.
class MagicHandle {
 public:
  MagicHandle() : magic_(magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) {
    if (magic_ != nullptr && magic_load(magic_, nullptr) != 0) {
      std::fprintf(stderr, "libmagic: cannot load the database: %s\n", magic_error(magic_));
      magic_close(magic_);
      magic_ = nullptr;
    }
  }
  ~MagicHandle() {
    if (magic_ != nullptr) magic_close(magic_);
  }
  MagicHandle(const MagicHandle&) = delete;
  MagicHandle& operator=(const MagicHandle&) = delete;

  magic_t get() const { return magic_; }

 private:
  magic_t magic_;
};

std::string Normalise(std::string mime) {
  std::transform(mime.begin(), mime.end(), mime.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (mime == "application/octet-stream" || mime == "application/x-empty" ||
      mime == "inode/x-empty") {
    return "";
  }
  if (mime.rfind("text/x-", 0) == 0) return "text/plain";
  if (mime == "text/rtf") return "application/rtf";
  return mime;
}

}  // namespace

core::Result<std::string> SniffMime(std::string_view head) {
  head = head.substr(0, kSniffBytes);
  if (head.empty()) return std::string();
  thread_local MagicHandle handle;
  if (handle.get() == nullptr) return core::Internal("libmagic is unavailable");
  const char* mime = magic_buffer(handle.get(), head.data(), head.size());
  if (mime == nullptr) {
    std::fprintf(stderr, "libmagic: %s\n", magic_error(handle.get()));
    return core::Internal("libmagic failed");
  }
  return Normalise(mime);
}

}  // namespace filament::upload
