// KafkaEventLog seen from, and fed by, plain librdkafka clients: the log is a normal Kafka
// topic that other tools can read, and foreign records decode to decode_error, never a crash.
#include <chrono>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "adapters/kafka/kafka_event_log.hpp"
#include "adapters/kafka/mock_cluster.hpp"

namespace filament::adapters {
namespace {

using std::chrono::milliseconds;
using Headers = std::map<std::string, std::string>;

rd_kafka_t* NewClient(rd_kafka_type_t type, const std::string& brokers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "raw-test", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  EXPECT_NE(rk, nullptr) << err;
  return rk;
}

// Produces one record with exactly `headers` to `partition`, waiting for its delivery.
void ProduceRaw(const std::string& brokers, int32_t partition, const std::string& key,
                const std::string& value, const Headers& headers) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, brokers);
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
  for (const auto& [name, v] : headers) rd_kafka_header_add(hdrs, name.c_str(), -1, v.data(), -1);
  rd_kafka_vu_t vu[5] = {};
  vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vu[0].u.cstr = "filament.events";
  vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  vu[1].u.i32 = partition;
  vu[2].vtype = RD_KAFKA_VTYPE_KEY;
  vu[2].u.mem = {const_cast<char*>(key.data()), key.size()};
  vu[3].vtype = RD_KAFKA_VTYPE_VALUE;
  vu[3].u.mem = {const_cast<char*>(value.data()), value.size()};
  vu[4].vtype = RD_KAFKA_VTYPE_HEADERS;
  vu[4].u.headers = hdrs;
  ASSERT_EQ(rd_kafka_produceva(rk, vu, 5), nullptr);
  EXPECT_EQ(rd_kafka_flush(rk, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
}

// Reads the headers of the record at (partition, offset) with a plain consumer.
Headers ConsumeRawHeaders(const std::string& brokers, events::Position at) {
  rd_kafka_t* rk = NewClient(RD_KAFKA_CONSUMER, brokers);
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, "filament.events", at.partition)->offset = at.offset;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  Headers out;
  for (int i = 0; i < 50 && out.empty(); ++i) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    rd_kafka_headers_t* hdrs = nullptr;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && rd_kafka_message_headers(m, &hdrs) == 0) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t idx = 0; rd_kafka_header_get_all(hdrs, idx, &name, &value, &size) == 0; ++idx) {
        out[name] = std::string(static_cast<const char*>(value), size);
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

class KafkaRawTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::Start(1, "filament.events", 4);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
    auto log = KafkaEventLog::Open({cluster_->Bootstraps(), "filament.events", 4, 3000});
    ASSERT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(*log);
  }
  std::unique_ptr<MockCluster> cluster_;
  std::unique_ptr<KafkaEventLog> log_;
};

TEST_F(KafkaRawTest, RecordsCarryCloudEventsBinaryHeaders) {
  events::LogRecord r;
  r.meta = {"01HZX3F4G5H6J7K8M9N0P1Q2R3", "message_posted", 1,      "guild:A", 1, 1714566896789,
            "01HZX3F4G5H6J7K8M9N0P1Q2R5", "req-1",          "cmd-1"};
  r.payload = R"({"content":"hi"})";
  auto positions = log_->Append({"guild:A", 0, {r}});
  ASSERT_TRUE(positions.ok());
  Headers h = ConsumeRawHeaders(cluster_->Bootstraps(), (*positions)[0]);
  EXPECT_EQ(h, (Headers{{"ce_specversion", "1.0"},
                        {"ce_id", "01HZX3F4G5H6J7K8M9N0P1Q2R3"},
                        {"ce_type", "message_posted"},
                        {"ce_source", "/filament"},
                        {"ce_time", "2024-05-01T12:34:56.789Z"},
                        {"ce_subject", "guild:A"},
                        {"content-type", "application/json"},
                        {"actor_user_id", "01HZX3F4G5H6J7K8M9N0P1Q2R5"},
                        {"stream_version", "1"},
                        {"correlation_id", "req-1"},
                        {"causation_id", "cmd-1"},
                        {"schema_version", "1"}}));
}

TEST_F(KafkaRawTest, ForeignRecordsComeBackWithDecodeErrorInOrder) {
  Headers good = {{"ce_specversion", "1.0"}, {"ce_id", "x"},
                  {"ce_type", "t"},          {"ce_time", "2024-05-01T12:34:56.789Z"},
                  {"ce_subject", "guild:A"}, {"stream_version", "1"},
                  {"schema_version", "1"}};
  Headers missing = good;
  missing.erase("ce_id");
  Headers bad_number = good;
  bad_number["stream_version"] = "one";
  int32_t p = events::PartitionFor("guild:A", 4);
  ProduceRaw(cluster_->Bootstraps(), p, "guild:A", "{}", missing);
  ProduceRaw(cluster_->Bootstraps(), p, "guild:A", "{}", bad_number);
  ProduceRaw(cluster_->Bootstraps(), p, "guild:A", "{}", good);
  auto reader = log_->OpenReader({{p, 0}});
  ASSERT_TRUE(reader.ok());
  std::vector<events::StoredRecord> read;
  for (int i = 0; i < 50 && read.size() < 3; ++i) {
    auto got = (*reader)->Poll(3, milliseconds(100));
    ASSERT_TRUE(got.ok());
    read.insert(read.end(), got->begin(), got->end());
  }
  ASSERT_EQ(read.size(), 3u);
  ASSERT_TRUE(read[0].decode_error.has_value());
  EXPECT_NE(read[0].decode_error->message.find("ce_id"), std::string::npos);
  EXPECT_EQ(read[0].position, (events::Position{p, 0}));
  ASSERT_TRUE(read[1].decode_error.has_value());
  EXPECT_NE(read[1].decode_error->message.find("stream_version"), std::string::npos);
  EXPECT_FALSE(read[2].decode_error.has_value());
  EXPECT_EQ(read[2].record.meta.stream, "guild:A");
}

TEST_F(KafkaRawTest, ReopenCountsForeignWellFormedRecordsAndSkipsBrokenOnes) {
  Headers good = {{"ce_specversion", "1.0"}, {"ce_id", "x"},
                  {"ce_type", "t"},          {"ce_time", "2024-05-01T12:34:56Z"},
                  {"ce_subject", "guild:A"}, {"stream_version", "1"},
                  {"schema_version", "1"}};
  ProduceRaw(cluster_->Bootstraps(), events::PartitionFor("guild:A", 4), "guild:A", "{}", good);
  ProduceRaw(cluster_->Bootstraps(), 0, "junk", "{}", {});
  auto log = KafkaEventLog::Open({cluster_->Bootstraps(), "filament.events", 4, 3000});
  ASSERT_TRUE(log.ok());
  events::LogRecord first;
  first.meta = {"01HZX3F4G5H6J7K8M9N0P1Q2R3", "t", 1, "guild:A", 1, 0, "", "", ""};
  events::LogRecord second = first;
  second.meta.stream_version = 2;
  EXPECT_EQ((*log)->Append({"guild:A", 0, {first}}).error().code, core::ErrorCode::kAborted);
  EXPECT_TRUE((*log)->Append({"guild:A", 1, {second}}).ok());
}

}  // namespace
}  // namespace filament::adapters
