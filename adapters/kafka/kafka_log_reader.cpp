#include "adapters/kafka/kafka_log_reader.hpp"

#include <map>
#include <optional>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "adapters/kafka/kafka_record_codec.hpp"

namespace filament::adapters::kafka_reader {
namespace {

using Clock = std::chrono::steady_clock;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

std::optional<std::string_view> View(const void* data, size_t size) {
  if (data == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(data), size);
}

}  // namespace

events::StoredRecord DecodeMessage(const rd_kafka_message_t& m) {
  events::StoredRecord out;
  out.position = {m.partition, m.offset};
  rd_kafka_headers_t* headers = nullptr;  // owned by the message
  rd_kafka_resp_err_t herr = rd_kafka_message_headers(&m, &headers);
  if (herr != RD_KAFKA_RESP_ERR_NO_ERROR && herr != RD_KAFKA_RESP_ERR__NOENT) headers = nullptr;
  kafka_codec::HeaderLookup lookup =
      [headers](std::string_view name) -> std::optional<std::string_view> {
    const void* value = nullptr;
    size_t size = 0;
    if (headers == nullptr || rd_kafka_header_get_last(headers, std::string(name).c_str(), &value,
                                                       &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return std::nullopt;
    }
    return View(value, size);
  };
  out.decode_error = kafka_codec::DecodeHeaders(lookup, View(m.key, m.key_len), out.record.meta);
  if (m.payload == nullptr) {
    out.decode_error = core::Internal("undecodable kafka record: null value (tombstone)");
  } else {
    out.record.payload.assign(static_cast<const char*>(m.payload), m.len);
  }
  return out;
}

namespace {

class KafkaLogReader : public events::LogReader {
 public:
  KafkaLogReader(kafka_client::Handle consumer, std::string topic,
                 const std::vector<events::Position>& start, std::shared_ptr<LocalTail> tail)
      : consumer_(std::move(consumer)), topic_(std::move(topic)), tail_(std::move(tail)) {
    for (const events::Position& p : start) {
      if (p.offset >= 0) next_[p.partition] = p.offset;
    }
    queue_ = tail_ ? rd_kafka_queue_get_consumer(consumer_.get()) : nullptr;
    if (queue_ != nullptr) {
      // A publish interrupts a blocking consumer poll; the yield flag persists until the
      // poll sees it, so a publish between TakeLocal and the poll is not lost.
      waker_ = tail_->AddWaker([q = queue_] { rd_kafka_queue_yield(q); });
    }
  }

  ~KafkaLogReader() override {
    if (queue_ == nullptr) return;
    tail_->RemoveWaker(waker_);
    rd_kafka_queue_destroy(queue_);
  }

  KafkaLogReader(const KafkaLogReader&) = delete;
  KafkaLogReader& operator=(const KafkaLogReader&) = delete;

  core::Result<std::vector<events::StoredRecord>> Poll(size_t max_records,
                                                       std::chrono::milliseconds wait) override {
    if (pending_error_) {
      core::Error error = std::move(*pending_error_);
      pending_error_.reset();
      return error;
    }
    std::vector<events::StoredRecord> out;
    const auto deadline = Clock::now() + wait;
    while (out.size() < max_records) {
      TakeLocal(out, max_records);
      if (out.size() >= max_records) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      int timeout_ms = out.empty() ? static_cast<int>(std::max<int64_t>(left.count(), 0)) : 0;
      Message m(rd_kafka_consumer_poll(consumer_.get(), timeout_ms));
      if (!m) {  // nothing fetched, or woken by the tail
        if (!out.empty() || Clock::now() >= deadline) break;
        continue;
      }
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::optional<core::Error> error = MapError(*m);
        if (!error) continue;
        if (out.empty()) return *error;
        pending_error_ = std::move(error);
        break;
      }
      if (Accept(*m)) out.push_back(DecodeMessage(*m));
    }
    return out;
  }

  // The next offset this reader returns from `partition` (past the end once EOF was seen).
  int64_t NextOffset(int32_t partition) const override { return Next(partition); }
  int64_t Next(int32_t partition) const {
    auto it = next_.find(partition);
    return it == next_.end() ? -1 : it->second;
  }

 private:
  // Partition EOF and transient broker events are not errors: librdkafka keeps retrying.
  std::optional<core::Error> MapError(const rd_kafka_message_t& m) {
    switch (m.err) {
      case RD_KAFKA_RESP_ERR__PARTITION_EOF: {
        // The end may lie past the last record: transaction markers take offsets too.
        auto it = next_.find(m.partition);
        if (it != next_.end() && m.offset > it->second) it->second = m.offset;
        return std::nullopt;
      }
      case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      case RD_KAFKA_RESP_ERR__TRANSPORT:
        return core::Unavailable(std::string("kafka reader: ") + rd_kafka_err2str(m.err));
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        return core::Internal("kafka reader: start offset no longer in the log (partition " +
                              std::to_string(m.partition) + ")");
      default:
        if (rd_kafka_fatal_error(consumer_.get(), nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          return core::Internal(std::string("kafka reader: ") + rd_kafka_err2str(m.err));
        }
        return core::Unavailable(std::string("kafka reader: ") + rd_kafka_err2str(m.err));
    }
  }

  // Appends, per partition, the records the tail holds at exactly the next offset (so never
  // a gap); the consumer later fetches them too and Accept drops them.
  void TakeLocal(std::vector<events::StoredRecord>& out, size_t max_records) {
    if (!tail_) return;
    for (auto& [partition, next] : next_) {
      while (out.size() < max_records) {
        auto record = tail_->Find({partition, next});
        if (!record) break;
        out.push_back(*record);
        ++next;
      }
    }
  }

  // Enforces "never a lower offset after a higher one" even if a fetch is repeated.
  bool Accept(const rd_kafka_message_t& m) {
    if (m.rkt == nullptr || topic_ != rd_kafka_topic_name(m.rkt)) return false;
    auto [it, fresh] = next_.try_emplace(m.partition, m.offset);
    if (!fresh && m.offset < it->second) return false;
    it->second = m.offset + 1;
    return true;
  }

  kafka_client::Handle consumer_;
  std::string topic_;
  std::shared_ptr<LocalTail> tail_;
  rd_kafka_queue_t* queue_ = nullptr;  // the consumer queue, woken by the tail
  uint64_t waker_ = 0;
  std::map<int32_t, int64_t> next_;  // partition → next offset to return
  std::optional<core::Error> pending_error_;
};

}  // namespace

namespace {

core::Result<std::unique_ptr<KafkaLogReader>> OpenKafkaReader(
    const kafka_client::Settings& base, const std::string& topic,
    const std::vector<events::Position>& start, std::shared_ptr<LocalTail> tail) {
  auto consumer = kafka_client::NewConsumer(base);
  if (!consumer.ok()) return consumer.error();
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(start.size()));
  for (const events::Position& p : start) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p.partition)->offset = p.offset;
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(consumer->get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return core::Internal(std::string("kafka assign: ") + rd_kafka_err2str(err));
  }
  return std::make_unique<KafkaLogReader>(std::move(*consumer), topic, start, std::move(tail));
}

}  // namespace

core::Result<std::unique_ptr<events::LogReader>> OpenReader(
    const kafka_client::Settings& base, const std::string& topic,
    const std::vector<events::Position>& start, std::shared_ptr<LocalTail> tail) {
  auto reader = OpenKafkaReader(base, topic, start, std::move(tail));
  if (!reader.ok()) return reader.error();
  return std::unique_ptr<events::LogReader>(std::move(*reader));
}

core::Status ScanPartitions(const kafka_client::Settings& base, const std::string& topic,
                            const std::vector<int32_t>& partitions,
                            std::chrono::milliseconds timeout,
                            const std::function<void(const events::StoredRecord&)>& visit) {
  auto probe = kafka_client::NewConsumer(base);
  if (!probe.ok()) return probe.error();
  std::map<int32_t, int64_t> end;  // partitions still to read → their end offset
  std::vector<events::Position> start;
  for (int32_t p : partitions) {
    int64_t low = 0, high = 0;
    FILAMENT_RETURN_IF_ERROR(kafka_client::Watermarks(probe->get(), topic, p, timeout, low, high));
    if (high > low) {
      end[p] = high;
      start.push_back({p, low});  // explicit, saves resolving a logical offset
    }
  }
  if (end.empty()) return core::OkStatus();
  auto reader = OpenKafkaReader(base, topic, start, nullptr);
  if (!reader.ok()) return reader.error();
  auto last_progress = Clock::now();
  while (!end.empty()) {
    auto batch = (*reader)->Poll(1000, std::chrono::milliseconds(100));
    if (!batch.ok()) return batch.error();
    if (!batch->empty()) last_progress = Clock::now();
    if (Clock::now() - last_progress > timeout) {
      return core::Unavailable("kafka scan of " + topic + " made no progress");
    }
    for (const events::StoredRecord& r : *batch) {
      auto it = end.find(r.position.partition);
      if (it == end.end() || r.position.offset >= it->second) continue;
      visit(r);
      if (r.position.offset + 1 >= it->second) end.erase(it);
    }
    // A partition whose last offsets are transaction markers ends at EOF, not at a record.
    std::erase_if(end, [&](const auto& e) { return (*reader)->Next(e.first) >= e.second; });
  }
  return core::OkStatus();
}

}  // namespace filament::adapters::kafka_reader
