#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace filament::adapters {

// An in-process librdkafka mock cluster (rdkafka_mock.h) that speaks the real Kafka wire
// protocol on 127.0.0.1, on random ports. Dev and test only: everything is in memory and dies
// with this object (or the process); retention is ~5 MiB per partition (see
// shared/reference/deps.md §3), so it is a broker for tests, not an event store.
// Thread-safe; clients may connect from any thread or process.
class MockCluster {
 public:
  // Starts `brokers` brokers and creates `topic` with `partitions` partitions
  // (replication factor min(3, brokers)). Errors: kInvalidArgument, kInternal.
  static core::Result<std::unique_ptr<MockCluster>> Start(int brokers = 3,
                                                          std::string topic = "filament.events",
                                                          int32_t partitions = 4);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:p1,127.0.0.1:p2,..." for bootstrap.servers.
  std::string Bootstraps() const;

  // Creates another topic. Errors: kInvalidArgument, kAlreadyExists-like kFailedPrecondition.
  core::Status CreateTopic(const std::string& topic, int32_t partitions);

  // Takes every broker down (connections refused/closed) or brings them back up. For tests of
  // unavailability. Errors: kInternal.
  core::Status SetAllBrokersDown(bool down);

  // The next requests of Kafka API `api_key` (e.g. 0 Produce, 24 AddPartitionsToTxn, 26 EndTxn),
  // whichever client sends them, fail with `errors` (Kafka error codes), one each, in order.
  // For tests of what a real broker answers and the mock does not (ADR 0082).
  void PushRequestErrors(int16_t api_key, const std::vector<int>& errors);

 private:
  struct Impl;
  explicit MockCluster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The `filament kafka-mock` subcommand: starts a cluster, prints its bootstrap address as the
// first line of stdout (flushed), then waits for SIGINT or SIGTERM and returns 0. Returns 1
// (with a message on stderr) when the cluster cannot start. Resets SIGINT/SIGTERM to their
// default disposition and blocks them in the calling thread (and so in librdkafka's threads)
// to receive them with sigwait; call it before starting other threads.
int RunKafkaMock(int brokers, const std::string& topic, int32_t partitions);

}  // namespace filament::adapters
