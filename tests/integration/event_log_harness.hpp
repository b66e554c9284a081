#pragma once

#include <memory>
#include <string>

#include "events/event_log.hpp"

namespace filament::testing {

// What the behavioural log suite (event_log_contract.cpp) needs from one adapter.
// One harness = one isolated log (its own database / mock cluster / topic).
class EventLogHarness {
 public:
  virtual ~EventLogHarness() = default;
  virtual std::string Name() const = 0;  // "pg" or "kafka"
  // Opens a new client handle on the same underlying log. Several may be open at once
  // (e.g. two appenders and a reader); each behaves like a separate process would.
  virtual std::unique_ptr<events::EventLog> Open(int32_t partitions) = 0;
};

// Registers the adapter's harness factory with the suite. Called once from a static
// initialiser in the adapter's test file (pg_event_log_test.cpp, kafka_event_log_test.cpp).
using HarnessFactory = std::unique_ptr<EventLogHarness> (*)();
bool RegisterEventLogHarness(const char* name, HarnessFactory factory);

}  // namespace filament::testing
