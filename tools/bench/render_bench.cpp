// Per-message CPU of what every post and every rebuilt message pays outside the database:
// decoding its log record, tokenizing its markdown, writing the tokens as JSON (directly and,
// for comparison, through an nlohmann document as before ADR 0108) and writing the Message
// object. One thread, no I/O; prints microseconds per message for each step.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "adapters/markdown/markdown_tokens.hpp"
#include "adapters/markdown/token_writer.hpp"  // the document form, for comparison
#include "events/testing/builders.hpp"
#include "render/message_view.hpp"

namespace {

using namespace filament;

// Chat lines with the markdown people write (the shapes of replay_bench's corpus).
const std::vector<std::string> kContents = {
    "deploy the **build** today `fix()` [docs](https://example.com/docs) thanks review merge",
    "# meeting notes latency cache\n- index\n- query",
    "it's \"quoted\" C:\\dir\ttab _tests_ tomorrow ticket design",
    "thanks",
    "merge review\n```\nmake tests -j2\n```",
    "> release server client _today_ https://example.com/ticket/42",
};

template <typename F>
double MicrosPerCall(int64_t n, F f) {
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) f(static_cast<size_t>(i) % kContents.size());
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
             .count() /
         static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"render_bench: per-message decode, markdown and JSON writing cost"};
  int64_t messages = 200'000;
  int rounds = 3;
  app.add_option("--messages", messages, "messages per step and round")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  app.add_option("--rounds", rounds)->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> payloads;
  std::vector<std::vector<markdown::MarkdownToken>> tokens;
  std::vector<render::MessageView> views;
  for (const std::string& content : kContents) {
    events::MessagePosted posted = events::testing::MessagePostedExample(content);
    posted.attachment_ids.clear();  // most messages have none
    posted.attachment_filenames.reset();
    posted.attachment_mime_types.reset();
    posted.attachment_size_bytes.reset();
    posted.attachment_sha256_hex.reset();
    payloads.push_back(events::EncodePayload(events::Event(posted)));
    tokens.push_back(markdown::TokenizeMarkdown(content));
    views.push_back(render::ViewOf(posted));
  }
  size_t sink = 0;
  std::printf(
      "µs per message, one thread\n\n| round | decode record | tokenize | tokens JSON, "
      "direct | tokens JSON, document | Message object |\n|---|---|---|---|---|---|\n");
  for (int round = 1; round <= rounds; ++round) {
    const double decode = MicrosPerCall(messages, [&](size_t i) {
      sink += events::DecodeEvent("message_posted", 1, payloads[i]).ok() ? 1 : 0;
    });
    const double tokenize = MicrosPerCall(
        messages, [&](size_t i) { sink += markdown::TokenizeMarkdown(kContents[i]).size(); });
    const double direct = MicrosPerCall(
        messages, [&](size_t i) { sink += markdown::MarkdownTokensToJson(tokens[i]).size(); });
    const double document = MicrosPerCall(messages, [&](size_t i) {
      sink += markdown::internal::MarkdownTokensToJsonDocument(tokens[i]).size();
    });
    const double message =
        MicrosPerCall(messages, [&](size_t i) { sink += render::MessageJson(views[i]).size(); });
    std::printf("| %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", round, decode, tokenize, direct,
                document, message);
  }
  return sink == 0 ? 1 : 0;
}
