#include "adapters/postgres/migrations.hpp"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/support/pg_test_cluster.hpp"

namespace filament::postgres {
namespace {

int64_t Count(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  return pqxx::nontransaction(conn).exec(sql)[0][0].as<int64_t>();
}

void Exec(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction(conn).exec(sql);
}

TEST(Migrations, EmbeddedListIsOrderedAndStartsWithTheEventLog) {
  auto names = MigrationNames();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "0001_event_log");
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(Migrations, ReRunningIsANoOp) {
  std::string db = testing::CreateFreshDatabase();
  ASSERT_TRUE(ApplyMigrations(db).ok());
  ASSERT_TRUE(ApplyMigrations(db).ok());
  EXPECT_EQ(Count(db, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(MigrationNames().size()));
  EXPECT_EQ(Count(db, "SELECT count(*) FROM event_log"), 0);
}

TEST(Migrations, ConcurrentMigratorsDoNotRace) {
  std::string db = testing::CreateFreshDatabase();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (!ApplyMigrations(db).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(MigrationNames().size()));
}

TEST(Migrations, ARecordedNameThatDiffersIsAnError) {
  std::string db = testing::CreateFreshDatabase();
  ASSERT_TRUE(ApplyMigrations(db).ok());
  Exec(db, "UPDATE schema_migrations SET name = '0001_something_else' WHERE version = 1");
  auto status = ApplyMigrations(db);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kFailedPrecondition);
}

TEST(Migrations, AMigrationFromANewerBuildIsAnError) {
  std::string db = testing::CreateFreshDatabase();
  ASSERT_TRUE(ApplyMigrations(db).ok());
  Exec(db, "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')");
  auto status = ApplyMigrations(db);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kFailedPrecondition);
}

TEST(Migrations, UnreachableDatabaseIsUnavailable) {
  auto status = ApplyMigrations("host=127.0.0.1 port=1 dbname=x connect_timeout=2");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace filament::postgres
