#pragma once

// Internal to adapters/kafka: the transactional producer of one owned partition (ADR 0082).
// transactional.id = "filament.writer.<topic>.<partition>"; init_transactions is the acquire
// (on a real broker it bumps the id's epoch, fences the previous producer and completes or
// aborts its open transaction). No librdkafka types here.

#include <chrono>
#include <string>

#include "adapters/kafka/kafka_client.hpp"
#include "core/result.hpp"

namespace filament::adapters::kafka_txn {

// The transactional.id of the writer of `partition` of `topic`.
std::string TransactionalId(const std::string& topic, int32_t partition);

// How a failed transactional call is handled.
enum class Failure {
  kFenced,     // another producer owns the id (or the producer is otherwise dead): give it up
  kAbortable,  // abort the transaction, the producer stays usable; the append failed
  kRetriable,  // nothing decided yet (timeout, broker down); the append failed
};

// Classifies a librdkafka transactional error from its code and flags. Pure.
// Fencing codes (_FENCED, PRODUCER_FENCED, INVALID_PRODUCER_EPOCH,
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and any fatal error are kFenced.
Failure Classify(int code, bool fatal, bool requires_abort);

// A transactional, idempotent, acks=all producer whose delivery reports go to `on_delivery`
// (served by rd_kafka_poll on the handle). transaction.timeout.ms = max(delivery_timeout, 1 s).
// Errors: kInvalidArgument, kInternal.
core::Result<kafka_client::Handle> NewProducer(const kafka_client::Settings& base,
                                               const std::string& transactional_id,
                                               std::chrono::milliseconds delivery_timeout,
                                               kafka_client::DeliveryCallback on_delivery);

// init_transactions. Errors: kFailedPrecondition (reason events::kPartitionFencedReason: the
// producer is fenced or dead), kUnavailable (timeout, cluster unreachable; call again).
core::Status Init(rd_kafka_s* rk, std::chrono::milliseconds timeout);

// begin_transaction. Errors as Init.
core::Status Begin(rd_kafka_s* rk);

// commit_transaction (flushes the produced records first). On an abortable failure the
// transaction is aborted before returning kUnavailable. Errors as Init.
core::Status Commit(rd_kafka_s* rk, std::chrono::milliseconds timeout);

// abort_transaction, best effort (used after a failed produce). Errors as Init.
core::Status Abort(rd_kafka_s* rk, std::chrono::milliseconds timeout);

}  // namespace filament::adapters::kafka_txn
