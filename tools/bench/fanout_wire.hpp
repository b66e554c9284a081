// The wire side of fanout_bench: options, WebSocket and MQTT framing, /proc probes, the
// open-loop publishers (see fanout_bench.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace filament::bench {

enum class Target { kFilament, kNats, kMosquitto };

struct Options {
  std::string target = "filament";
  std::string host = "127.0.0.1";
  int ws_port = 0;   // WebSocket listener of the server under test
  int pub_port = 0;  // publisher: Filament's HTTP port, NATS 4222, MQTT 1883
  int connections = 1000;
  double rate = 10;  // published messages per second
  double warmup = 2;
  double seconds = 10;
  double idle = 0;  // seconds to hold the connections idle after subscribing (RSS probe)
  int payload = 100;
  int threads = 1;  // subscriber epoll threads
  // Connections of one thread in their handshake (connect, upgrade, subscribe) at once; 0 opens
  // them all at once (a reconnect storm).
  int connect_window = 1024;
  int publishers = 4;
  std::string token, guild, channel;
  int server_pid = 0;
  Target kind = Target::kFilament;
};

struct Stats {
  std::vector<uint32_t> latency_us;  // deliveries of messages published inside the window
  uint64_t frames = 0, bytes = 0;
  int subscribed = 0, failed = 0;
};

struct PublishResult {
  uint64_t sent = 0, failed = 0;
};

int64_t NowNs();
double CpuSeconds(int pid);  // user + system seconds of a process (0 when pid <= 0)
long RssKib(int pid);        // VmRSS of a process (this one when pid <= 0)
// A masked (client) WebSocket frame.
void AppendMaskedFrame(std::string& out, uint8_t opcode, std::string_view payload);
std::string MqttConnect(const std::string& client_id);
std::string MqttSubscribe(std::string_view topic);
std::string MqttPublish(std::string_view topic, std::string_view payload);
// The publish timestamp "T<ns>" at `at` in `text`, or -1.
int64_t StampAt(std::string_view text, size_t at);
// One publisher connection: rate/publishers messages per second until `until` (NowNs clock).
void Publish(const Options& o, int index, int64_t until, PublishResult& result);
double Percentile(std::vector<uint32_t>& v, double p);  // in ms, from microseconds

}  // namespace filament::bench
