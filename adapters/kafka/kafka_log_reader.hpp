#pragma once

// Internal to adapters/kafka: the LogReader over an assign()-only consumer, and a one-shot
// scan of whole partitions built on it. No librdkafka types here.

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "adapters/kafka/kafka_client.hpp"
#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::adapters::kafka_reader {

// Start offset meaning "the partition's low watermark" (librdkafka's OFFSET_BEGINNING).
inline constexpr int64_t kOffsetBeginning = -2;

// A reader over `topic`, assigned to `start` (offset >= 0 or kOffsetBeginning).
// Errors: kInternal (client could not be created or assigned), kInvalidArgument (settings).
core::Result<std::unique_ptr<events::LogReader>> OpenReader(
    const kafka_client::Settings& base, const std::string& topic,
    const std::vector<events::Position>& start);

// Reads `partitions` of `topic` from their low watermark up to the end they had when the scan
// began, calling `visit` for every record in order (records with decode_error included).
// Errors: kUnavailable (cluster unreachable, or no progress within `timeout`), kInternal.
core::Status ScanPartitions(const kafka_client::Settings& base, const std::string& topic,
                            const std::vector<int32_t>& partitions,
                            std::chrono::milliseconds timeout,
                            const std::function<void(const events::StoredRecord&)>& visit);

}  // namespace filament::adapters::kafka_reader
