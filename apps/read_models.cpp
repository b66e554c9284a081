#include "apps/read_models.hpp"

namespace filament::app {

core::Result<std::vector<projections::Projection*>> ReadModels::Select(
    const std::vector<std::string>& names) {
  if (names.empty()) return All();
  std::vector<projections::Projection*> chosen;
  for (const auto& name : names) {
    projections::Projection* found = nullptr;
    for (auto* projection : All()) {
      if (projection->Name() == name) found = projection;
    }
    if (found == nullptr) {
      std::string known;
      for (const auto& n : Names()) known += (known.empty() ? "" : ", ") + n;
      return core::InvalidArgument("unknown projection '" + name + "' (known: " + known + ")");
    }
    chosen.push_back(found);
  }
  return chosen;
}

std::vector<std::string> ReadModels::Changing(const events::RecordMeta& meta) {
  std::vector<std::string> names;
  for (const auto* projection : All()) {
    if (!projection->Ignores(meta)) names.emplace_back(projection->Name());
  }
  return names;
}

std::vector<std::string> ReadModels::Names() {
  return {"users", "guilds", "messages", "friends", "audit"};
}

}  // namespace filament::app
