#include "adapters/kafka/kafka_event_log.hpp"

#include <librdkafka/rdkafka.h>

#include "adapters/kafka/kafka_event_log_impl.hpp"
#include "adapters/kafka/kafka_log_reader.hpp"
#include "adapters/kafka/kafka_record_codec.hpp"
#include "core/blocking.hpp"
#include "core/thread_name.hpp"

namespace filament::adapters {
namespace kafka_log {

void OnDelivery(rd_kafka_s*, const rd_kafka_message_s* m, void*) {
  std::unique_ptr<DeliverySlot> slot(static_cast<DeliverySlot*>(m->_private));
  Delivery& d = *slot->delivery;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset >= 0 && d.tail) {
    d.tail->Publish(kafka_reader::DecodeMessage(*m));  // reports come in offset order
  }
  std::lock_guard lock(d.mu);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    d.positions[slot->index] = {m->partition, m->offset};
    d.delivered[slot->index] = true;
  } else {
    if (!d.error) {
      d.error = core::Unavailable(std::string("kafka delivery: ") + rd_kafka_err2str(m->err));
    }
    d.possibly_persisted |= rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_NOT_PERSISTED;
  }
  if (--d.pending == 0) d.cv.notify_all();
}

core::Error Fenced(std::string message) {
  return core::MakeError(core::ErrorCode::kFailedPrecondition, "fenced: " + std::move(message),
                         events::kPartitionFencedReason);
}

bool IsFenced(const core::Status& s) {
  return !s.ok() && s.error().reason == events::kPartitionFencedReason;
}

}  // namespace kafka_log

namespace {

using kafka_log::Delivery;
using kafka_log::DeliverySlot;
using kafka_log::OnDelivery;
using kafka_log::OwnedPartition;
using std::chrono::milliseconds;

core::Status ValidateBatch(const events::AppendBatch& batch, int64_t max_record_bytes) {
  if (batch.stream.empty() || batch.records.empty()) {
    return core::InvalidArgument("append needs a stream and at least one record");
  }
  if (batch.expected_version < events::AppendBatch::kAnyVersion) {
    return core::InvalidArgument("expected_version below kAnyVersion");
  }
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const events::LogRecord& r = batch.records[i];
    if (r.meta.stream != batch.stream) return core::InvalidArgument("record of another stream");
    if (static_cast<int64_t>(r.payload.size()) > max_record_bytes) {
      return core::InvalidArgument("record payload too large for kafka");
    }
    if (batch.expected_version != events::AppendBatch::kAnyVersion &&
        r.meta.stream_version != batch.expected_version + static_cast<int64_t>(i) + 1) {
      return core::InvalidArgument("record stream_version is not expected_version + i + 1");
    }
  }
  return core::OkStatus();
}

}  // namespace

core::Result<std::unordered_map<std::string, int64_t>> KafkaEventLog::Impl::ScanVersions(
    const std::vector<int32_t>& partitions) {
  std::unordered_map<std::string, int64_t> found;
  FILAMENT_RETURN_IF_ERROR(kafka_reader::ScanPartitions(
      settings, options.topic, partitions, query_timeout, [&](const events::StoredRecord& r) {
        if (r.decode_error) return;  // cannot be attributed to a stream version
        int64_t& v = found[r.record.meta.stream];
        v = std::max(v, r.record.meta.stream_version);
      }));
  return found;
}

void KafkaEventLog::Impl::MergeVersions(const std::unordered_map<std::string, int64_t>& found) {
  for (const auto& [stream, version] : found) {
    int64_t& v = versions[stream];
    v = std::max(v, version);
  }
}

core::Status KafkaEventLog::Impl::Rescan(const std::vector<int32_t>& partitions) {
  auto found = ScanVersions(partitions);
  if (!found.ok()) return found.error();
  MergeVersions(*found);
  return core::OkStatus();
}

core::Result<int64_t> KafkaEventLog::Impl::Reserve(const std::string& stream, int64_t expected,
                                                   int32_t partition) {
  const core::ScopedBlocking waiting;  // for the stream's previous append (ADR 0113)
  std::unique_lock lock(mu);
  stream_free.wait(lock, [&] { return !busy.contains(stream); });
  if (dirty.contains(partition)) {
    // Held under the lock on purpose: rare (after a failed delivery), and appends must not
    // decide against a map that may be behind the log.
    FILAMENT_RETURN_IF_ERROR(Rescan({partition}));
    dirty.erase(partition);
  }
  auto it = versions.find(stream);
  int64_t current = it == versions.end() ? 0 : it->second;
  if (expected != events::AppendBatch::kAnyVersion && expected != current) {
    return core::Aborted("stream " + stream + " is at version " + std::to_string(current) +
                         ", expected " + std::to_string(expected));
  }
  busy.insert(stream);
  return current;
}

void KafkaEventLog::Impl::Release(const std::string& stream, int32_t partition,
                                  std::optional<int64_t> version, bool uncertain) {
  {
    std::lock_guard lock(mu);
    busy.erase(stream);
    if (version) versions[stream] = std::max(versions[stream], *version);
    if (uncertain) dirty.insert(partition);
  }
  stream_free.notify_all();
}

core::Status KafkaEventLog::Impl::Produce(rd_kafka_t* rk, const events::AppendBatch& batch,
                                          int32_t partition, int64_t base,
                                          const std::shared_ptr<Delivery>& d) {
  std::vector<events::RecordMeta> metas;
  for (size_t i = 0; i < batch.records.size(); ++i) {  // validate all before producing any
    metas.push_back(batch.records[i].meta);
    metas.back().stream_version = base + static_cast<int64_t>(i) + 1;
    FILAMENT_RETURN_IF_ERROR(kafka_codec::ValidateForEncoding(metas.back()));
  }
  for (size_t i = 0; i < batch.records.size(); ++i) {
    {
      std::lock_guard lock(d->mu);
      ++d->pending;
    }
    core::Status status =
        ProduceOne(rk, metas[i], batch.records[i].payload, partition, new DeliverySlot{d, i});
    if (!status.ok()) {
      std::lock_guard lock(d->mu);
      --d->pending;
      return status;
    }
  }
  return core::OkStatus();
}

core::Status KafkaEventLog::Impl::ProduceOne(rd_kafka_t* rk, const events::RecordMeta& meta,
                                             const std::string& payload, int32_t partition,
                                             DeliverySlot* slot) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(12);
  for (const auto& h : kafka_codec::EncodeHeaders(meta)) {
    rd_kafka_header_add(headers, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  }
  rd_kafka_vu_t vu[8] = {};
  vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vu[0].u.cstr = options.topic.c_str();
  vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  vu[1].u.i32 = partition;
  vu[2].vtype = RD_KAFKA_VTYPE_KEY;
  vu[2].u.mem = {const_cast<char*>(meta.stream.data()), meta.stream.size()};
  vu[3].vtype = RD_KAFKA_VTYPE_VALUE;
  vu[3].u.mem = {const_cast<char*>(payload.data()), payload.size()};
  vu[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vu[4].u.i = RD_KAFKA_MSG_F_COPY;
  vu[5].vtype = RD_KAFKA_VTYPE_HEADERS;  // ownership passes to librdkafka on success
  vu[5].u.headers = headers;
  vu[6].vtype = RD_KAFKA_VTYPE_OPAQUE;  // ownership passes to OnDelivery on success
  vu[6].u.ptr = slot;
  vu[7].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
  vu[7].u.i64 = meta.time_unix_ms;
  rd_kafka_error_t* error = rd_kafka_produceva(rk, vu, 8);
  if (error == nullptr) return core::OkStatus();
  std::string message = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  rd_kafka_headers_destroy(headers);
  delete slot;
  return core::Unavailable("kafka produce: " + message);
}

KafkaEventLog::KafkaEventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaEventLog::~KafkaEventLog() {
  // Let reports of batches whose appenders already returned drain, within bounds.
  if (impl_->producer) rd_kafka_flush(impl_->producer.get(), 1000);
}

int32_t KafkaEventLog::Partitions() const { return impl_->options.partitions; }

core::Result<std::unique_ptr<KafkaEventLog>> KafkaEventLog::Open(const KafkaLogOptions& options) {
  if (options.brokers.empty() || options.topic.empty() || options.partitions < 1 ||
      options.delivery_timeout_ms < 100 || options.linger_ms < 0 || options.linger_ms > 1000 ||
      options.fetch_wait_max_ms < 1 || options.fetch_wait_max_ms > 10000) {
    return core::InvalidArgument(
        "kafka log needs brokers, a topic, partitions >= 1, delivery_timeout_ms >= 100, "
        "linger_ms in [0, 1000] and fetch_wait_max_ms in [1, 10000]");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->query_timeout = std::min(milliseconds(options.delivery_timeout_ms), milliseconds(5000));
  impl->settings = kafka_client::BaseSettings(options.brokers, impl->query_timeout);
  impl->producer_settings = impl->settings;
  impl->producer_settings["linger.ms"] = std::to_string(options.linger_ms);
  if (options.writer_mode == events::WriterMode::kFenced) {
    impl->owned.reset(new OwnedPartition[static_cast<size_t>(options.partitions)]);
  }
  auto producer = kafka_client::NewProducer(impl->producer_settings,
                                            milliseconds(options.delivery_timeout_ms), &OnDelivery);
  if (!producer.ok()) return producer.error();
  impl->producer = std::move(*producer);
  impl->settings["fetch.wait.max.ms"] = std::to_string(options.fetch_wait_max_ms);
  auto queries = kafka_client::NewConsumer(impl->settings);
  if (!queries.ok()) return queries.error();
  impl->queries = std::move(*queries);
  auto count =
      kafka_client::TopicPartitions(impl->producer.get(), options.topic, impl->query_timeout);
  if (!count.ok() && count.error().code == core::ErrorCode::kNotFound) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "kafka topic " + options.topic + " does not exist and was not created");
  }
  if (!count.ok()) return count.error();
  if (*count != options.partitions) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "kafka topic " + options.topic + " has " + std::to_string(*count) +
                               " partitions, expected " + std::to_string(options.partitions));
  }
  std::vector<int32_t> all(static_cast<size_t>(options.partitions));
  for (int32_t p = 0; p < options.partitions; ++p) all[static_cast<size_t>(p)] = p;
  FILAMENT_RETURN_IF_ERROR(impl->Rescan(all));
  Impl* raw = impl.get();
  impl->poller = core::NamedThread("kafka-poller", [raw] {
    while (!raw->stop) rd_kafka_poll(raw->producer.get(), 20);
  });
  return std::unique_ptr<KafkaEventLog>(new KafkaEventLog(std::move(impl)));
}

core::Result<std::vector<events::Position>> KafkaEventLog::Append(
    const events::AppendBatch& batch) {
  FILAMENT_RETURN_IF_ERROR(ValidateBatch(batch, Impl::kMaxRecordBytes));
  const int32_t partition = events::PartitionFor(batch.stream, impl_->options.partitions);
  if (impl_->owned) return impl_->AppendOwned(batch, partition);
  auto base = impl_->Reserve(batch.stream, batch.expected_version, partition);
  if (!base.ok()) return base.error();
  auto d = std::make_shared<Delivery>();
  d->tail = impl_->tail;
  d->positions.resize(batch.records.size());
  d->delivered.resize(batch.records.size(), false);
  core::Status produced = impl_->Produce(impl_->producer.get(), batch, partition, *base, d);
  const core::ScopedBlocking waiting;  // for the deliveries (ADR 0113)
  std::unique_lock lock(d->mu);
  // librdkafka reports every queued message within message.timeout.ms; the margin only guards
  // against a bug there turning into a hung request.
  bool done = d->cv.wait_for(lock, milliseconds(impl_->options.delivery_timeout_ms + 5000),
                             [&] { return d->pending == 0; });
  int64_t delivered = 0;
  while (delivered < static_cast<int64_t>(d->delivered.size()) &&
         d->delivered[static_cast<size_t>(delivered)]) {
    ++delivered;
  }
  bool ok = produced.ok() && done && !d->error;
  bool uncertain = !ok && (d->possibly_persisted || !done);
  std::optional<int64_t> version;
  if (delivered > 0) version = *base + delivered;
  lock.unlock();
  impl_->Release(batch.stream, partition, version, uncertain);
  if (!produced.ok()) return produced.error();
  if (!done) return core::Unavailable("kafka delivery reports overdue");
  if (!ok) return *d->error;
  return d->positions;
}

core::Result<std::unique_ptr<events::LogReader>> KafkaEventLog::OpenReader(
    const std::vector<events::Position>& start) {
  std::set<int32_t> seen;
  for (const events::Position& p : start) {
    if (p.partition < 0 || p.partition >= impl_->options.partitions || p.offset < 0 ||
        !seen.insert(p.partition).second) {
      return core::InvalidArgument("bad reader start position " + events::FormatPosition(p));
    }
  }
  return kafka_reader::OpenReader(impl_->settings, impl_->options.topic, start, impl_->tail);
}

core::Result<std::vector<int64_t>> KafkaEventLog::EndOffsets() {
  std::vector<int64_t> ends;
  for (int32_t p = 0; p < impl_->options.partitions; ++p) {
    int64_t low = 0, high = 0;
    FILAMENT_RETURN_IF_ERROR(kafka_client::Watermarks(impl_->queries.get(), impl_->options.topic, p,
                                                      impl_->query_timeout, low, high));
    ends.push_back(high);
  }
  return ends;
}

}  // namespace filament::adapters
