#include "adapters/kafka/kafka_transactions.hpp"

#include <algorithm>

#include <librdkafka/rdkafka.h>

#include "events/event_log.hpp"

namespace filament::adapters::kafka_txn {
namespace {

struct Outcome {
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
  bool fatal = false;
  bool requires_abort = false;
  std::string message;
};

// Takes ownership of `e` (may be null).
Outcome Take(rd_kafka_error_t* e) {
  Outcome o;
  if (e == nullptr) return o;
  o.code = rd_kafka_error_code(e);
  o.fatal = rd_kafka_error_is_fatal(e);
  o.requires_abort = rd_kafka_error_txn_requires_abort(e);
  o.message = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return o;
}

core::Status ToStatus(const Outcome& o, const char* what) {
  if (o.code == RD_KAFKA_RESP_ERR_NO_ERROR) return core::OkStatus();
  std::string message =
      std::string("kafka ") + what + ": " + rd_kafka_err2name(o.code) + ": " + o.message;
  if (Classify(o.code, o.fatal, o.requires_abort) == Failure::kFenced) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition, "fenced: " + message,
                           events::kPartitionFencedReason);
  }
  return core::Unavailable(message);
}

}  // namespace

std::string TransactionalId(const std::string& topic, int32_t partition) {
  return "filament.writer." + topic + "." + std::to_string(partition);
}

Failure Classify(int code, bool fatal, bool requires_abort) {
  switch (code) {
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return Failure::kFenced;
    default:
      break;
  }
  if (fatal) return Failure::kFenced;
  return requires_abort ? Failure::kAbortable : Failure::kRetriable;
}

core::Result<kafka_client::Handle> NewProducer(const kafka_client::Settings& base,
                                               const std::string& transactional_id,
                                               std::chrono::milliseconds delivery_timeout,
                                               kafka_client::DeliveryCallback on_delivery) {
  kafka_client::Settings s = base;
  s["transactional.id"] = transactional_id;
  auto txn_timeout = std::max(delivery_timeout, std::chrono::milliseconds(1000));
  s["transaction.timeout.ms"] = std::to_string(txn_timeout.count());
  return kafka_client::NewProducer(s, delivery_timeout, on_delivery);
}

core::Status Init(rd_kafka_s* rk, std::chrono::milliseconds timeout) {
  return ToStatus(Take(rd_kafka_init_transactions(rk, static_cast<int>(timeout.count()))),
                  "init_transactions");
}

core::Status Begin(rd_kafka_s* rk) {
  return ToStatus(Take(rd_kafka_begin_transaction(rk)), "begin_transaction");
}

core::Status Commit(rd_kafka_s* rk, std::chrono::milliseconds timeout) {
  Outcome o = Take(rd_kafka_commit_transaction(rk, static_cast<int>(timeout.count())));
  if (o.code != RD_KAFKA_RESP_ERR_NO_ERROR &&
      Classify(o.code, o.fatal, o.requires_abort) == Failure::kAbortable) {
    FILAMENT_RETURN_IF_ERROR(Abort(rk, timeout));
  }
  return ToStatus(o, "commit_transaction");
}

core::Status Abort(rd_kafka_s* rk, std::chrono::milliseconds timeout) {
  return ToStatus(Take(rd_kafka_abort_transaction(rk, static_cast<int>(timeout.count()))),
                  "abort_transaction");
}

}  // namespace filament::adapters::kafka_txn
