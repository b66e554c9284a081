#include "gateway/envelope.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/ulid.hpp"

namespace filament::gateway {
namespace {

using Json = nlohmann::json;
constexpr size_t kMaxEventTypeLength = 64;
constexpr size_t kMaxContentBytes = 2000;
constexpr size_t kMaxAttachments = 5;
constexpr int kMaxDepth = 32;

// Parses JSON, rejecting duplicate top-level keys (as a strict struct decoder does) and
// nesting deeper than kMaxDepth.
std::optional<Json> ParseStrict(std::string_view text) {
  bool bad = false;
  std::set<std::string> top_keys;
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxDepth) bad = true;
    if (event == Json::parse_event_t::key && depth == 1 &&
        !top_keys.insert(parsed.get<std::string>()).second) {
      bad = true;
    }
    return !bad;
  };
  Json value = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (bad || value.is_discarded()) return std::nullopt;
  return value;
}

// The canonical form of a ULID string, or nullopt.
std::optional<std::string> CanonicalUlid(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  auto ulid = core::Ulid::Parse(value.get_ref<const std::string&>());
  if (!ulid) return std::nullopt;
  return ulid->ToString();
}

bool HasOnlyKeys(const Json& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) return false;
  }
  return true;
}

std::optional<SubscribeCommand> ParseSubscribe(const Json& d) {
  if (!d.is_object() || d.size() != 2 || !HasOnlyKeys(d, {"guild_id", "channel_id"})) {
    return std::nullopt;
  }
  auto guild = CanonicalUlid(d["guild_id"]);
  auto channel = CanonicalUlid(d["channel_id"]);
  if (!guild || !channel) return std::nullopt;
  return SubscribeCommand{*guild, *channel};
}

std::optional<std::vector<std::string>> ParseAttachmentIds(const Json& d) {
  std::vector<std::string> ids;
  auto it = d.find("attachment_ids");
  if (it == d.end() || it->is_null()) return ids;
  if (!it->is_array() || it->size() > kMaxAttachments) return std::nullopt;
  for (const Json& element : *it) {
    auto id = CanonicalUlid(element);
    if (!id) return std::nullopt;
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  return ids;
}

std::optional<MessageCreateCommand> ParseMessageCreate(const Json& d) {
  if (!d.is_object() || !HasOnlyKeys(d, {"guild_id", "channel_id", "content", "attachment_ids"}) ||
      !d.contains("guild_id") || !d.contains("channel_id") || !d.contains("content")) {
    return std::nullopt;
  }
  auto guild = CanonicalUlid(d["guild_id"]);
  auto channel = CanonicalUlid(d["channel_id"]);
  auto attachments = ParseAttachmentIds(d);
  const Json& content = d["content"];
  if (!guild || !channel || !attachments || !content.is_string()) return std::nullopt;
  const auto& text = content.get_ref<const std::string&>();
  if (text.size() > kMaxContentBytes || (text.empty() && attachments->empty())) {
    return std::nullopt;
  }
  return MessageCreateCommand{*guild, *channel, text, std::move(*attachments)};
}

std::optional<ResumeCommand> ParseResume(const Json& d) {
  if (!d.is_object() || d.size() != 2 || !HasOnlyKeys(d, {"cursor", "subscriptions"})) {
    return std::nullopt;
  }
  const Json& cursor_text = d["cursor"];
  const Json& subscriptions = d["subscriptions"];
  if (!cursor_text.is_string() || !subscriptions.is_array() ||
      subscriptions.size() > kMaxResumeSubscriptions) {
    return std::nullopt;
  }
  auto cursor = ParseCursor(cursor_text.get_ref<const std::string&>());
  if (!cursor) return std::nullopt;
  ResumeCommand command{std::move(*cursor), {}};
  std::set<std::pair<std::string, std::string>> seen;
  for (const Json& element : subscriptions) {
    auto subscription = ParseSubscribe(element);
    if (!subscription) return std::nullopt;
    if (!seen.emplace(subscription->guild_id, subscription->channel_id).second) continue;
    command.subscriptions.push_back(std::move(*subscription));
  }
  return command;
}

}  // namespace

std::string_view RejectionReason(IngressRejection rejection) {
  switch (rejection) {
    case IngressRejection::kInvalidEnvelope:
      return "invalid_envelope";
    case IngressRejection::kInvalidSubscribePayload:
      return "invalid_subscribe_payload";
    case IngressRejection::kInvalidMessageCreatePayload:
      return "invalid_message_create_payload";
    case IngressRejection::kInvalidResumePayload:
      return "invalid_resume_payload";
  }
  return "invalid_envelope";
}

bool IsValidEventType(std::string_view type) {
  if (type.empty() || type.size() > kMaxEventTypeLength) return false;
  return std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

std::variant<IngressCommand, IngressRejection> ParseIngress(std::string_view frame, int version) {
  std::optional<Json> root = ParseStrict(frame);
  if (!root || !root->is_object() || root->size() != 3 || !root->contains("v") ||
      !root->contains("t") || !root->contains("d")) {
    return IngressRejection::kInvalidEnvelope;
  }
  const Json& v = (*root)["v"];
  const Json& t = (*root)["t"];
  if (!v.is_number_unsigned() || v.get<uint64_t>() != static_cast<uint64_t>(version) ||
      !t.is_string() || !IsValidEventType(t.get_ref<const std::string&>())) {
    return IngressRejection::kInvalidEnvelope;
  }
  const std::string& type = t.get_ref<const std::string&>();
  const Json& d = (*root)["d"];
  if (type == "subscribe") {
    auto command = ParseSubscribe(d);
    if (!command) return IngressRejection::kInvalidSubscribePayload;
    return IngressCommand(std::move(*command));
  }
  if (type == "message_create") {
    auto command = ParseMessageCreate(d);
    if (!command) return IngressRejection::kInvalidMessageCreatePayload;
    return IngressCommand(std::move(*command));
  }
  if (version == 2 && type == "resume") {
    auto command = ParseResume(d);
    if (!command) return IngressRejection::kInvalidResumePayload;
    return IngressCommand(std::move(*command));
  }
  return IngressCommand(UnknownCommand{type});
}

std::optional<std::string> BuildEnvelope(std::string_view type, std::string_view payload_json) {
  if (!IsValidEventType(type)) return std::nullopt;
  std::string out;
  out.reserve(type.size() + payload_json.size() + 22);
  out += R"({"v":1,"t":")";
  out += type;
  out += R"(","d":)";
  out += payload_json;
  out += '}';
  return out;
}

std::optional<std::string> BuildEnvelopeV2(std::string_view type, std::string_view payload_json) {
  std::optional<std::string> out = BuildEnvelope(type, payload_json);
  if (out) (*out)[5] = '2';  // {"v":1 → {"v":2
  return out;
}

std::string BuildLogEnvelopeV2(std::string_view type, std::string_view payload_json,
                               std::string_view pos, std::string_view cursor) {
  std::string out;
  out.reserve(type.size() + payload_json.size() + pos.size() + cursor.size() + 48);
  out += R"({"v":2,"t":")";
  out += type;
  out += R"(","d":)";
  out += payload_json;
  out += R"(,"pos":")";
  out += pos;
  out += R"(","cursor":")";
  out += cursor;
  out += R"("})";
  return out;
}

}  // namespace filament::gateway
