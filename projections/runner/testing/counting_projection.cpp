#include "projections/runner/testing/counting_projection.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <pqxx/pqxx>

#include "core/ulid.hpp"
#include "projections/runner/pg_support.hpp"

namespace filament::projections::testing {

std::vector<std::string> CountingProjection::Tables() const {
  return {name_ + "_records", name_ + "_totals"};
}

core::Status CountingProjection::Apply(pqxx::dbtransaction& tx,
                                       const events::StoredRecord& record) {
  if (Ignores(record.record.meta)) return core::OkStatus();
  ++apply_calls;
  if (record.record.meta.type == "poison") {
    return core::InvalidArgument("payload does not decode as any known event");
  }
  tx.exec_params("INSERT INTO " + tx.quote_name(name_ + "_records") +
                     " (partition, \"offset\", type, stream, payload) VALUES ($1, $2, $3, $4, $5)",
                 record.position.partition, record.position.offset, record.record.meta.type,
                 record.record.meta.stream, record.record.payload);
  auto totals = tx.quote_name(name_ + "_totals");
  tx.exec("INSERT INTO " + totals +
          " (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = " + totals + ".n + 1");
  if (transient_failures.load() > 0) {
    --transient_failures;
    return core::Unavailable("injected transient failure");
  }
  return core::OkStatus();
}

core::Status CountingProjection::CreateTables(const std::string& conninfo) const {
  auto conn = pg::Connect(conninfo);
  if (!conn.ok()) return conn.error();
  return pg::Guard("create counting tables", [&]() -> core::Status {
    pqxx::work tx(**conn);
    tx.exec("CREATE TABLE IF NOT EXISTS " + tx.quote_name(name_ + "_records") +
            " (partition int NOT NULL, \"offset\" bigint NOT NULL, type text NOT NULL, "
            "stream text NOT NULL, payload text NOT NULL, PRIMARY KEY (partition, \"offset\"))");
    tx.exec("CREATE TABLE IF NOT EXISTS " + tx.quote_name(name_ + "_totals") +
            " (id int PRIMARY KEY, n bigint NOT NULL)");
    tx.commit();
    return core::OkStatus();
  });
}

core::Result<std::vector<events::Position>> AppendRecords(events::EventLog& log, int count,
                                                          int streams, int poison_every,
                                                          const std::string& prefix) {
  static core::UlidGenerator ids;
  std::map<std::string, int64_t> versions;
  auto now_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  std::vector<events::Position> positions;
  for (int i = 0; i < count; ++i) {
    std::string stream = prefix + std::to_string(i % streams);
    bool poison = poison_every > 0 && (i + 1) % poison_every == 0;
    events::LogRecord record;
    record.meta = {ids.Next(now_ms).ToString(),
                   poison ? "poison" : "thing_happened",
                   1,
                   stream,
                   0,
                   static_cast<int64_t>(now_ms) + i,
                   "actor",
                   "corr",
                   ""};
    record.payload = "{\"i\":" + std::to_string(i) + "}";
    auto appended = log.Append({stream, events::AppendBatch::kAnyVersion, {record}});
    if (!appended.ok()) return appended.error();
    positions.push_back((*appended)[0]);
  }
  return positions;
}

int64_t QueryInt(const std::string& conninfo, const std::string& sql) {
  try {
    pqxx::connection conn(conninfo);
    pqxx::work tx(conn);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? 0 : row[0].as<int64_t>();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "QueryInt(%s): %s\n", sql.c_str(), e.what());
    std::abort();
  }
}

void ExecSql(const std::string& conninfo, const std::string& sql) {
  try {
    pqxx::connection conn(conninfo);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ExecSql(%s): %s\n", sql.c_str(), e.what());
    std::abort();
  }
}

}  // namespace filament::projections::testing
