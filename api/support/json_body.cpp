#include "api/support/json_body.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "api/support/errors.hpp"
#include "core/ascii.hpp"

namespace filament::api {
namespace {

using Json = nlohmann::json;

using core::AsciiLower;
using core::TrimOws;

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
  });
}

// Deepest nesting of arrays/objects, scanning only outside strings. Stops at `limit` + 1, so
// the parser never builds a pathologically deep tree. Malformed input is left to the parser.
int NestingDepth(std::string_view body, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size() && deepest <= limit; ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// Parses with nlohmann (non-throwing); reports duplicate keys, which nlohmann would silently
// collapse but serde rejects.
core::Result<Json> ParseStrict(std::string_view body) {
  if (NestingDepth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    return MalformedError("JSON nested deeper than " + std::to_string(kMaxJsonDepth));
  }
  std::vector<std::set<std::string, std::less<>>> open_objects;
  std::string duplicate;
  Json::parser_callback_t callback = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty() && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json doc = Json::parse(body.begin(), body.end(), callback, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return MalformedError("malformed JSON body");
  if (!duplicate.empty()) return UnprocessableError("duplicate field `" + duplicate + "`");
  if (!doc.is_object()) return UnprocessableError("JSON body must be an object");
  return doc;
}

bool IsAllowed(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

core::Status CheckJsonContentType(std::optional<std::string_view> content_type) {
  if (!content_type) return UnsupportedMediaTypeError("missing Content-Type (want JSON)");
  std::string_view essence = TrimOws(content_type->substr(0, content_type->find(';')));
  size_t slash = essence.find('/');
  if (slash != std::string_view::npos) {
    std::string type = AsciiLower(essence.substr(0, slash));
    std::string subtype = AsciiLower(essence.substr(slash + 1));
    bool json_subtype = subtype == "json" || (subtype.size() > 5 &&
                                              subtype.compare(subtype.size() - 5, 5, "+json") == 0);
    if (type == "application" && IsToken(subtype) && json_subtype) return core::OkStatus();
  }
  return UnsupportedMediaTypeError("Content-Type is not application/json");
}

struct JsonObjectReader::Impl {
  Json object;
  std::set<std::string, std::less<>> read_keys;
  std::optional<core::Error> first_error;

  // Marks `key` as read; nullptr when absent. Null values are returned as JSON null.
  const Json* Find(std::string_view key) {
    read_keys.emplace(key);
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  }
  void Fail(std::string_view key, std::string_view what) {
    if (!first_error) {
      first_error = UnprocessableError("field `" + std::string(key) + "`: " + std::string(what));
    }
  }
  // The value of `key` when it is present, not null, and of the type `is_type` accepts.
  const Json* Typed(std::string_view key, bool required, bool (Json::*is_type)() const noexcept,
                    std::string_view type_name) {
    const Json* value = Find(key);
    if (value == nullptr || value->is_null()) {
      if (required) {
        Fail(key, value == nullptr ? "missing field" : "null, expected " + std::string(type_name));
      }
      return nullptr;
    }
    if (!(value->*is_type)()) {
      Fail(key, "expected " + std::string(type_name));
      return nullptr;
    }
    return value;
  }
  std::optional<int64_t> Int(std::string_view key, bool required, int64_t min, int64_t max) {
    const Json* value = Typed(key, required, &Json::is_number_integer, "an integer");
    if (value == nullptr) return std::nullopt;
    if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(max)) {
      Fail(key, "integer out of range");
      return std::nullopt;
    }
    int64_t number = value->get<int64_t>();
    if (!value->is_number_unsigned() && (number < min || number > max)) {
      Fail(key, "integer out of range");
      return std::nullopt;
    }
    return number;
  }
  std::optional<std::vector<std::string>> Strings(std::string_view key, bool required) {
    const Json* value = Typed(key, required, &Json::is_array, "an array of strings");
    if (value == nullptr) return std::nullopt;
    std::vector<std::string> out;
    out.reserve(value->size());
    for (const Json& item : *value) {
      if (!item.is_string()) {
        Fail(key, "expected an array of strings");
        return std::nullopt;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  std::optional<std::string> String(std::string_view key, bool required) {
    const Json* value = Typed(key, required, &Json::is_string, "a string");
    if (value == nullptr) return std::nullopt;
    return value->get<std::string>();
  }
  std::optional<bool> Bool(std::string_view key, bool required) {
    const Json* value = Typed(key, required, &Json::is_boolean, "a boolean");
    if (value == nullptr) return std::nullopt;
    return value->get<bool>();
  }
  void CheckEnum(std::string_view key, std::string_view value,
                 std::initializer_list<std::string_view> allowed) {
    if (!IsAllowed(value, allowed)) Fail(key, "unknown variant `" + std::string(value) + "`");
  }
};

JsonObjectReader::JsonObjectReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonObjectReader::JsonObjectReader(JsonObjectReader&&) noexcept = default;
JsonObjectReader& JsonObjectReader::operator=(JsonObjectReader&&) noexcept = default;
JsonObjectReader::~JsonObjectReader() = default;

core::Result<JsonObjectReader> JsonObjectReader::Parse(std::string_view body) {
  core::Result<Json> doc = ParseStrict(body);
  if (!doc.ok()) return doc.error();
  auto impl = std::make_unique<Impl>();
  impl->object = std::move(*doc);
  return JsonObjectReader(std::move(impl));
}

std::string JsonObjectReader::RequiredString(std::string_view key) {
  return impl_->String(key, true).value_or(std::string());
}

std::optional<std::string> JsonObjectReader::OptionalString(std::string_view key) {
  return impl_->String(key, false);
}

Nullable<std::string> JsonObjectReader::NullableString(std::string_view key) {
  Nullable<std::string> out;
  const Json* raw = impl_->Find(key);
  if (raw == nullptr) return out;
  if (raw->is_null()) {
    out.state = Nullable<std::string>::State::kNull;
    return out;
  }
  if (std::optional<std::string> value = impl_->String(key, false)) {
    out.state = Nullable<std::string>::State::kValue;
    out.value = std::move(*value);
  }
  return out;
}

bool JsonObjectReader::RequiredBool(std::string_view key) {
  return impl_->Bool(key, true).value_or(false);
}

std::optional<bool> JsonObjectReader::OptionalBool(std::string_view key) {
  return impl_->Bool(key, false);
}

int64_t JsonObjectReader::RequiredInt(std::string_view key, int64_t min, int64_t max) {
  return impl_->Int(key, true, min, max).value_or(0);
}

std::optional<int64_t> JsonObjectReader::OptionalInt(std::string_view key, int64_t min,
                                                     int64_t max) {
  return impl_->Int(key, false, min, max);
}

std::vector<std::string> JsonObjectReader::RequiredStringArray(std::string_view key) {
  return impl_->Strings(key, true).value_or(std::vector<std::string>());
}

std::optional<std::vector<std::string>> JsonObjectReader::OptionalStringArray(
    std::string_view key) {
  return impl_->Strings(key, false);
}

std::string JsonObjectReader::RequiredEnum(std::string_view key,
                                           std::initializer_list<std::string_view> allowed) {
  std::optional<std::string> value = impl_->String(key, true);
  if (value) impl_->CheckEnum(key, *value, allowed);
  return value.value_or(std::string());
}

std::optional<std::string> JsonObjectReader::OptionalEnum(
    std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::optional<std::string> value = impl_->String(key, false);
  if (value) impl_->CheckEnum(key, *value, allowed);
  return value;
}

std::optional<std::vector<std::string>> JsonObjectReader::OptionalEnumArray(
    std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::optional<std::vector<std::string>> values = impl_->Strings(key, false);
  for (const std::string& value : values.value_or(std::vector<std::string>())) {
    impl_->CheckEnum(key, value, allowed);
  }
  return values;
}

std::vector<std::string> JsonObjectReader::RequiredEnumArray(
    std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::vector<std::string> values = impl_->Strings(key, true).value_or(std::vector<std::string>());
  for (const std::string& value : values) impl_->CheckEnum(key, value, allowed);
  return values;
}

core::Status JsonObjectReader::Finish() const {
  if (impl_->first_error) return *impl_->first_error;
  for (const auto& item : impl_->object.items()) {
    if (impl_->read_keys.count(item.key()) == 0) {
      return UnprocessableError("unknown field `" + item.key() + "`");
    }
  }
  return core::OkStatus();
}

bool JsonObjectReader::ok() const { return !impl_->first_error.has_value(); }

core::Result<JsonObjectReader> ParseJsonBody(std::optional<std::string_view> content_type,
                                             std::string_view body) {
  FILAMENT_RETURN_IF_ERROR(CheckJsonContentType(content_type));
  return JsonObjectReader::Parse(body);
}

}  // namespace filament::api
