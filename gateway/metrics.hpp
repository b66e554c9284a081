#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace filament::gateway {

// The gateway's Prometheus counters (GATEWAY.md §14). Thread-safe.
class GatewayMetrics {
 public:
  // filament_ws_disconnects_total{reason}
  void CountDisconnect(std::string_view reason);
  // filament_gateway_events_emitted_total{scope,event_type}: +n recipients enqueued.
  void CountEmitted(std::string_view scope, std::string_view event_type, uint64_t n = 1);
  // filament_gateway_events_dropped_total{scope,event_type,reason}
  void CountDropped(std::string_view scope, std::string_view event_type, std::string_view reason,
                    uint64_t n = 1);
  // filament_gateway_events_unknown_received_total{scope="ingress",event_type}
  void CountUnknownReceived(std::string_view event_type);
  // filament_gateway_events_parse_rejected_total{scope="ingress",reason}
  void CountParseRejected(std::string_view reason);
  // filament_voice_sync_repairs_total{reason="subscribe"}
  void CountVoiceSyncRepair();

  // Appends every family in Prometheus text format; HELP/TYPE lines even without samples.
  void AppendPrometheus(std::string& out) const;

  // The value of one sample, e.g. Value("filament_ws_disconnects_total",
  // "reason=\"client_close\""); 0 when absent. For tests and diagnostics.
  uint64_t Value(std::string_view family, std::string_view labels) const;

 private:
  void Add(std::string_view family, std::string labels, uint64_t n);

  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, uint64_t>, std::less<>> families_;
};

}  // namespace filament::gateway
