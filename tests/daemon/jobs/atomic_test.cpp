// --atomic: the whole plan in one transaction, on both engines. A failure in the last revision
// leaves the database exactly as before the command (schema, version rows), with the failure in
// history; a plan with a `transaction: none` revision is refused before anything runs.
#include <catch2/catch.hpp>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

constexpr const char* kHead = testing::kSeedHead;

TEMPLATE_TEST_CASE("an atomic upgrade applies all revisions or none", "[daemon][atomic]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_breaks.sql", "-- revision: 004_breaks\n-- parents: " + std::string(kHead) +
                                   "\n-- +upgrade\nCREATE TABLE made_by_004 (id INTEGER);\n"
                                   "INSERT INTO no_such_table VALUES (1);\n"
                                   "-- +downgrade\nDROP TABLE made_by_004;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "001", "--no-backup"}).exit_code == 0);
  const auto tables_before = db.TableColumns();

  MigctlRun failed = daemon.Migctl({"upgrade", "--atomic", "--no-backup"});
  CHECK(failed.exit_code == 1);
  CHECK_THAT(
      failed.result().message(),
      Catch::Contains("upgrade of '004_breaks' failed, and the whole plan was rolled back") &&
          Catch::Contains("none of its 3 revision(s) is applied"));
  // Exactly as before: 002's indexes, 003's table and 004's table are not there.
  CHECK(db.TableColumns() == tables_before);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"001_group_ai"}});
  CHECK(db.Query("SELECT revision, outcome FROM migrationd_history ORDER BY id DESC LIMIT 1") ==
        Rows{{"004_breaks", "failed"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE outcome = 'success' AND "
                 "revision IN ('002_add_indexes', '" +
                 std::string(kHead) + "')") == Rows{{"0"}});

  MigctlRun good = daemon.Migctl({"upgrade", kHead, "--atomic", "--no-backup"});
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.result().message(), Catch::Contains("in one transaction"));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(daemon.Migctl({"downgrade", "base", "--atomic", "--no-backup"}).exit_code == 0);
  CHECK(db.TableColumns().empty());
}

// The history rows of an atomic plan are written after its last revision, several per statement:
// each revision still gets its own row, in order, with its own checksum and duration.
TEMPLATE_TEST_CASE("an atomic plan of 120 revisions records one history row per revision",
                   "[daemon][atomic]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::GeneratedChain(dir, 120));
  MigctlRun up = daemon.Migctl({"upgrade", "--atomic", "--no-backup"});
  REQUIRE(up.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"r0120"}});
  Rows rows = db.Query(
      "SELECT revision, direction, outcome, heads_after, length(checksum) FROM migrationd_history"
      " ORDER BY id");
  REQUIRE(rows.size() == 120);
  for (int i = 1; i <= 120; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "r%04d", i);
    INFO(id);
    CHECK(rows[static_cast<size_t>(i - 1)] ==
          std::vector<std::string>{id, "upgrade", "success", id, "64"});
  }
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE duration_ms < 0 OR"
                 " finished_at < started_at") == Rows{{"0"}});
  MigctlRun down = daemon.Migctl({"downgrade", "base", "--atomic", "--no-backup"});
  REQUIRE(down.exit_code == 0);
  CHECK(db.Query("SELECT count(*) FROM migrationd_version") == Rows{{"0"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE direction = 'downgrade'") ==
        Rows{{"120"}});
}

TEST_CASE("an atomic upgrade refuses a plan with a transaction: none revision before running it",
          "[daemon][atomic]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_none.sql", "-- revision: 004_none\n-- parents: " + std::string(kHead) +
                                 "\n-- transaction: none\n-- +upgrade\nCREATE TABLE n (id "
                                 "INTEGER);\n-- +downgrade\nDROP TABLE n;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun refused = daemon.Migctl({"upgrade", "--atomic", "--no-backup"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.result().message(),
             Catch::Contains("'004_none'") && Catch::Contains("is 'transaction: none'"));
  CHECK(db.TableColumns().empty());
  CHECK(daemon.Migctl({"status"}).result().status().current_size() == 0);
  CHECK(daemon.Migctl({"check", "--atomic"}).exit_code == 2);  // only upgrade and downgrade
}

}  // namespace
}  // namespace migrationd
