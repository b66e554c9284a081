#include "adapters/kafka/kafka_transactions.hpp"

#include <gtest/gtest.h>

namespace filament::adapters::kafka_txn {
namespace {

TEST(KafkaTransactions, TransactionalIdNamesTopicAndPartition) {
  EXPECT_EQ(TransactionalId("filament.events", 3), "filament.writer.filament.events.3");
  EXPECT_NE(TransactionalId("a", 12), TransactionalId("a.1", 2));  // "a.12" vs "a.1.2"
}

TEST(KafkaTransactions, FencingCodesAndFatalErrorsGiveThePartitionUp) {
  // librdkafka codes: _FENCED -144, PRODUCER_FENCED 90, INVALID_PRODUCER_EPOCH 47,
  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED 53; even when flagged abortable.
  for (int code : {-144, 90, 47, 53}) {
    EXPECT_EQ(Classify(code, false, true), Failure::kFenced) << code;
    EXPECT_EQ(Classify(code, false, false), Failure::kFenced) << code;
  }
  EXPECT_EQ(Classify(-185 /* _TIMED_OUT */, true, false), Failure::kFenced);
}

TEST(KafkaTransactions, OtherErrorsAbortOrRetry) {
  EXPECT_EQ(Classify(-185 /* _TIMED_OUT */, false, false), Failure::kRetriable);
  EXPECT_EQ(Classify(-187 /* _ALL_BROKERS_DOWN */, false, false), Failure::kRetriable);
  EXPECT_EQ(Classify(10 /* MSG_SIZE_TOO_LARGE */, false, true), Failure::kAbortable);
}

}  // namespace
}  // namespace filament::adapters::kafka_txn
