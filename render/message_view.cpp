#include "render/message_view.hpp"

#include <nlohmann/json.hpp>

#include "adapters/markdown/markdown_tokens.hpp"
#include "core/json_text.hpp"

namespace filament::render {
namespace {

using Json = nlohmann::ordered_json;

Json Embed(const std::string& json_text) {
  auto parsed = Json::parse(json_text, nullptr, false);
  return parsed.is_discarded() ? Json::array() : parsed;
}

Json AttachmentObject(const AttachmentView& a) {
  Json out;
  out["attachment_id"] = a.attachment_id;
  out["guild_id"] = a.guild_id;
  out["channel_id"] = a.channel_id;
  out["owner_id"] = a.owner_id;
  out["filename"] = a.filename;
  out["mime_type"] = a.mime_type;
  out["size_bytes"] = a.size_bytes;
  out["sha256_hex"] = a.sha256_hex;
  return out;
}

Json ReactionObject(const ReactionView& r) {
  Json out;
  out["emoji"] = r.emoji;
  out["count"] = r.count;
  out["reacted_by_me"] = r.reacted_by_me;
  if (!r.reactor_user_ids.empty()) out["reactor_user_ids"] = r.reactor_user_ids;
  return out;
}

const std::string& At(const std::optional<std::vector<std::string>>& list, size_t i) {
  static const std::string kEmpty;
  return list && i < list->size() ? (*list)[i] : kEmpty;
}

}  // namespace

std::vector<AttachmentView> AttachmentsOf(const events::MessagePosted& posted) {
  std::vector<AttachmentView> out;
  for (size_t i = 0; i < posted.attachment_ids.size(); ++i) {
    AttachmentView a{posted.attachment_ids[i],
                     posted.guild_id,
                     posted.channel_id,
                     posted.author_id,
                     At(posted.attachment_filenames, i),
                     At(posted.attachment_mime_types, i),
                     0,
                     At(posted.attachment_sha256_hex, i)};
    const std::string& size = At(posted.attachment_size_bytes, i);
    a.size_bytes = size.empty() ? 0 : std::strtoull(size.c_str(), nullptr, 10);
    out.push_back(std::move(a));
  }
  return out;
}

AttachmentView ViewOf(const events::AttachmentUploaded& e) {
  return AttachmentView{e.attachment_id,
                        e.guild_id,
                        e.channel_id,
                        e.owner_id,
                        e.filename,
                        e.mime_type,
                        static_cast<uint64_t>(e.size_bytes),
                        e.sha256_hex};
}

MessageView ViewOf(const events::MessagePosted& posted) {
  MessageView view;
  view.message_id = posted.message_id;
  view.guild_id = posted.guild_id;
  view.channel_id = posted.channel_id;
  view.author_id = posted.author_id;
  view.content = posted.content;
  view.markdown_tokens_json = markdown::MarkdownTokensJson(posted.content);
  view.attachments_json = AttachmentsJson(AttachmentsOf(posted));
  view.created_at_unix = posted.created_at_unix;
  return view;
}

// The object is written directly: its three arrays are stored JSON text, spliced in when valid
// (checked without building a document; "[]" otherwise, as Embed), rather than parsed and
// serialized again for every message of every history page. Same bytes as a Json dump.
std::string MessageJson(const MessageView& m) {
  std::string out;
  out.reserve(160 + m.content.size() + m.markdown_tokens_json.size() + m.attachments_json.size() +
              m.reactions_json.size());
  auto key = [&out](const char* name) {
    out += out.empty() ? "{\"" : ",\"";
    out += name;
    out += "\":";
  };
  auto text = [&out, &key](const char* name, const std::string& value) {
    key(name);
    if (!core::AppendJsonString(out, value)) out += Json(value).dump();  // throws, as before
  };
  auto array = [&out, &key](const char* name, const std::string& json_text) {
    key(name);
    const bool valid = !json_text.empty() && json_text.front() == '[' && Json::accept(json_text);
    out += valid ? json_text : "[]";
  };
  text("message_id", m.message_id);
  text("guild_id", m.guild_id);
  text("channel_id", m.channel_id);
  text("author_id", m.author_id);
  text("content", m.content);
  array("markdown_tokens", m.markdown_tokens_json);
  array("attachments", m.attachments_json);
  array("reactions", m.reactions_json);
  key("created_at_unix");
  out += std::to_string(m.created_at_unix);
  out += '}';
  return out;
}

std::string AttachmentJson(const AttachmentView& attachment) {
  return AttachmentObject(attachment).dump();
}

std::string AttachmentsJson(const std::vector<AttachmentView>& attachments) {
  if (attachments.empty()) return "[]";  // most messages
  Json out = Json::array();
  for (const auto& a : attachments) out.push_back(AttachmentObject(a));
  return out.dump();
}

std::string ReactionJson(const ReactionView& reaction) { return ReactionObject(reaction).dump(); }

std::string ReactionsJson(const std::vector<ReactionView>& reactions) {
  if (reactions.empty()) return "[]";
  Json out = Json::array();
  for (const auto& r : reactions) out.push_back(ReactionObject(r));
  return out.dump();
}

std::string MarkdownTokensJson(const std::string& content) {
  return markdown::MarkdownTokensJson(content);
}

std::string MessageUpdateJson(const events::MessageEdited& e) {
  Json out;
  out["guild_id"] = e.guild_id;
  out["channel_id"] = e.channel_id;
  out["message_id"] = e.message_id;
  out["updated_fields"] = {{"content", e.content},
                           {"markdown_tokens", Embed(markdown::MarkdownTokensJson(e.content))}};
  out["updated_at_unix"] = e.edited_at_unix;
  return out.dump();
}

}  // namespace filament::render
