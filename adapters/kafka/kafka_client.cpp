#include "adapters/kafka/kafka_client.hpp"

#include <algorithm>
#include <atomic>

#include <librdkafka/rdkafka.h>

namespace filament::adapters::kafka_client {
namespace {

std::string Ms(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }

core::Result<rd_kafka_conf_t*> MakeConf(const Settings& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return core::InvalidArgument("kafka setting " + name + ": " + err);
    }
  }
  return conf;
}

core::Result<Handle> NewHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);  // owns conf on success
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return core::Internal(std::string("cannot create kafka client: ") + err);
  }
  return Handle(rk);
}

}  // namespace

void HandleDeleter::operator()(rd_kafka_s* rk) const {
  if (rd_kafka_type(rk) == RD_KAFKA_PRODUCER) {
    // Whatever is still queued fails with a delivery report instead of delaying destroy.
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk, 0);
  } else {
    rd_kafka_consumer_close(rk);
  }
  rd_kafka_destroy(rk);
}

Settings BaseSettings(const std::string& brokers, std::chrono::milliseconds timeout) {
  auto short_timeout = std::min(timeout, std::chrono::milliseconds(5000));
  return {
      {"bootstrap.servers", brokers},
      {"socket.timeout.ms", Ms(std::max(short_timeout, std::chrono::milliseconds(10)))},
      {"socket.connection.setup.timeout.ms",
       Ms(std::max(short_timeout, std::chrono::milliseconds(1000)))},
      {"reconnect.backoff.ms", "50"},
      {"reconnect.backoff.max.ms", "1000"},
      {"topic.metadata.refresh.interval.ms", "60000"},
      {"log.connection.close", "false"},
      // librdkafka logs to stderr by default; keep it quiet but not silent.
      {"log_level", "3"},
  };
}

core::Result<Handle> NewProducer(const Settings& base, std::chrono::milliseconds delivery_timeout,
                                 DeliveryCallback on_delivery) {
  Settings s = base;
  s["enable.idempotence"] = "true";
  s["acks"] = "all";
  s.try_emplace("linger.ms", "0");
  s["message.timeout.ms"] = Ms(delivery_timeout);
  s["request.timeout.ms"] = s["socket.timeout.ms"];
  auto conf = MakeConf(s);
  if (!conf.ok()) return conf.error();
  rd_kafka_conf_set_dr_msg_cb(*conf, on_delivery);
  return NewHandle(RD_KAFKA_PRODUCER, *conf);
}

core::Result<Handle> NewConsumer(const Settings& base) {
  static std::atomic<uint64_t> counter{0};
  Settings s = base;
  // assign() needs a group.id, but without subscribe() nothing joins the group.
  s["group.id"] = "filament-reader-" + std::to_string(counter++);
  s["enable.auto.commit"] = "false";
  s["enable.auto.offset.store"] = "false";
  s["enable.partition.eof"] = "true";
  s["auto.offset.reset"] = "error";
  // librdkafka's default, stated: records of open or aborted transactions (fenced partition
  // writers, ADR 0082) are never read. (librdkafka 2.0.2's mock ignores it.)
  s["isolation.level"] = "read_committed";
  s.try_emplace("fetch.wait.max.ms", "20");
  s["fetch.error.backoff.ms"] = "20";
  auto conf = MakeConf(s);
  if (!conf.ok()) return conf.error();
  return NewHandle(RD_KAFKA_CONSUMER, *conf);
}

core::Result<int32_t> TopicPartitions(rd_kafka_s* rk, const std::string& topic,
                                      std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rkt == nullptr) return core::InvalidArgument("bad topic name " + topic);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return core::Unavailable(std::string("kafka metadata: ") + rd_kafka_err2str(err));
  }
  core::Result<int32_t> result = core::NotFound("topic " + topic + " not in metadata");
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = t.partition_cnt;
    } else if (t.err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      result = core::Unavailable("topic " + topic + ": " + rd_kafka_err2str(t.err));
    }
  }
  rd_kafka_metadata_destroy(md);
  return result;
}

core::Status Watermarks(rd_kafka_s* rk, const std::string& topic, int32_t partition,
                        std::chrono::milliseconds timeout, int64_t& low, int64_t& high) {
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      rk, topic.c_str(), partition, &low, &high, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return core::Unavailable("kafka watermarks of " + topic + "[" + std::to_string(partition) +
                             "]: " + rd_kafka_err2str(err));
  }
  return core::OkStatus();
}

}  // namespace filament::adapters::kafka_client
