#include "projections/search/index_store.hpp"

#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace filament::projections {
namespace {

namespace fs = std::filesystem;

constexpr char kCurrent[] = "CURRENT";
constexpr char kGenerationPrefix[] = "index-";

// The generation number of "index-<n>", or -1.
int64_t GenerationOf(const std::string& name) {
  if (name.rfind(kGenerationPrefix, 0) != 0) return -1;
  std::string digits = name.substr(sizeof(kGenerationPrefix) - 1);
  if (digits.empty() || digits.size() > 18) return -1;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
  }
  return std::stoll(digits);
}

core::Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return core::Internal("open " + path + " for fsync failed");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return core::Internal("fsync " + path + " failed");
  return core::OkStatus();
}

}  // namespace

std::string IndexStore::CurrentDir() const {
  std::ifstream in(fs::path(root_) / kCurrent);
  std::string name;
  if (!std::getline(in, name) || GenerationOf(name) < 0) return {};
  return (fs::path(root_) / name).string();
}

core::Result<std::string> IndexStore::PrepareNextDir() const {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return core::Internal("create " + root_ + ": " + ec.message());
  int64_t highest = 0;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    highest = std::max(highest, GenerationOf(entry.path().filename().string()));
  }
  if (ec) return core::Internal("list " + root_ + ": " + ec.message());
  auto dir = (fs::path(root_) / (kGenerationPrefix + std::to_string(highest + 1))).string();
  FILAMENT_RETURN_IF_ERROR(search::RemoveIndexDir(dir));
  return dir;
}

core::Status IndexStore::SwitchTo(const std::string& dir) const {
  const auto tmp = (fs::path(root_) / "CURRENT.tmp").string();
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << fs::path(dir).filename().string() << "\n";
    if (!out.flush()) return core::Internal("write " + tmp + " failed");
  }
  FILAMENT_RETURN_IF_ERROR(SyncPath(tmp, O_RDONLY));
  std::error_code ec;
  fs::rename(tmp, fs::path(root_) / kCurrent, ec);
  if (ec) return core::Internal("rename " + tmp + ": " + ec.message());
  return SyncPath(root_, O_RDONLY | O_DIRECTORY);
}

void IndexStore::RemoveStale(const std::string& keep) const {
  const std::string current = CurrentDir();
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const std::string path = entry.path().string();
    if (GenerationOf(entry.path().filename().string()) >= 0 && path != current && path != keep) {
      stale.push_back(entry.path());
    }
  }
  for (const auto& path : stale) (void)search::RemoveIndexDir(path.string());
}

IndexHandle::~IndexHandle() {
  if (!retired_) return;
  std::string dir = index_->Dir();
  index_.reset();
  (void)search::RemoveIndexDir(dir);
}

}  // namespace filament::projections
