// Fuzz target: the HTTP/1.1 request reader (adapters/http/request_parser.*), fed the same bytes
// once whole and once in chunk splits chosen by the input.
// Input: [header cap selector][8 split sizes][bytes...].
// Invariant: framing does not depend on how the bytes arrive: both feeds report the same
// heads, bodies, completions and failure status (a transcript each, compared).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/request_parser.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

using filament::http::Framing;
using filament::http::HttpRequest;
using filament::http::Rejection;
using filament::http::RequestParser;

constexpr int64_t kBodyCap = 4096;

// Writes everything the parser reports into one string.
class Transcript : public RequestParser::Listener {
 public:
  void OnBegin() override { log += "B|"; }
  std::optional<Rejection> OnHead(HttpRequest head, const Framing& f) override {
    log += "H|" + head.method + "|" + head.path + "|" + head.query + "|";
    for (const auto& [name, value] : head.headers) log += name + ":" + value + "|";
    log += std::to_string(f.content_length.value_or(-1)) + (f.chunked ? "c" : "") +
           (f.keep_alive ? "k" : "") + (f.upgrade ? "u" : "") + (f.http10 ? "0" : "") +
           (f.expect_continue ? "e" : "") + (f.head_only ? "h" : "") + "|";
    body_bytes_ = 0;
    return std::nullopt;
  }
  std::optional<Rejection> OnBody(std::string_view bytes) override {
    FUZZ_CHECK(!bytes.empty());
    body_bytes_ += static_cast<int64_t>(bytes.size());
    body += bytes;  // bodies compared whole: chunk boundaries may differ
    if (body_bytes_ > kBodyCap) return Rejection{filament::http::JsonErrorResponse(413, "big")};
    return std::nullopt;
  }
  std::string log;
  std::string body;

 private:
  int64_t body_bytes_ = 0;
};

// Feeds `chunks` in order, carrying unconsumed bytes over; returns the transcript.
std::string Run(int64_t max_header, const std::vector<std::string_view>& chunks) {
  Transcript t;
  RequestParser parser(max_header, &t);
  std::string pending;
  for (std::string_view chunk : chunks) {
    pending.append(chunk);
    while (!pending.empty()) {
      const size_t used = parser.Feed(pending);
      FUZZ_CHECK(used <= pending.size());
      pending.erase(0, used);
      const auto state = parser.state();
      if (state == RequestParser::State::kComplete) {
        t.log += "C|" + t.body + "|";
        t.body.clear();
        parser.Next();
      } else if (state == RequestParser::State::kFailed) {
        return t.log + "F" + std::to_string(parser.failure().response.status);
      } else {
        FUZZ_CHECK(pending.empty());
      }
    }
  }
  return t.log + "E" + std::to_string(static_cast<int>(parser.state())) + t.body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  filament::fuzz::InputReader in(data, size);
  const int64_t max_header = 64 + in.Byte() * 16;
  std::array<uint8_t, 8> splits{};
  for (auto& s : splits) s = in.Byte();
  const std::string_view bytes = in.Rest();

  std::vector<std::string_view> chunks;
  for (size_t at = 0, i = 0; at < bytes.size(); ++i) {
    const size_t n = std::min<size_t>(1 + splits[i % splits.size()] % 64, bytes.size() - at);
    chunks.push_back(bytes.substr(at, n));
    at += n;
  }
  const std::string whole = Run(max_header, {bytes});
  const std::string split = Run(max_header, chunks);
  if (whole != split) {
    std::fprintf(stderr, "whole: %s\nsplit: %s\n", whole.c_str(), split.c_str());
  }
  FUZZ_CHECK(whole == split);
  return 0;
}
