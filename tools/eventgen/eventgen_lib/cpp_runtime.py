"""Fixed C++ text emitted into event_types.cpp: JSON writing and checked field reading."""

RUNTIME = r'''
using Json = nlohmann::json;

constexpr size_t kMaxPayloadBytes = size_t{1} << 20;  // 1 MiB, before and after upcasting
constexpr size_t kMaxQuotedBytes = 64;                // of untrusted text echoed in errors

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), from core.
using core::IsValidUtf8;
using core::Utf8SequenceLength;

// Appends `text` as a JSON string. Invalid UTF-8 bytes become U+FFFD, so the output is always
// valid JSON even for a struct filled with garbage.
void AppendJsonString(std::string& out, std::string_view text) {
  constexpr std::string_view kHex = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    const auto c = static_cast<uint8_t>(text[i]);
    if (length == 0) {
      out.append("\xEF\xBF\xBD");
      i += 1;
      continue;
    }
    if (length > 1) {
      out.append(text.substr(i, length));
    } else if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(static_cast<char>(c));
    }
    i += length;
  }
  out.push_back('"');
}

// Untrusted text for an error message: at most kMaxQuotedBytes, JSON-escaped.
std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(out, text.substr(0, kMaxQuotedBytes));
  if (text.size() > kMaxQuotedBytes) out.insert(out.size() - 1, "...");
  return out;
}

// Builds a compact JSON object; keys come out in call order (schema order).
class JsonWriter {
 public:
  JsonWriter() { out_.push_back('{'); }
  void Text(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(out_, value);
  }
  void Int(std::string_view key, int64_t value) {
    Key(key);
    out_.append(std::to_string(value));
  }
  void Bool(std::string_view key, bool value) {
    Key(key);
    out_.append(value ? "true" : "false");
  }
  void TextList(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    out_.push_back('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_.push_back(',');
      AppendJsonString(out_, values[i]);
    }
    out_.push_back(']');
  }
  std::string Finish() && {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  void Key(std::string_view key) {
    if (out_.size() > 1) out_.push_back(',');
    AppendJsonString(out_, key);
    out_.push_back(':');
  }
  std::string out_;
};

// How a JSON string is checked: free text (byte length), a ULID, or one of `values`.
struct TextRule {
  enum class Kind { kText, kUlid, kEnum };
  Kind kind = Kind::kText;
  size_t min_bytes = 0;
  size_t max_bytes = 0;
  std::span<const std::string_view> values = {};
};

constexpr TextRule kUlidRule{TextRule::Kind::kUlid, 26, 26, {}};
constexpr TextRule BytesRule(size_t min_bytes, size_t max_bytes) {
  return TextRule{TextRule::Kind::kText, min_bytes, max_bytes, {}};
}
constexpr TextRule EnumRule(std::span<const std::string_view> values) {
  return TextRule{TextRule::Kind::kEnum, 0, 0, values};
}

// Checked reads of the fields of one JSON object. Never throws: every access is guarded by a
// type test. Errors are kInvalidArgument naming the event type and the field. Unknown fields
// are ignored (additive evolution). An optional field that is absent or null reads as nullopt.
class FieldReader {
 public:
  FieldReader(std::string_view type, const Json& object) : type_(type), object_(object) {}

  core::Status Text(std::string_view field, const TextRule& rule, std::string& out) const {
    return Required(field, [&](const Json& v) { return CheckText(field, v, rule, out); });
  }
  core::Status Text(std::string_view field, const TextRule& rule,
                    std::optional<std::string>& out) const {
    return Optional(field, out,
                    [&](const Json& v, std::string& o) { return CheckText(field, v, rule, o); });
  }
  core::Status Int(std::string_view field, int64_t min, int64_t max, int64_t& out) const {
    return Required(field, [&](const Json& v) { return CheckInt(field, v, min, max, out); });
  }
  core::Status Int(std::string_view field, int64_t min, int64_t max,
                   std::optional<int64_t>& out) const {
    return Optional(field, out,
                    [&](const Json& v, int64_t& o) { return CheckInt(field, v, min, max, o); });
  }
  core::Status Bool(std::string_view field, bool& out) const {
    return Required(field, [&](const Json& v) { return CheckBool(field, v, out); });
  }
  core::Status Bool(std::string_view field, std::optional<bool>& out) const {
    return Optional(field, out, [&](const Json& v, bool& o) { return CheckBool(field, v, o); });
  }
  core::Status TextList(std::string_view field, size_t max_items, const TextRule& rule,
                        std::vector<std::string>& out) const {
    return Required(field,
                    [&](const Json& v) { return CheckTextList(field, v, max_items, rule, out); });
  }
  core::Status TextList(std::string_view field, size_t max_items, const TextRule& rule,
                        std::optional<std::vector<std::string>>& out) const {
    return Optional(field, out, [&](const Json& v, std::vector<std::string>& o) {
      return CheckTextList(field, v, max_items, rule, o);
    });
  }

 private:
  const Json* Find(std::string_view field) const {
    const auto it = object_.find(std::string(field));
    return it == object_.end() ? nullptr : &*it;
  }

  template <typename Check>
  core::Status Required(std::string_view field, Check check) const {
    const Json* value = Find(field);
    if (value == nullptr) return Fail(field, "is missing");
    return check(*value);
  }

  template <typename T, typename Check>
  core::Status Optional(std::string_view field, std::optional<T>& out, Check check) const {
    out.reset();
    const Json* value = Find(field);
    if (value == nullptr || value->is_null()) return core::OkStatus();
    T parsed{};
    FILAMENT_RETURN_IF_ERROR(check(*value, parsed));
    out = std::move(parsed);
    return core::OkStatus();
  }

  core::Status CheckText(std::string_view field, const Json& value, const TextRule& rule,
                         std::string& out) const {
    if (!value.is_string()) return Fail(field, "must be a string");
    const auto& text = value.get_ref<const std::string&>();
    if (!IsValidUtf8(text)) return Fail(field, "is not valid UTF-8");
    if (rule.kind == TextRule::Kind::kUlid && !core::Ulid::IsValid(text)) {
      return Fail(field, "must be a ULID, got " + Quoted(text));
    }
    if (rule.kind == TextRule::Kind::kEnum &&
        std::find(rule.values.begin(), rule.values.end(), text) == rule.values.end()) {
      return Fail(field, "has a value that is not allowed: " + Quoted(text));
    }
    if (rule.kind == TextRule::Kind::kText &&
        (text.size() < rule.min_bytes || text.size() > rule.max_bytes)) {
      return Fail(field, "must be " + std::to_string(rule.min_bytes) + ".." +
                             std::to_string(rule.max_bytes) + " UTF-8 bytes, got " +
                             std::to_string(text.size()));
    }
    out = text;
    return core::OkStatus();
  }

  core::Status CheckInt(std::string_view field, const Json& value, int64_t min, int64_t max,
                        int64_t& out) const {
    int64_t number = 0;
    if (value.is_number_unsigned()) {
      const auto unsigned_number = value.get<uint64_t>();
      if (unsigned_number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Fail(field, "is out of range");
      }
      number = static_cast<int64_t>(unsigned_number);
    } else if (value.is_number_integer()) {
      number = value.get<int64_t>();
    } else {
      return Fail(field, "must be an integer");
    }
    if (number < min || number > max) {
      return Fail(field, "must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                             "], got " + std::to_string(number));
    }
    out = number;
    return core::OkStatus();
  }

  core::Status CheckBool(std::string_view field, const Json& value, bool& out) const {
    if (!value.is_boolean()) return Fail(field, "must be a boolean");
    out = value.get<bool>();
    return core::OkStatus();
  }

  core::Status CheckTextList(std::string_view field, const Json& value, size_t max_items,
                             const TextRule& rule, std::vector<std::string>& out) const {
    if (!value.is_array()) return Fail(field, "must be an array");
    if (value.size() > max_items) {
      return Fail(field, "must have at most " + std::to_string(max_items) + " items, got " +
                             std::to_string(value.size()));
    }
    out.clear();
    out.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item_field = std::string(field) + "[" + std::to_string(i) + "]";
      FILAMENT_RETURN_IF_ERROR(CheckText(item_field, value[i], rule, out.emplace_back()));
    }
    return core::OkStatus();
  }

  core::Error Fail(std::string_view field, const std::string& what) const {
    return core::InvalidArgument(std::string(type_) + ": field '" + std::string(field) + "' " +
                                 what);
  }

  std::string_view type_;
  const Json& object_;
};

using DecodeFn = core::Result<Event> (*)(const Json&);
using UpcastFn = core::Result<std::string> (*)(std::string_view);

// One decodable event type. upcasters[i] turns a version i+1 payload into version i+2.
struct Codec {
  std::string_view type;
  int32_t version = 0;
  DecodeFn decode = nullptr;
  std::span<const UpcastFn> upcasters = {};
};

template <typename T, typename Variant>
struct IsAlternative;
template <typename T, typename... Ts>
struct IsAlternative<T, std::variant<Ts...>>
    : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

template <typename Narrow>
std::optional<Narrow> NarrowTo(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::optional<Narrow> {
        if constexpr (IsAlternative<std::decay_t<decltype(e)>, Narrow>::value) {
          return Narrow{e};
        } else {
          return std::nullopt;
        }
      },
      event);
}
'''

PUBLIC = r'''
namespace {

const Codec* FindCodec(std::string_view type) {
  for (const Codec& codec : kCodecs) {
    if (codec.type == type) return &codec;
  }
  return nullptr;
}

core::Result<std::string> Upcast(const Codec& codec, int32_t from_version,
                                 std::string_view payload_json) {
  std::string payload(payload_json);
  for (int32_t version = from_version; version < codec.version; ++version) {
    auto next = codec.upcasters[static_cast<size_t>(version - 1)](payload);
    if (!next.ok()) {
      core::Error error = next.error();
      error.message = std::string(codec.type) + ": upcast from v" + std::to_string(version) +
                      " failed: " + error.message;
      return error;
    }
    payload = std::move(next).value();
    if (payload.size() > kMaxPayloadBytes) {
      return core::InvalidArgument(std::string(codec.type) + ": upcast payload exceeds 1 MiB");
    }
  }
  return payload;
}

core::Result<Event> ParseAndDecode(const Codec& codec, std::string_view payload_json) {
  const Json json = Json::parse(payload_json.begin(), payload_json.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return core::InvalidArgument(std::string(codec.type) + ": payload is not valid JSON");
  }
  if (!json.is_object()) {
    return core::InvalidArgument(std::string(codec.type) + ": payload must be a JSON object");
  }
  return codec.decode(json);
}

}  // namespace

core::Result<Event> DecodeEvent(std::string_view type, int32_t schema_version,
                                std::string_view payload_json) {
  const Codec* codec = FindCodec(type);
  if (codec == nullptr) return core::InvalidArgument("unknown event type " + Quoted(type));
  if (schema_version < 1 || schema_version > codec->version) {
    return core::InvalidArgument(std::string(type) + ": unsupported schema_version " +
                                 std::to_string(schema_version) + " (current is " +
                                 std::to_string(codec->version) + ")");
  }
  if (payload_json.size() > kMaxPayloadBytes) {
    return core::InvalidArgument(std::string(type) + ": payload exceeds 1 MiB");
  }
  if (schema_version == codec->version) return ParseAndDecode(*codec, payload_json);
  auto upcast = Upcast(*codec, schema_version, payload_json);
  if (!upcast.ok()) return upcast.error();
  return ParseAndDecode(*codec, *upcast);
}

std::string_view TypeOf(const Event& event) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kType; }, event);
}

int32_t SchemaVersionOf(const Event& event) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kVersion; }, event);
}

std::string StreamKeyOf(const Event& event) {
  return std::visit([](const auto& e) { return e.StreamKey(); }, event);
}

std::string EncodePayload(const Event& event) {
  return std::visit([](const auto& e) { return EncodePayload(e); }, event);
}
'''
