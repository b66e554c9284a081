// Fuzz target: the WebSocket frame reader (adapters/http/ws_frame.*), fed the same bytes
// whole and in chunk splits chosen by the input.
// Input: [cap selector][8 split sizes][bytes...].
// Invariants: the events and the final status do not depend on the split; text messages and
// control payloads respect the caps (<= the message cap, control <= 125 bytes); text messages
// are valid UTF-8; buffered bytes never exceed the cap plus one frame header.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/ws_frame.hpp"
#include "tools/fuzz/fuzz_check.hpp"

namespace {

using filament::http::WsFrameEvent;
using filament::http::WsFrameParser;
using filament::http::WsOpcode;
using filament::http::WsParseStatus;

std::string Run(size_t cap, const std::vector<std::string_view>& chunks) {
  WsFrameParser parser(cap);
  std::string log;
  size_t events = 0;
  auto on_event = [&](const WsFrameEvent& e) {
    const bool control = static_cast<uint8_t>(e.opcode) >= 0x8;
    FUZZ_CHECK(control ? e.payload.size() <= 125 : e.payload.size() <= cap);
    if (e.opcode == WsOpcode::kText) FUZZ_CHECK(filament::fuzz::ReferenceUtf8(e.payload));
    log += std::to_string(static_cast<int>(e.opcode)) + ":" + std::string(e.payload) + "|";
    return ++events < 16;  // the reader may stop early; the rest is discarded
  };
  for (std::string_view chunk : chunks) {
    const WsParseStatus status = parser.Feed(chunk, on_event);
    FUZZ_CHECK(parser.buffered_bytes() <= cap + 125 + 14);
    if (status != WsParseStatus::kOk) return log + "S" + std::to_string(static_cast<int>(status));
    if (events >= 16) return log + "stopped";
  }
  return log + "end";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  filament::fuzz::InputReader in(data, size);
  const size_t cap = 1 + in.Byte() * 4;
  std::array<uint8_t, 8> splits{};
  for (auto& s : splits) s = in.Byte();
  const std::string_view bytes = in.Rest();

  std::vector<std::string_view> chunks;
  for (size_t at = 0, i = 0; at < bytes.size(); ++i) {
    const size_t n = std::min<size_t>(1 + splits[i % splits.size()] % 32, bytes.size() - at);
    chunks.push_back(bytes.substr(at, n));
    at += n;
  }
  const std::string whole = Run(cap, {bytes});
  const std::string split = Run(cap, chunks);
  FUZZ_CHECK(whole == split);
  return 0;
}
