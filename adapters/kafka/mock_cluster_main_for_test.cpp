// Test helper: the body of `filament kafka-mock`, as its own process (mock_cluster_test.cpp).
#include "adapters/kafka/mock_cluster.hpp"

int main() { return filament::adapters::RunKafkaMock(3, "filament.events", 4); }
