#include "adapters/kafka/mock_cluster.hpp"

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h first.
#include <algorithm>
#include <cstdio>

#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

namespace filament::adapters {

struct MockCluster::Impl {
  rd_kafka_t* host = nullptr;  // the client handle the cluster lives in
  rd_kafka_mock_cluster_t* cluster = nullptr;
  int brokers = 0;

  ~Impl() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (host != nullptr) rd_kafka_destroy(host);
  }
};

MockCluster::MockCluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MockCluster::~MockCluster() = default;

core::Result<std::unique_ptr<MockCluster>> MockCluster::Start(int brokers, std::string topic,
                                                              int32_t partitions) {
  if (brokers < 1 || brokers > 16) return core::InvalidArgument("brokers must be in [1, 16]");
  auto impl = std::make_unique<Impl>();
  impl->brokers = brokers;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  impl->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (impl->host == nullptr) {
    rd_kafka_conf_destroy(conf);
    return core::Internal(std::string("mock cluster host: ") + err);
  }
  impl->cluster = rd_kafka_mock_cluster_new(impl->host, brokers);
  if (impl->cluster == nullptr) return core::Internal("rd_kafka_mock_cluster_new failed");
  auto cluster = std::unique_ptr<MockCluster>(new MockCluster(std::move(impl)));
  FILAMENT_RETURN_IF_ERROR(cluster->CreateTopic(topic, partitions));
  return cluster;
}

std::string MockCluster::Bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(impl_->cluster);
}

core::Status MockCluster::CreateTopic(const std::string& topic, int32_t partitions) {
  if (topic.empty() || partitions < 1 || partitions > 1024) {
    return core::InvalidArgument("mock topic needs a name and 1..1024 partitions");
  }
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(impl_->cluster, topic.c_str(), partitions,
                                                       std::min(3, impl_->brokers));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return core::MakeError(core::ErrorCode::kFailedPrecondition,
                           "mock topic " + topic + ": " + rd_kafka_err2str(err));
  }
  return core::OkStatus();
}

core::Status MockCluster::SetAllBrokersDown(bool down) {
  for (int32_t id = 1; id <= impl_->brokers; ++id) {
    rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(impl_->cluster, id)
                                   : rd_kafka_mock_broker_set_up(impl_->cluster, id);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return core::Internal(std::string("mock broker state: ") + rd_kafka_err2str(err));
    }
  }
  return core::OkStatus();
}

void MockCluster::PushRequestErrors(int16_t api_key, const std::vector<int>& errors) {
  std::vector<rd_kafka_resp_err_t> codes;
  for (int e : errors) codes.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(impl_->cluster, api_key, codes.size(), codes.data());
}

int RunKafkaMock(int brokers, const std::string& topic, int32_t partitions) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // A shell starts background jobs with SIGINT ignored, and an ignored signal is discarded
  // before sigwait could see it: restore the default (harmless while blocked).
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  // Blocked before librdkafka starts its threads, so they inherit the mask and sigwait below
  // is the only receiver.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto cluster = MockCluster::Start(brokers, topic, partitions);
  if (!cluster.ok()) {
    std::fprintf(stderr, "kafka-mock: %s\n", cluster.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", (*cluster)->Bootstraps().c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  return 0;
}

}  // namespace filament::adapters
