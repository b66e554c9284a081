#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

// RFC 6455 framing for the server side: an incremental, bounded parser of client frames and an
// encoder of server frames. Pure code (no sockets), so it is unit-tested byte by byte.
namespace filament::http {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// A complete data message (kText/kBinary, reassembled from fragments) or one control frame.
// `payload` is valid only during the callback.
struct WsFrameEvent {
  WsOpcode opcode;
  std::string_view payload;
};

enum class WsParseStatus { kOk, kProtocolError, kTooLarge };

// Parses frames sent by a client. Enforces: masking, no RSV bits, known opcodes, control frames
// unfragmented and <= 125 bytes, continuation only inside a fragmented message, UTF-8 text,
// valid Close payloads, and the message cap *before* buffering a frame's payload.
// Not thread-safe (one per connection).
class WsFrameParser {
 public:
  explicit WsFrameParser(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Consumes all of `bytes`, calling `on_event` per complete message or control frame. If
  // `on_event` returns false, parsing stops and the rest is discarded (returns kOk). After a
  // non-kOk result the parser must not be fed again.
  WsParseStatus Feed(std::string_view bytes,
                     const std::function<bool(const WsFrameEvent&)>& on_event);

  // Bytes currently held for an unfinished message or frame.
  size_t buffered_bytes() const { return message_.size() + control_.size() + header_len_; }

 private:
  WsParseStatus ParseHeader(std::string_view& bytes);
  WsParseStatus StartFrame();
  WsParseStatus FinishFrame(const std::function<bool(const WsFrameEvent&)>& on_event,
                            bool& keep_going);

  size_t max_message_bytes_;
  std::array<uint8_t, 14> header_{};
  size_t header_len_ = 0;
  bool in_payload_ = false;
  bool fin_ = false;
  WsOpcode opcode_ = WsOpcode::kContinuation;
  std::array<uint8_t, 4> mask_{};
  uint64_t remaining_ = 0;
  uint64_t mask_offset_ = 0;
  bool in_message_ = false;  // a fragmented data message is being assembled
  WsOpcode message_opcode_ = WsOpcode::kText;
  std::string message_;
  std::string control_;
};

// Appends one unmasked FIN frame (as a server sends it) to `out`.
void AppendWsFrame(std::string& out, WsOpcode opcode, std::string_view payload);
// Appends a Close frame with `code` and `reason` (truncated to 123 bytes on a UTF-8 boundary).
void AppendWsCloseFrame(std::string& out, uint16_t code, std::string_view reason);

}  // namespace filament::http
