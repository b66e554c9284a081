#pragma once

// Internal to projections/search: where the search index lives under its root directory.
//
//   <root>/CURRENT      the name of the live index directory, replaced atomically (rename)
//   <root>/index-<n>    index generations; a rebuild writes n+1 beside the live one and then
//                       switches CURRENT, so a crash mid-rebuild leaves the old index live.

#include <atomic>
#include <memory>
#include <string>

#include "adapters/search/search_index.hpp"
#include "core/result.hpp"

namespace filament::projections {

class IndexStore {
 public:
  explicit IndexStore(std::string root) : root_(std::move(root)) {}

  const std::string& Root() const { return root_; }

  // The live generation's directory; empty when there is none yet (or CURRENT is unreadable).
  std::string CurrentDir() const;
  // A fresh, empty directory for the next generation (any leftover of it is removed first).
  core::Result<std::string> PrepareNextDir() const;
  // Makes `dir` (from PrepareNextDir) the live generation: durable once this returns.
  core::Status SwitchTo(const std::string& dir) const;
  // Removes generation directories other than the live one and `keep` (crash leftovers).
  void RemoveStale(const std::string& keep = {}) const;

 private:
  std::string root_;
};

// An index directory kept open for queries. When retired (replaced by a rebuild) its directory
// is removed once the last holder lets go, so queries in flight finish on the old files.
class IndexHandle {
 public:
  explicit IndexHandle(std::unique_ptr<search::SearchIndex> index) : index_(std::move(index)) {}
  ~IndexHandle();
  search::SearchIndex& index() { return *index_; }
  const search::SearchIndex& index() const { return *index_; }
  void Retire() { retired_ = true; }

 private:
  std::unique_ptr<search::SearchIndex> index_;
  std::atomic<bool> retired_{false};
};

}  // namespace filament::projections
