#pragma once

// Test-only blocking TCP/WebSocket client (header-only, POSIX). Not for production code.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace filament::http::testing {

class TestSocket {
 public:
  TestSocket() = default;
  explicit TestSocket(int fd) : fd_(fd) {}
  TestSocket(TestSocket&& other) noexcept : fd_(other.fd_), pending_(std::move(other.pending_)) {
    other.fd_ = -1;
  }
  TestSocket& operator=(TestSocket&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = other.fd_;
      eof_ = other.eof_;
      pending_ = std::move(other.pending_);
      other.fd_ = -1;
    }
    return *this;
  }
  ~TestSocket() { Close(); }

  static TestSocket Connect(uint16_t port, int rcvbuf = 0) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return TestSocket();
    }
    return TestSocket(fd);
  }

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads whatever arrives within timeout into the pending buffer. Returns false on EOF/error.
  bool ReadSome(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    pending_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  // Reads until `delimiter` appears (returns the text up to and including it) or timeout.
  std::optional<std::string> ReadUntil(std::string_view delimiter, int timeout_ms = 3000) {
    const auto end = Deadline(timeout_ms);
    for (;;) {
      const size_t pos = pending_.find(delimiter);
      if (pos != std::string::npos) {
        std::string out = pending_.substr(0, pos + delimiter.size());
        pending_.erase(0, pos + delimiter.size());
        return out;
      }
      if (Expired(end) || !ReadSome(Remaining(end))) return std::nullopt;
    }
  }

  // Reads exactly n bytes or fails.
  std::optional<std::string> ReadExactly(size_t n, int timeout_ms = 3000) {
    const auto end = Deadline(timeout_ms);
    while (pending_.size() < n) {
      if (Expired(end) || !ReadSome(Remaining(end))) return std::nullopt;
    }
    std::string out = pending_.substr(0, n);
    pending_.erase(0, n);
    return out;
  }

  // True if the peer closed (EOF or reset) within timeout_ms, discarding data.
  bool WaitForEof(int timeout_ms = 3000) {
    const auto end = Deadline(timeout_ms);
    while (!Expired(end)) {
      if (!ReadSome(Remaining(end))) return true;
      pending_.clear();
    }
    return false;
  }

  std::string& pending() { return pending_; }

 protected:
  using Clock = std::chrono::steady_clock;
  static Clock::time_point Deadline(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }
  static bool Expired(Clock::time_point end) { return Clock::now() >= end; }
  static int Remaining(Clock::time_point end) {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string pending_;
};

// Frames a client message (masked with a fixed key).
inline std::string ClientFrame(uint8_t opcode, std::string_view payload, bool fin = true,
                               uint8_t extra_first_bits = 0) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | extra_first_bits | opcode));
  const uint64_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  }
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  }
  return out;
}

struct ServerFrame {
  uint8_t opcode = 0;
  std::string payload;
};

class TestWsClient : public TestSocket {
 public:
  using TestSocket::TestSocket;
  explicit TestWsClient(TestSocket&& socket) : TestSocket(std::move(socket)) {}

  // Performs the upgrade handshake for `target`; returns the HTTP response head.
  std::optional<std::string> Handshake(std::string_view target, std::string_view extra = {}) {
    std::string request = "GET " + std::string(target) +
                          " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n" +
                          std::string(extra) + "\r\n";
    if (!Write(request)) return std::nullopt;
    return ReadUntil("\r\n\r\n");
  }

  bool SendText(std::string_view text) { return Write(ClientFrame(0x1, text)); }

  // Next frame from the server (any opcode), or nullopt on timeout/EOF.
  std::optional<ServerFrame> NextFrame(int timeout_ms = 3000) {
    auto head = ReadExactly(2, timeout_ms);
    if (!head) return std::nullopt;
    ServerFrame frame;
    frame.opcode = static_cast<uint8_t>((*head)[0]) & 0x0F;
    uint64_t size = static_cast<uint8_t>((*head)[1]) & 0x7F;
    if (size >= 126) {
      auto ext = ReadExactly(size == 126 ? 2 : 8, timeout_ms);
      if (!ext) return std::nullopt;
      size = 0;
      for (char c : *ext) size = (size << 8) | static_cast<uint8_t>(c);
    }
    auto payload = ReadExactly(static_cast<size_t>(size), timeout_ms);
    if (!payload) return std::nullopt;
    frame.payload = std::move(*payload);
    return frame;
  }

  // Next Text frame, skipping Pings/Pongs; nullopt on timeout, EOF or a Close frame.
  std::optional<std::string> NextText(int timeout_ms = 3000) {
    for (;;) {
      auto frame = NextFrame(timeout_ms);
      if (!frame) return std::nullopt;
      if (frame->opcode == 0x1) return frame->payload;
      if (frame->opcode == 0x8) {
        last_close_ = frame->payload;
        return std::nullopt;
      }
    }
  }

  const std::optional<std::string>& last_close() const { return last_close_; }

 private:
  std::optional<std::string> last_close_;
};

}  // namespace filament::http::testing
