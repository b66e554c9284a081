// Test helper for embedded_cluster_test.cpp: another process using a data dir, as
// `filament serve` and an operator subcommand are.
//
//   embedded_cluster_owner_for_test DATA_DIR
//
// Calls EmbeddedCluster::Start (durable=false) and prints "owner=<0|1> port=<n>" (or
// "error=<message>") on one line. Then, for each "ping" line on stdin, runs SELECT 1 on one
// connection opened right after Start and prints "ok" or "error=<message>". At EOF on stdin it
// calls Stop and exits 0 (1 on any error).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "adapters/postgres/embedded_cluster.hpp"

namespace {

using filament::postgres::EmbeddedCluster;

void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::string Ping(pqxx::connection& conn) {
  try {
    pqxx::nontransaction(conn).exec("SELECT 1");
    return "ok";
  } catch (const std::exception& e) {
    return std::string("error=") + e.what();
  }
}

int Serve(EmbeddedCluster& cluster) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(cluster.ConnectionString());
  } catch (const std::exception& e) {
    Say(std::string("error=") + e.what());
    return 1;
  }
  Say("owner=" + std::to_string(cluster.owner() ? 1 : 0) +
      " port=" + std::to_string(cluster.port()));
  for (std::string line; std::getline(std::cin, line);) {
    if (line == "ping") Say(Ping(*conn));
  }
  conn.reset();
  return cluster.Stop().ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
    return 2;
  }
  filament::postgres::EmbeddedClusterOptions options;
  options.data_dir = argv[1];
  options.durable = false;
  auto cluster = EmbeddedCluster::Start(options);
  if (!cluster.ok()) {
    Say("error=" + cluster.error().message);
    return 1;
  }
  return Serve(**cluster);
}
