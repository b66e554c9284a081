#include "tools/bench/bench_util.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <sys/stat.h>

#include "adapters/postgres/embedded_cluster.hpp"
#include "adapters/postgres/migrations.hpp"

namespace filament::bench {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Die(const std::string& what, const core::Error& error) {
  std::cerr << "bench: " << what << ": " << core::ErrorCodeName(error.code) << ": " << error.message
            << "\n";
  std::exit(2);
}

LatencySummary Summarize(std::vector<int64_t> samples_ns) {
  LatencySummary out;
  out.count = samples_ns.size();
  if (samples_ns.empty()) return out;
  std::sort(samples_ns.begin(), samples_ns.end());
  auto at = [&](double q) {
    size_t index = static_cast<size_t>(q * static_cast<double>(samples_ns.size() - 1) + 0.5);
    return static_cast<double>(samples_ns[index]) / 1e6;
  };
  out.p50_ms = at(0.50);
  out.p99_ms = at(0.99);
  out.max_ms = static_cast<double>(samples_ns.back()) / 1e6;
  return out;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    Die("mkdtemp", core::Internal("cannot create " + pattern));
  }
  chmod(pattern.c_str(), 0755);
  return pattern;
}

std::unique_ptr<postgres::EmbeddedCluster> StartMigratedCluster(const std::string& data_dir,
                                                                bool durable) {
  auto cluster =
      Unwrap(postgres::EmbeddedCluster::Start({.data_dir = data_dir, .durable = durable}),
             "start embedded PostgreSQL in " + data_dir);
  CheckOk(postgres::ApplyMigrations(cluster->ConnectionString()), "apply migrations");
  return cluster;
}

std::string RecordFactory::NewId() {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return ids_.Next(static_cast<uint64_t>(now_ms)).ToString();
}

events::LogRecord RecordFactory::Make(const events::Event& event, int64_t stream_version,
                                      int64_t time_ms, const std::string& actor) {
  events::LogRecord record;
  record.meta = events::RecordMeta{
      .event_id = NewId(),
      .type = std::string(events::TypeOf(event)),
      .schema_version = events::SchemaVersionOf(event),
      .stream = events::StreamKeyOf(event),
      .stream_version = stream_version,
      .time_unix_ms = time_ms,
      .actor_user_id = actor,
      .correlation_id = NewId(),
      .causation_id = NewId(),
  };
  record.payload = events::EncodePayload(event);
  return record;
}

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void Table::Print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line = "|";
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      line += " " + cell + std::string(widths[i] - cell.size(), ' ') + " |";
    }
    std::cout << line << "\n";
  };
  print_row(rows_[0]);
  std::string rule = "|";
  for (size_t w : widths) rule += std::string(w + 2, '-') + "|";
  std::cout << rule << "\n";
  for (size_t i = 1; i < rows_.size(); ++i) print_row(rows_[i]);
  std::cout.flush();
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace filament::bench
