// What librdkafka 2.0.2's mock cluster does with transactional producers that share a
// transactional.id (ADR 0082), checked with plain librdkafka clients so nothing of ours can
// hide a difference. These tests assert what the mock DOES, which is not what a real broker
// does: a librdkafka upgrade that makes the mock fence (or hide aborted records) fails them,
// and then the partition-writer tests can move from error injection to the real behaviour.
//
// Why the mock does not fence (librdkafka 2.0.2, rdkafka_mock_handlers.c): InitProducerId
// without a current producer id (every fresh producer) allocates a NEW random producer id at
// epoch 0 instead of looking the transactional.id up and bumping its epoch; Produce,
// AddPartitionsToTxn and EndTxn only check that the caller's (id, epoch) is known. So the old
// producer's id stays valid. Only the KIP-360 path (the same producer re-initialising with
// its current id) bumps an epoch.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "adapters/kafka/mock_cluster.hpp"

namespace filament::adapters {
namespace {

constexpr const char* kTopic = "probe.events";
constexpr int kTimeoutMs = 10000;

struct Client {
  rd_kafka_t* rk = nullptr;
  ~Client() {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

rd_kafka_t* NewTransactional(const std::string& brokers, const std::string& txn_id) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "transactional.id", txn_id.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  EXPECT_NE(rk, nullptr) << err;
  return rk;
}

// The code of a transactional API call's error (NO_ERROR when it succeeded); frees `e`.
rd_kafka_resp_err_t Code(rd_kafka_error_t* e, bool* fatal = nullptr) {
  if (e == nullptr) return RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t code = rd_kafka_error_code(e);
  if (fatal != nullptr) *fatal = rd_kafka_error_is_fatal(e);
  std::printf("  [probe] %s: %s (fatal=%d, abortable=%d)\n", rd_kafka_err2name(code),
              rd_kafka_error_string(e), rd_kafka_error_is_fatal(e),
              rd_kafka_error_txn_requires_abort(e));
  rd_kafka_error_destroy(e);
  return code;
}

rd_kafka_resp_err_t Produce(rd_kafka_t* rk, int32_t partition, const std::string& value) {
  return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_PARTITION(partition),
                           RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
}

// Every value in `partition` from offset 0 to the high watermark, read with `isolation`.
std::vector<std::string> ReadAll(const std::string& brokers, int32_t partition,
                                 const char* isolation) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "probe-reader", err, sizeof err);
  rd_kafka_conf_set(conf, "isolation.level", isolation, err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
  Client c{rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err)};
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, kTopic, partition)->offset = 0;
  rd_kafka_assign(c.rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c.rk, 100);
    if (m == nullptr) continue;
    bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      values.emplace_back(static_cast<const char*>(m->payload), m->len);
    }
    rd_kafka_message_destroy(m);
    if (eof) break;
  }
  rd_kafka_consumer_close(c.rk);
  return values;
}

bool IsFencing(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

class KafkaFencingProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = MockCluster::Start(3, kTopic, 2);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
  }
  std::unique_ptr<MockCluster> cluster_;
};

// Producer A commits; B initialises the same transactional.id. On a real broker A's next
// transaction fails with PRODUCER_FENCED / INVALID_PRODUCER_EPOCH and none of its records reach
// a read_committed reader. On the mock A is NOT fenced: its transaction commits and its
// record is in the partition between A's first and B's.
TEST_F(KafkaFencingProbeTest, MockDoesNotFenceAFreshProducerWithTheSameTransactionalId) {
  const std::string brokers = cluster_->Bootstraps();
  Client a{NewTransactional(brokers, "filament.writer.probe.0")};
  ASSERT_EQ(Code(rd_kafka_init_transactions(a.rk, kTimeoutMs)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Code(rd_kafka_begin_transaction(a.rk)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Produce(a.rk, 0, "a1"), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Code(rd_kafka_commit_transaction(a.rk, kTimeoutMs)), RD_KAFKA_RESP_ERR_NO_ERROR);

  Client b{NewTransactional(brokers, "filament.writer.probe.0")};
  ASSERT_EQ(Code(rd_kafka_init_transactions(b.rk, kTimeoutMs)), RD_KAFKA_RESP_ERR_NO_ERROR);

  // The zombie: A still believes it owns the id.
  rd_kafka_resp_err_t begin = Code(rd_kafka_begin_transaction(a.rk));
  rd_kafka_resp_err_t produced = RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t committed = RD_KAFKA_RESP_ERR_NO_ERROR;
  bool fatal = false;
  if (begin == RD_KAFKA_RESP_ERR_NO_ERROR) {
    produced = Produce(a.rk, 0, "a2-after-fence");
    committed = Code(rd_kafka_commit_transaction(a.rk, kTimeoutMs), &fatal);
  }
  std::printf("  [probe] zombie begin=%s produce=%s commit=%s fatal=%d\n", rd_kafka_err2name(begin),
              rd_kafka_err2name(produced), rd_kafka_err2name(committed), fatal);
  char reason[512] = "";
  rd_kafka_resp_err_t fatal_code = rd_kafka_fatal_error(a.rk, reason, sizeof reason);
  std::printf("  [probe] zombie fatal_error=%s %s\n", rd_kafka_err2name(fatal_code), reason);
  EXPECT_FALSE(IsFencing(begin) || IsFencing(produced) || IsFencing(committed) ||
               IsFencing(fatal_code))
      << "the mock now fences: update ADR 0082 and test fencing without error injection";
  EXPECT_EQ(begin, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(produced, RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(committed, RD_KAFKA_RESP_ERR_NO_ERROR);

  // The new owner writes normally.
  ASSERT_EQ(Code(rd_kafka_begin_transaction(b.rk)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Produce(b.rk, 0, "b1"), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Code(rd_kafka_commit_transaction(b.rk, kTimeoutMs)), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<std::string> committed_view = ReadAll(brokers, 0, "read_committed");
  std::vector<std::string> uncommitted_view = ReadAll(brokers, 0, "read_uncommitted");
  for (const auto& v : uncommitted_view) std::printf("  [probe] read_uncommitted: %s\n", v.c_str());
  const std::vector<std::string> with_zombie = {"a1", "a2-after-fence", "b1"};
  EXPECT_EQ(committed_view, with_zombie);
  EXPECT_EQ(uncommitted_view, with_zombie);
}

// On the mock read_committed does NOT hide an aborted record (its Fetch reports no aborted
// transactions and LastStableOffset = end); a real broker hides it.
TEST_F(KafkaFencingProbeTest, MockReadCommittedDeliversAbortedRecords) {
  const std::string brokers = cluster_->Bootstraps();
  Client a{NewTransactional(brokers, "filament.writer.probe.1")};
  ASSERT_EQ(Code(rd_kafka_init_transactions(a.rk, kTimeoutMs)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Code(rd_kafka_begin_transaction(a.rk)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Produce(a.rk, 1, "aborted"), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_flush(a.rk, kTimeoutMs), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Code(rd_kafka_abort_transaction(a.rk, kTimeoutMs)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Code(rd_kafka_begin_transaction(a.rk)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Produce(a.rk, 1, "kept"), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(Code(rd_kafka_commit_transaction(a.rk, kTimeoutMs)), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<std::string> seen = ReadAll(brokers, 1, "read_committed");
  for (const auto& v : seen) std::printf("  [probe] read_committed after abort: %s\n", v.c_str());
  EXPECT_EQ(seen, (std::vector<std::string>{"aborted", "kept"}))
      << "the mock now hides aborted records: update ADR 0082";
}

}  // namespace
}  // namespace filament::adapters
