#include "tools/bench/fanout_wire.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace filament::bench {
namespace {

// The MQTT "remaining length" varint.
void AppendMqttLength(std::string& out, size_t n) {
  do {
    uint8_t byte = n % 128;
    n /= 128;
    if (n > 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (n > 0);
}

void AppendMqttString(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>(s.size() >> 8));
  out.push_back(static_cast<char>(s.size() & 0xFF));
  out.append(s);
}

int ConnectBlocking(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("connect to publisher port: " + std::string(strerror(errno)));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads one HTTP/1.1 response with a Content-Length; returns its status (0 on failure).
int ReadHttpResponse(int fd, std::string& buffer) {
  char chunk[16384];
  for (;;) {
    const size_t end = buffer.find("\r\n\r\n");
    if (end != std::string::npos) {
      const size_t at = buffer.find("Content-Length: ");
      const size_t length = at < end ? std::stoul(buffer.substr(at + 16)) : 0;
      if (buffer.size() >= end + 4 + length) {
        const int status = std::atoi(buffer.c_str() + 9);
        buffer.erase(0, end + 4 + length);
        return status;
      }
    }
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

std::string Payload(const Options& o) {
  std::string text = "T" + std::to_string(NowNs());
  if (static_cast<int>(text.size()) < o.payload) text.append(o.payload - text.size(), 'x');
  return text;
}

}  // namespace

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// ---- /proc probes ---------------------------------------------------------------------

double CpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long RssKib(int pid) {
  std::ifstream in("/proc/" + (pid > 0 ? std::to_string(pid) : std::string("self")) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// ---- WebSocket client framing (RFC 6455; client frames are masked) ---------------------

void AppendMaskedFrame(std::string& out, uint8_t opcode, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  }
  static thread_local std::mt19937 random(12345);
  uint8_t mask[4];
  for (uint8_t& m : mask) m = static_cast<uint8_t>(random());
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
}

std::string MqttConnect(const std::string& client_id) {
  std::string body;
  AppendMqttString(body, "MQTT");
  body += '\x04';                                  // protocol level 3.1.1
  body += '\x02';                                  // clean session
  body += '\x00', body += static_cast<char>(120);  // keep-alive 120 s
  AppendMqttString(body, client_id);
  std::string out(1, '\x10');
  AppendMqttLength(out, body.size());
  return out + body;
}

std::string MqttSubscribe(std::string_view topic) {
  std::string body("\x00\x01", 2);  // packet id 1
  AppendMqttString(body, topic);
  body += '\x00';  // QoS 0
  std::string out(1, '\x82');
  AppendMqttLength(out, body.size());
  return out + body;
}

std::string MqttPublish(std::string_view topic, std::string_view payload) {
  std::string body;
  AppendMqttString(body, topic);
  body.append(payload);
  std::string out(1, '\x30');
  AppendMqttLength(out, body.size());
  return out + body;
}

// Reads the publish timestamp "T<ns>" at `at` in `text`.
int64_t StampAt(std::string_view text, size_t at) {
  if (at >= text.size() || text[at] != 'T') return -1;
  int64_t value = 0;
  size_t i = at + 1;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    value = value * 10 + (text[i] - '0');
  return i == at + 1 ? -1 : value;
}

// One publisher thread: messages at rate/publishers, each at its scheduled time.
void Publish(const Options& o, int index, int64_t until, PublishResult& result) {
  const int fd = ConnectBlocking(o.host, o.pub_port);
  std::string buffer;
  if (o.kind == Target::kNats) {
    SendAll(fd, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
  } else if (o.kind == Target::kMosquitto) {
    SendAll(fd, MqttConnect("pub" + std::to_string(index)));
    char connack[4];
    recv(fd, connack, sizeof connack, MSG_WAITALL);
  }
  const double interval_ns = 1e9 * o.publishers / o.rate;
  int64_t next = NowNs() + static_cast<int64_t>(interval_ns * index / o.publishers);
  const std::string path = "/guilds/" + o.guild + "/channels/" + o.channel + "/messages";
  while (next < until) {
    const int64_t now = NowNs();
    if (now < next) std::this_thread::sleep_for(std::chrono::nanoseconds(next - now));
    next += static_cast<int64_t>(interval_ns);
    const std::string payload = Payload(o);
    bool ok = true;
    if (o.kind == Target::kFilament) {
      const std::string body = R"({"content":")" + payload + R"("})";
      ok = SendAll(fd, "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + o.token +
                           "\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body) &&
           ReadHttpResponse(fd, buffer) == 200;
    } else if (o.kind == Target::kNats) {
      ok = SendAll(fd, "PUB room.1 " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n");
    } else {
      ok = SendAll(fd, MqttPublish("room/1", payload));
    }
    ++(ok ? result.sent : result.failed);
  }
  close(fd);
}

double Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k] / 1000.0;
}

}  // namespace filament::bench
