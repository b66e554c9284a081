#include "tools/eventgen/testdata/upcasters.hpp"

#include <nlohmann/json.hpp>

namespace filament::eventgen_testdata {

core::Result<std::string> UpcastNoteRenamedV1(std::string_view payload_json) {
  auto json = nlohmann::json::parse(payload_json.begin(), payload_json.end(), nullptr,
                                    /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return core::InvalidArgument("note_renamed v1 payload is not a JSON object");
  }
  // Move `name` to `title` whatever its type: the v2 decoder validates the result.
  if (auto name = json.find("name"); name != json.end()) {
    json["title"] = *name;
    json.erase("name");
  }
  json["renamed_at_unix"] = 0;
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace filament::eventgen_testdata
