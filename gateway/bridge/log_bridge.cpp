#include "gateway/bridge/log_bridge.hpp"

#include <cstdio>

#include "events/log_scan.hpp"
#include "gateway/bridge/observers.hpp"
#include "gateway/bridge/payloads.hpp"

namespace filament::gateway {

LogBridge::LogBridge(events::EventLog& log, FanoutSink& sink)
    : log_(log), sink_(sink), observers_(std::make_unique<ObserverIndex>()) {}

LogBridge::~LogBridge() { Stop(); }

core::Status LogBridge::Start() {
  auto ends = log_.EndOffsets();
  if (!ends.ok()) return ends.error();
  FILAMENT_RETURN_IF_ERROR(events::ReadLogUpTo(log_, *ends, [this](const events::StoredRecord& r) {
    observers_->ApplyRecord(r);
    return core::OkStatus();
  }));
  std::vector<events::Position> start;
  for (int32_t p = 0; p < static_cast<int32_t>(ends->size()); ++p) start.push_back({p, (*ends)[p]});
  auto reader = log_.OpenReader(start);
  if (!reader.ok()) return reader.error();
  thread_ = std::thread([this, r = std::move(*reader)]() mutable { Run(std::move(r)); });
  return core::OkStatus();
}

void LogBridge::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void LogBridge::Run(std::unique_ptr<events::LogReader> reader) {
  while (!stop_) {
    auto batch = reader->Poll(512, std::chrono::milliseconds(200));
    if (!batch.ok()) {
      std::fprintf(stderr, "gateway: log read failed: %s\n", batch.error().message.c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    for (const auto& record : *batch) {
      observers_->ApplyRecord(record);
      auto messages = MapRecord(record, *observers_);
      if (!messages.ok()) {
        ++unmappable_;
        std::fprintf(stderr, "gateway: skipping %s: %s\n",
                     events::FormatPosition(record.position).c_str(),
                     messages.error().message.c_str());
        continue;
      }
      for (const auto& m : *messages) {
        switch (m.scope) {
          case GatewayMessage::Scope::kChannel:
            sink_.ToChannel(m.guild_id, m.channel_id, m.type, m.payload);
            break;
          case GatewayMessage::Scope::kGuild:
            sink_.ToGuild(m.guild_id, m.type, m.payload);
            break;
          case GatewayMessage::Scope::kUser:
            sink_.ToUser(m.user_id, m.type, m.payload);
            break;
        }
      }
    }
  }
}

}  // namespace filament::gateway
