#include "gateway/metrics.hpp"

namespace filament::gateway {
namespace {

struct Family {
  const char* name;
  const char* help;
};

constexpr Family kFamilies[] = {
    {"filament_gateway_events_emitted_total", "Gateway events enqueued, per recipient connection."},
    {"filament_gateway_events_dropped_total", "Gateway events dropped before delivery."},
    {"filament_gateway_events_unknown_received_total", "Ingress events with an unknown type."},
    {"filament_gateway_events_parse_rejected_total", "Ingress events rejected by parsing."},
    {"filament_voice_sync_repairs_total", "voice_participant_sync snapshots enqueued."},
    {"filament_ws_disconnects_total", "Gateway connections ended, by reason."},
};

std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + Escape(value) + "\"";
}

}  // namespace

void GatewayMetrics::Add(std::string_view family, std::string labels, uint64_t n) {
  std::lock_guard lock(mu_);
  auto it = families_.find(family);
  if (it == families_.end())
    it = families_.emplace(std::string(family), decltype(it->second){}).first;
  it->second[std::move(labels)] += n;
}

void GatewayMetrics::CountDisconnect(std::string_view reason) {
  Add("filament_ws_disconnects_total", Label("reason", reason), 1);
}

void GatewayMetrics::CountEmitted(std::string_view scope, std::string_view event_type, uint64_t n) {
  if (n == 0) return;
  Add("filament_gateway_events_emitted_total",
      Label("scope", scope) + "," + Label("event_type", event_type), n);
}

void GatewayMetrics::CountDropped(std::string_view scope, std::string_view event_type,
                                  std::string_view reason, uint64_t n) {
  if (n == 0) return;
  Add("filament_gateway_events_dropped_total",
      Label("scope", scope) + "," + Label("event_type", event_type) + "," + Label("reason", reason),
      n);
}

void GatewayMetrics::CountUnknownReceived(std::string_view event_type) {
  Add("filament_gateway_events_unknown_received_total",
      Label("scope", "ingress") + "," + Label("event_type", event_type), 1);
}

void GatewayMetrics::CountParseRejected(std::string_view reason) {
  Add("filament_gateway_events_parse_rejected_total",
      Label("scope", "ingress") + "," + Label("reason", reason), 1);
}

void GatewayMetrics::CountVoiceSyncRepair() {
  Add("filament_voice_sync_repairs_total", Label("reason", "subscribe"), 1);
}

void GatewayMetrics::AppendPrometheus(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const Family& family : kFamilies) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    out += family.help;
    out += "\n# TYPE ";
    out += family.name;
    out += " counter\n";
    auto it = families_.find(std::string_view(family.name));
    if (it == families_.end()) continue;
    for (const auto& [labels, value] : it->second) {
      out += family.name;
      out += '{' + labels + "} " + std::to_string(value) + '\n';
    }
  }
}

uint64_t GatewayMetrics::Value(std::string_view family, std::string_view labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(family);
  if (it == families_.end()) return 0;
  auto sample = it->second.find(std::string(labels));
  return sample == it->second.end() ? 0 : sample->second;
}

}  // namespace filament::gateway
