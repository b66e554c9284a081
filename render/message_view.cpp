#include "render/message_view.hpp"

#include <nlohmann/json.hpp>

#include "adapters/markdown/markdown_tokens.hpp"

namespace filament::render {

MessageView ViewOf(const events::MessagePosted& posted) {
  MessageView view;
  view.message_id = posted.message_id;
  view.guild_id = posted.guild_id;
  view.channel_id = posted.channel_id;
  view.author_id = posted.author_id;
  view.content = posted.content;
  view.markdown_tokens_json = markdown::MarkdownTokensJson(posted.content);
  view.created_at_unix = posted.created_at_unix;
  return view;
}

std::string MessageJson(const MessageView& m) {
  auto embed = [](const std::string& json_text) {
    auto parsed = nlohmann::json::parse(json_text, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json::array() : parsed;
  };
  nlohmann::ordered_json out;
  out["message_id"] = m.message_id;
  out["guild_id"] = m.guild_id;
  out["channel_id"] = m.channel_id;
  out["author_id"] = m.author_id;
  out["content"] = m.content;
  out["markdown_tokens"] = embed(m.markdown_tokens_json);
  out["attachments"] = embed(m.attachments_json);
  out["reactions"] = embed(m.reactions_json);
  out["created_at_unix"] = m.created_at_unix;
  return out.dump();
}

}  // namespace filament::render
