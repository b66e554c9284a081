#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::gateway {

// Where mapped events go: implemented over GatewayHub (HubSink) and by fakes in tests.
class FanoutSink {
 public:
  virtual ~FanoutSink() = default;
  virtual void ToChannel(const std::string& guild_id, const std::string& channel_id,
                         const std::string& type, const std::string& payload_json) = 0;
  virtual void ToGuild(const std::string& guild_id, const std::string& type,
                       const std::string& payload_json) = 0;
  virtual void ToUser(const std::string& user_id, const std::string& type,
                      const std::string& payload_json) = 0;
};

// One gateway event derived from one log record.
struct GatewayMessage {
  enum class Scope { kChannel, kGuild, kUser };
  Scope scope = Scope::kGuild;
  std::string guild_id;
  std::string channel_id;
  std::string user_id;
  std::string type;     // gateway event type, e.g. "message_create"
  std::string payload;  // the `d` object, JSON
};

// Maps a record to its gateway events through the generated routing table
// (schema/events.yaml → events::RoutesFor) and the payload builders in payloads.cpp.
// Pure. Errors: kInvalidArgument (record cannot be decoded), kInternal (a route without a
// payload builder — prevented by a test).
class ObserverIndex;
core::Result<std::vector<GatewayMessage>> MapRecord(const events::StoredRecord& record,
                                                    const ObserverIndex& observers);
// The same with no observers known (profile events reach their author only).
core::Result<std::vector<GatewayMessage>> MapRecord(const events::StoredRecord& record);

// Follows the log from its end and fans every record's gateway events out to a sink.
//
//   EventLog ──reader thread──▶ ObserverIndex ──▶ MapRecord ──▶ FanoutSink (the hub's queues)
//
// The ObserverIndex (who sees whose profile events) is folded from the whole log at Start()
// and then from each record before it is mapped (ADR 0022).
// A record that cannot be mapped is counted and skipped: realtime delivery is at-most-once by
// contract, and the read models (not the gateway) stop on bad records.
class LogBridge {
 public:
  LogBridge(events::EventLog& log, FanoutSink& sink);
  ~LogBridge();

  // Opens a reader at the current end of every partition and starts the thread.
  core::Status Start();
  void Stop();
  int64_t unmappable_records() const { return unmappable_.load(); }

 private:
  void Run(std::unique_ptr<events::LogReader> reader);

  events::EventLog& log_;
  FanoutSink& sink_;
  std::unique_ptr<ObserverIndex> observers_;  // owned by the reader thread after Start()
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> unmappable_{0};
  std::thread thread_;
};

}  // namespace filament::gateway
