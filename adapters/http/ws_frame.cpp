#include "adapters/http/ws_frame.hpp"

#include <algorithm>

#include "core/utf8.hpp"

namespace filament::http {
namespace {

constexpr size_t kMaxControlPayload = 125;

bool IsControl(WsOpcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

bool IsKnownOpcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

size_t HeaderSize(uint8_t second_byte) {
  const uint8_t len7 = second_byte & 0x7F;
  size_t size = 2 + 4;  // client frames always carry a mask key
  if (len7 == 126) size += 2;
  if (len7 == 127) size += 8;
  return size;
}

// RFC 6455 §7.4: codes a peer may put on the wire.
bool IsValidCloseCode(uint16_t code) {
  if (code < 1000 || code >= 5000) return false;
  if (code == 1004 || code == 1005 || code == 1006 || code == 1015) return false;
  return !(code > 1015 && code < 3000);
}

bool IsValidClosePayload(std::string_view payload) {
  if (payload.empty()) return true;
  if (payload.size() == 1) return false;
  const auto code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                          static_cast<uint8_t>(payload[1]));
  return IsValidCloseCode(code) && core::IsValidUtf8(payload.substr(2));
}

}  // namespace

WsParseStatus WsFrameParser::Feed(std::string_view bytes,
                                  const std::function<bool(const WsFrameEvent&)>& on_event) {
  while (!bytes.empty() || (in_payload_ && remaining_ == 0)) {
    if (!in_payload_) {
      const WsParseStatus status = ParseHeader(bytes);
      if (status != WsParseStatus::kOk) return status;
      if (!in_payload_) return WsParseStatus::kOk;  // header still incomplete
    }
    std::string& target = IsControl(opcode_) ? control_ : message_;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
    const size_t base = target.size();
    target.append(bytes.data(), take);
    for (size_t i = 0; i < take; ++i) {
      target[base + i] = static_cast<char>(target[base + i] ^ mask_[(mask_offset_ + i) & 3]);
    }
    mask_offset_ += take;
    remaining_ -= take;
    bytes.remove_prefix(take);
    if (remaining_ == 0) {
      bool keep_going = true;
      const WsParseStatus status = FinishFrame(on_event, keep_going);
      if (status != WsParseStatus::kOk || !keep_going) return status;
    }
  }
  return WsParseStatus::kOk;
}

WsParseStatus WsFrameParser::ParseHeader(std::string_view& bytes) {
  while (!bytes.empty()) {
    const size_t needed = header_len_ < 2 ? 2 : HeaderSize(header_[1]);
    if (header_len_ >= needed) break;
    const size_t take = std::min(needed - header_len_, bytes.size());
    std::copy_n(bytes.data(), take, header_.data() + header_len_);
    header_len_ += take;
    bytes.remove_prefix(take);
    if (header_len_ == 2) {
      // Validate what the first two bytes tell before waiting for the rest.
      if ((header_[0] & 0x70) != 0) return WsParseStatus::kProtocolError;  // RSV1-3
      if (!IsKnownOpcode(header_[0] & 0x0F)) return WsParseStatus::kProtocolError;
      if ((header_[1] & 0x80) == 0) return WsParseStatus::kProtocolError;  // unmasked
    }
  }
  if (header_len_ < 2 || header_len_ < HeaderSize(header_[1])) return WsParseStatus::kOk;
  return StartFrame();
}

WsParseStatus WsFrameParser::StartFrame() {
  fin_ = (header_[0] & 0x80) != 0;
  opcode_ = static_cast<WsOpcode>(header_[0] & 0x0F);
  const uint8_t len7 = header_[1] & 0x7F;
  uint64_t length = len7;
  size_t pos = 2;
  if (len7 == 126) {
    length = (uint64_t{header_[2]} << 8) | header_[3];
    pos = 4;
  } else if (len7 == 127) {
    length = 0;
    for (size_t i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
    if ((length >> 63) != 0) return WsParseStatus::kProtocolError;
    pos = 10;
  }
  std::copy_n(header_.data() + pos, 4, mask_.data());
  header_len_ = 0;
  if (IsControl(opcode_)) {
    if (!fin_ || length > kMaxControlPayload) return WsParseStatus::kProtocolError;
  } else if (opcode_ == WsOpcode::kContinuation) {
    if (!in_message_) return WsParseStatus::kProtocolError;
  } else {
    if (in_message_) return WsParseStatus::kProtocolError;
    in_message_ = true;
    message_opcode_ = opcode_;
  }
  // Bound the message before buffering any of this frame's payload.
  if (!IsControl(opcode_) && length > max_message_bytes_ - message_.size()) {
    return WsParseStatus::kTooLarge;
  }
  remaining_ = length;
  mask_offset_ = 0;
  in_payload_ = true;
  return WsParseStatus::kOk;
}

WsParseStatus WsFrameParser::FinishFrame(const std::function<bool(const WsFrameEvent&)>& on_event,
                                         bool& keep_going) {
  in_payload_ = false;
  if (IsControl(opcode_)) {
    if (opcode_ == WsOpcode::kClose && !IsValidClosePayload(control_)) {
      return WsParseStatus::kProtocolError;
    }
    keep_going = on_event(WsFrameEvent{opcode_, control_});
    control_.clear();
    return WsParseStatus::kOk;
  }
  if (!fin_) return WsParseStatus::kOk;
  in_message_ = false;
  if (message_opcode_ == WsOpcode::kText && !core::IsValidUtf8(message_)) {
    return WsParseStatus::kProtocolError;
  }
  keep_going = on_event(WsFrameEvent{message_opcode_, message_});
  message_.clear();
  if (message_.capacity() > 16 * 1024) message_.shrink_to_fit();  // keep idle sockets small
  return WsParseStatus::kOk;
}

void AppendWsFrame(std::string& out, WsOpcode opcode, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(opcode)));
  const uint64_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<char>(size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
  }
  out.append(payload);
}

void AppendWsCloseFrame(std::string& out, uint16_t code, std::string_view reason) {
  size_t cut = std::min<size_t>(reason.size(), kMaxControlPayload - 2);
  while (cut > 0 && cut < reason.size() && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80) {
    --cut;  // do not split a UTF-8 sequence
  }
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, cut));
  AppendWsFrame(out, WsOpcode::kClose, payload);
}

}  // namespace filament::http
