#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event_log.hpp"

namespace filament::adapters {

struct KafkaLogOptions {
  std::string brokers;  // bootstrap servers, "host:port,host:port"
  std::string topic = "filament.events";
  int32_t partitions = 4;  // the topic must have exactly this many
  // Upper bound for one Append when the cluster is unreachable (librdkafka message.timeout.ms);
  // metadata and offset queries are bounded by min(this, 5 s).
  int delivery_timeout_ms = 10000;
  // Producer linger (librdkafka linger.ms): how long a record waits for others to share its
  // produce request; part of every append's latency. 0: send at once (records still share a
  // request while earlier ones are in flight). ADR 0072.
  int linger_ms = 0;
  // Readers' fetch.wait.max.ms: how long the broker may hold an empty fetch. A real broker
  // answers as soon as data arrives; librdkafka's mock holds it this long regardless, which is
  // the latency of a reader in another process (readers in this process are woken by the
  // appender, ADR 0072).
  int fetch_wait_max_ms = 20;
  // kFenced (ADR 0082): appends only to partitions acquired with AcquirePartition, each in a
  // transaction of that partition's transactional producer; kSingle: the idempotent producer
  // and the in-process version map alone (everything below about one writer per partition).
  events::WriterMode writer_mode = events::WriterMode::kSingle;
};

// The event log on Kafka (librdkafka). One record per LogRecord: key = stream, explicit
// partition = events::PartitionFor(stream, partitions) (identical to the PostgreSQL log),
// value = payload, headers = CloudEvents binary mode (ce_specversion, ce_id, ce_type,
// ce_source "/filament", ce_time RFC 3339 UTC ms, ce_subject = stream, content-type) plus
// actor_user_id, stream_version, correlation_id, causation_id, schema_version.
//
// Expected-version check. Kafka has no conditional append. Open() scans every partition once
// and learns each stream's last stream_version; Append checks the batch against that map and
// updates it after the batch is acknowledged. This is correct ONLY while a single writer
// process owns each partition (Filament's deployment rule for Kafka): a second process writing
// the same streams is not seen until it reopens, so two writers could both append version N.
// A multi-writer deployment opens the log with WriterMode::kFenced: a transactional.id per
// partition owner, so a stale writer's produce fails (AcquirePartition below, ADR 0082). Batches of
// one stream are serialized inside this process; batches of different streams are produced
// concurrently (librdkafka batches what accumulates while a request is in flight; linger_ms below).
//
// Atomicity. The records of one batch are produced back to back to one partition by an
// idempotent producer (acks=all, in order, no duplicates), so they normally share one Kafka
// message set; librdkafka gives no all-or-nothing guarantee across message sets without
// transactions. A failed batch is reported as kUnavailable and the stream's version in the
// map is left unchanged.
//
// Thread safety: Append, OpenReader and EndOffsets may be called from any number of threads.
// Each LogReader is single-threaded (the port's contract).
class KafkaEventLog : public events::EventLog {
 public:
  // Connects, checks that `options.topic` exists (a metadata request auto-creates it where the
  // cluster allows, as the mock does) with `options.partitions` partitions, and scans it to
  // learn stream versions.
  // Errors: kFailedPrecondition (topic missing and not creatable, or wrong partition count),
  // kUnavailable (cluster unreachable within the timeout), kInvalidArgument (bad options).
  static core::Result<std::unique_ptr<KafkaEventLog>> Open(const KafkaLogOptions& options);

  ~KafkaEventLog() override;
  KafkaEventLog(const KafkaEventLog&) = delete;
  KafkaEventLog& operator=(const KafkaEventLog&) = delete;

  int32_t Partitions() const override;

  // See events::EventLog::Append. Blocks until every record has its delivery report (bounded
  // by delivery_timeout_ms). With kAnyVersion the records are stamped with the stream's next
  // versions (meta.stream_version as given is ignored); otherwise record i must carry
  // expected_version + i + 1. Errors: kAborted (version conflict; nothing produced),
  // kInvalidArgument (empty/inconsistent batch, oversized record), kUnavailable (delivery
  // failed or timed out; retry).
  core::Result<std::vector<events::Position>> Append(const events::AppendBatch& batch) override;

  // A reader assigned to exactly the given partitions/offsets (no consumer group, no
  // rebalance delay). Records that cannot be decoded come back with decode_error set.
  // Errors: kInvalidArgument (partition out of range, negative offset, duplicate partition),
  // kInternal (client could not be created). Reader Poll errors: kUnavailable (all brokers
  // down; call again), kInternal (offset no longer in the log, e.g. removed by retention).
  core::Result<std::unique_ptr<events::LogReader>> OpenReader(
      const std::vector<events::Position>& start) override;

  // High watermark of each partition. Errors: kUnavailable.
  core::Result<std::vector<int64_t>> EndOffsets() override;

  // kFenced only. Creates the partition's transactional producer (transactional.id
  // "filament.writer.<topic>.<partition>") and runs init_transactions, which on a real broker
  // bumps the id's epoch and fences the previous owner's producer; then re-reads the partition
  // (read_committed) to learn the stream versions the previous owner wrote, before any append.
  // Returns this handle's acquisition count for the partition (librdkafka does not expose the
  // broker's epoch). An append whose transaction fails with a fencing error returns
  // kFailedPrecondition (events::kPartitionFencedReason) and the partition is given up.
  // librdkafka 2.0.2's MOCK does not fence (kafka_fencing_probe_test.cpp). Errors: see
  // events::EventLog; kUnavailable when init_transactions or the scan times out.
  core::Result<int64_t> AcquirePartition(int32_t partition) override;

 private:
  struct Impl;
  explicit KafkaEventLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace filament::adapters
