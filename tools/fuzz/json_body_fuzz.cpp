// Fuzz target: the strict JSON body decoder (api/support/json_body.*): content-type check,
// parse, and a sequence of typed reads chosen by the input, then Finish().
// Input: [content-type selector][read plan: 8 bytes][body...].
// Invariants: an accepted body is a JSON object nlohmann also accepts, nested at most
// kMaxJsonDepth deep; Finish() fails whenever a read failed; strings read are valid UTF-8.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/support/json_body.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

using filament::api::JsonObjectReader;
using filament::fuzz::InputReader;
using filament::fuzz::ReferenceUtf8;

constexpr std::array<std::string_view, 4> kContentTypes = {
    "application/json", "application/merge-patch+json; charset=utf-8", "text/plain", ""};
constexpr std::array<std::string_view, 8> kKeys = {"name", "content", "a", "b",
                                                   "ids",  "kind",    "n", "flag"};

void CheckString(std::string_view s) { FUZZ_CHECK(ReferenceUtf8(s)); }

// One read of `key` with the getter `op` selects.
void Read(JsonObjectReader& r, uint8_t op, std::string_view key) {
  switch (op % 12) {
    case 0:
      CheckString(r.RequiredString(key));
      break;
    case 1:
      if (auto v = r.OptionalString(key)) CheckString(*v);
      break;
    case 2:
      if (auto v = r.NullableString(key); v.has_value()) CheckString(v.value);
      break;
    case 3:
      (void)r.RequiredBool(key);
      break;
    case 4:
      (void)r.OptionalBool(key);
      break;
    case 5: {
      const int64_t v = r.RequiredInt(key, -1000, 1000);
      if (r.ok()) FUZZ_CHECK(v >= -1000 && v <= 1000);
      break;
    }
    case 6: {
      const auto v = r.OptionalInt(key, 0, INT32_MAX);
      if (r.ok() && v) FUZZ_CHECK(*v >= 0 && *v <= INT32_MAX);
      break;
    }
    case 7:
      for (const auto& s : r.RequiredStringArray(key)) CheckString(s);
      break;
    case 8:
      (void)r.OptionalStringArray(key);
      break;
    case 9: {
      const std::string v = r.RequiredEnum(key, {"text", "voice"});
      if (r.ok()) FUZZ_CHECK(v == "text" || v == "voice");
      break;
    }
    case 10:
      (void)r.OptionalEnum(key, {"private", "public"});
      break;
    default:
      (void)r.OptionalEnumArray(key, {"x", "y"});
      break;
  }
}

int Depth(const nlohmann::json& j) {
  int deepest = 0;
  if (j.is_structured()) {
    for (const auto& child : j) deepest = std::max(deepest, Depth(child));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputReader in(data, size);
  const std::string_view content_type = kContentTypes[in.Byte() % kContentTypes.size()];
  std::array<uint8_t, 8> plan{};
  for (auto& op : plan) op = in.Byte();
  const std::string_view body = in.Rest();

  auto parsed = filament::api::ParseJsonBody(
      content_type.empty() ? std::nullopt : std::optional(content_type), body);
  if (!parsed.ok()) return 0;
  FUZZ_CHECK(content_type.find("json") != std::string_view::npos);
  const auto reference = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!reference.is_discarded() && reference.is_object());
  FUZZ_CHECK(Depth(reference) <= filament::api::kMaxJsonDepth);

  JsonObjectReader& reader = *parsed;
  bool failed = false;
  for (size_t i = 0; i < plan.size(); ++i) {
    Read(reader, plan[i], kKeys[(plan[i] >> 4) % kKeys.size()]);
    failed = failed || !reader.ok();
  }
  const auto status = reader.Finish();
  if (failed) FUZZ_CHECK(!status.ok());
  return 0;
}
