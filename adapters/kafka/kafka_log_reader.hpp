#pragma once

// Internal to adapters/kafka: the LogReader over an assign()-only consumer, and a one-shot
// scan of whole partitions built on it. No librdkafka types here (one forward declaration).

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "adapters/kafka/kafka_client.hpp"
#include "adapters/kafka/local_tail.hpp"
#include "core/result.hpp"
#include "events/event_log.hpp"

struct rd_kafka_message_s;

namespace filament::adapters::kafka_reader {

// Start offset meaning "the partition's low watermark" (librdkafka's OFFSET_BEGINNING).
inline constexpr int64_t kOffsetBeginning = -2;

// Maps one fetched or delivered message to a StoredRecord; never fails, problems go to
// decode_error. The one decoding used by readers and by the local tail.
events::StoredRecord DecodeMessage(const rd_kafka_message_s& m);

// A reader over `topic`, assigned to `start` (offset >= 0 or kOffsetBeginning). With a `tail`,
// the reader also takes records from it: the next offset of a partition, if the tail holds
// it, is returned without waiting for a fetch (same records, same order: the tail holds only
// acknowledged records, and a reader takes only its exact next offset).
// Errors: kInternal (client could not be created or assigned), kInvalidArgument (settings).
core::Result<std::unique_ptr<events::LogReader>> OpenReader(
    const kafka_client::Settings& base, const std::string& topic,
    const std::vector<events::Position>& start, std::shared_ptr<LocalTail> tail = nullptr);

// Reads `partitions` of `topic` from their low watermark up to the end they had when the scan
// began, calling `visit` for every record in order (records with decode_error included).
// Errors: kUnavailable (cluster unreachable, or no progress within `timeout`), kInternal.
core::Status ScanPartitions(const kafka_client::Settings& base, const std::string& topic,
                            const std::vector<int32_t>& partitions,
                            std::chrono::milliseconds timeout,
                            const std::function<void(const events::StoredRecord&)>& visit);

}  // namespace filament::adapters::kafka_reader
