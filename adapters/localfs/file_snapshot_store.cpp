#include "adapters/localfs/file_snapshot_store.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace filament::localfs {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'F', 'L', 'M', 'S', 'N', 'A', 'P', '1'};
constexpr std::string_view kPrefix = "snapshot-";
constexpr std::string_view kSuffix = ".bin";
constexpr uint32_t kMaxPartitions = 4096;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// A file descriptor closed on destruction.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool ReadFull(int fd, char* out, size_t size) {
  while (size > 0) {
    ssize_t n = ::read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool WriteFull(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts only (x86-64, aarch64)
  out.append(bytes, sizeof(T));
}

template <typename T>
T Get(const char* in) {
  T value;
  std::memcpy(&value, in, sizeof(T));
  return value;
}

// The id in a file name `snapshot-<20 digits>.bin`, or nullopt.
std::optional<int64_t> IdOf(std::string_view name) {
  if (name.size() != kPrefix.size() + 20 + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(kPrefix.size(), 20);
  int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() || id <= 0) return std::nullopt;
  return id;
}

struct Header {
  std::vector<int64_t> ends;
  uint64_t payload_size = 0;
  size_t size = 0;  // bytes before the payload
};

// Reads and checks the header of an open snapshot file of `file_size` bytes.
std::optional<Header> ReadHeader(int fd, uint64_t file_size) {
  char fixed[sizeof(kMagic) + sizeof(uint32_t)];
  if (!ReadFull(fd, fixed, sizeof(fixed)) || std::memcmp(fixed, kMagic, sizeof(kMagic)) != 0) {
    return std::nullopt;
  }
  const auto partitions = Get<uint32_t>(fixed + sizeof(kMagic));
  if (partitions == 0 || partitions > kMaxPartitions) return std::nullopt;
  std::string rest(partitions * sizeof(int64_t) + sizeof(uint64_t), '\0');
  if (!ReadFull(fd, rest.data(), rest.size())) return std::nullopt;
  Header header;
  for (uint32_t p = 0; p < partitions; ++p) {
    auto end = Get<int64_t>(rest.data() + p * sizeof(int64_t));
    if (end < 0) return std::nullopt;
    header.ends.push_back(end);
  }
  header.payload_size = Get<uint64_t>(rest.data() + partitions * sizeof(int64_t));
  header.size = sizeof(fixed) + rest.size();
  if (file_size < header.size || file_size - header.size != header.payload_size) {
    return std::nullopt;
  }
  return header;
}

core::Status SyncDirectory(const std::string& directory) {
  Fd dir{::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0 || ::fsync(dir.fd) != 0) {
    return core::Unavailable(Errno("snapshot directory " + directory));
  }
  return core::OkStatus();
}

}  // namespace

FileSnapshotStore::FileSnapshotStore(std::string directory) : directory_(std::move(directory)) {}

std::string FileSnapshotStore::PathOf(int64_t id) const {
  std::string digits = std::to_string(id);
  return directory_ + "/" + std::string(kPrefix) + std::string(20 - digits.size(), '0') + digits +
         std::string(kSuffix);
}

core::Result<std::vector<commands::SnapshotStore::Entry>> FileSnapshotStore::List() {
  std::lock_guard lock(mutex_);
  std::vector<Entry> entries;
  std::error_code ec;
  if (!fs::exists(directory_, ec)) return entries;  // no snapshot saved yet
  for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
    auto id = IdOf(it->path().filename().string());
    if (!id) continue;
    Fd file{::open(it->path().c_str(), O_RDONLY | O_CLOEXEC)};
    struct stat info {};
    if (file.fd < 0 || ::fstat(file.fd, &info) != 0) continue;
    auto header = ReadHeader(file.fd, static_cast<uint64_t>(info.st_size));
    if (!header) continue;
    entries.push_back(
        Entry{*id, std::move(header->ends), static_cast<int64_t>(header->payload_size)});
  }
  if (ec) return core::Unavailable("snapshot directory " + directory_ + ": " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.id > b.id; });
  return entries;
}

core::Result<std::string> FileSnapshotStore::Load(int64_t id) {
  std::lock_guard lock(mutex_);
  const std::string path = PathOf(id);
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    if (errno == ENOENT) return core::NotFound("snapshot " + std::to_string(id));
    return core::Unavailable(Errno(path));
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return core::Unavailable(Errno(path));
  auto header = ReadHeader(file.fd, static_cast<uint64_t>(info.st_size));
  if (!header) return core::NotFound("snapshot " + std::to_string(id) + ": malformed file");
  if (header->payload_size > std::numeric_limits<size_t>::max() / 2) {
    return core::NotFound("snapshot " + std::to_string(id) + ": too large");
  }
  std::string bytes(static_cast<size_t>(header->payload_size), '\0');
  if (!ReadFull(file.fd, bytes.data(), bytes.size())) return core::Unavailable(Errno(path));
  return bytes;
}

core::Status FileSnapshotStore::Save(std::string_view bytes, const std::vector<int64_t>& ends,
                                     int keep) {
  if (ends.empty() || ends.size() > kMaxPartitions) {
    return core::InvalidArgument("snapshot position of " + std::to_string(ends.size()) +
                                 " partitions");
  }
  std::lock_guard lock(mutex_);
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return core::Unavailable("snapshot directory " + directory_ + ": " + ec.message());
  // The next id, and the files a crash left behind.
  int64_t last = 0;
  std::vector<int64_t> ids;
  for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (auto id = IdOf(name)) {
      ids.push_back(*id);
      last = std::max(last, *id);
    } else if (name.starts_with(".tmp-")) {
      fs::remove(it->path(), ec);
    }
  }
  if (ec) return core::Unavailable("snapshot directory " + directory_ + ": " + ec.message());
  const int64_t id = last + 1;
  std::string header(kMagic, sizeof(kMagic));
  Put<uint32_t>(header, static_cast<uint32_t>(ends.size()));
  for (int64_t end : ends) Put<int64_t>(header, end);
  Put<uint64_t>(header, static_cast<uint64_t>(bytes.size()));

  const std::string final_path = PathOf(id);
  const std::string temp = directory_ + "/.tmp-" + std::to_string(id);
  {
    Fd file{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (file.fd < 0) return core::Unavailable(Errno(temp));
    if (!WriteFull(file.fd, header.data(), header.size()) ||
        !WriteFull(file.fd, bytes.data(), bytes.size()) || ::fsync(file.fd) != 0) {
      auto error = core::Unavailable(Errno(temp));
      ::unlink(temp.c_str());
      return error;
    }
  }
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    auto error = core::Unavailable(Errno(final_path));
    ::unlink(temp.c_str());
    return error;
  }
  FILAMENT_RETURN_IF_ERROR(SyncDirectory(directory_));
  // Keep the newest `keep` (this one included).
  ids.push_back(id);
  std::sort(ids.begin(), ids.end(), std::greater<>());
  for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < ids.size(); ++i) {
    ::unlink(PathOf(ids[i]).c_str());
  }
  return core::OkStatus();
}

}  // namespace filament::localfs
