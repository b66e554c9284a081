#pragma once

// Internal to adapters/kafka: owning wrappers and configuration for librdkafka handles.
// librdkafka's types are only forward-declared here; rdkafka.h stays in the .cpp files.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "core/result.hpp"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace filament::adapters::kafka_client {

struct HandleDeleter {
  void operator()(rd_kafka_s* rk) const;
};
// Owns an rd_kafka_t; destruction purges queued messages and waits for librdkafka's threads.
using Handle = std::unique_ptr<rd_kafka_s, HandleDeleter>;

using Settings = std::map<std::string, std::string>;

// Common client settings: bootstrap servers and timeouts so that a dead cluster is reported
// within about `timeout` instead of librdkafka's minutes-long defaults.
Settings BaseSettings(const std::string& brokers, std::chrono::milliseconds timeout);

// librdkafka's delivery-report callback (rd_kafka_conf_set_dr_msg_cb).
using DeliveryCallback = void (*)(rd_kafka_s*, const rd_kafka_message_s*, void*);

// Idempotent, acks=all producer (linger.ms from `base` if set there, else 0) whose delivery reports
// go to `on_delivery` (served by whoever calls rd_kafka_poll on the handle). Every message gets its
// report within `delivery_timeout` (message.timeout.ms), failed with a timeout when the cluster is
// gone. Errors: kInvalidArgument (bad setting), kInternal (librdkafka refused to start).
core::Result<Handle> NewProducer(const Settings& base, std::chrono::milliseconds delivery_timeout,
                                 DeliveryCallback on_delivery);

// An assign()-only consumer: a private group.id that never joins or commits, partition EOF
// events on, no automatic offset reset (a reader below the low watermark gets an error).
// fetch.wait.max.ms comes from `base` if set there, else 20.
core::Result<Handle> NewConsumer(const Settings& base);

// The number of partitions of `topic` as seen by a metadata request on `rk` (which may
// auto-create the topic on brokers that allow it). Errors: kUnavailable (no answer within
// `timeout`), kNotFound (the topic does not exist).
core::Result<int32_t> TopicPartitions(rd_kafka_s* rk, const std::string& topic,
                                      std::chrono::milliseconds timeout);

// [low, high) watermarks of one partition. Errors: kUnavailable.
core::Status Watermarks(rd_kafka_s* rk, const std::string& topic, int32_t partition,
                        std::chrono::milliseconds timeout, int64_t& low, int64_t& high);

}  // namespace filament::adapters::kafka_client
