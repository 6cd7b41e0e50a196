// A half-applied `transaction: none` revision is visible and resumable: each statement's
// completion is recorded as it runs; status, check and history show how far it got; upgrade
// refuses to run it again from the start; `migctl resume` runs the rest once the cause is fixed.
#include <catch2/catch.hpp>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

constexpr const char* kHead = testing::kSeedHead;

// Three statements, each committed on its own; the second needs a table that does not exist.
std::string InStepsRevision(const std::string& first_statement) {
  return std::string("-- revision: 004_in_steps\n-- parents: ") + kHead +
         "\n-- transaction: none\n-- +upgrade\n" + first_statement +
         "\nINSERT INTO needed_by_step_two (id) VALUES (1);\n"
         "CREATE TABLE step_three (id INTEGER);\n"
         "-- +downgrade\nDROP TABLE step_three;\nDROP TABLE step_one;\n";
}
constexpr const char* kFirst = "CREATE TABLE step_one (id INTEGER);";

TEMPLATE_TEST_CASE("a half-applied transaction: none revision is shown, refused, and resumed",
                   "[daemon][resume]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_in_steps.sql", InStepsRevision(kFirst)}});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);

  MigctlRun failed = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.result().message(),
             Catch::Contains("statement 2 of 3") && Catch::Contains("migctl resume"));

  // Visible: status, check (exit 7), history.
  MigctlRun status = daemon.Migctl({"status"});
  REQUIRE(status.result().status().incomplete_size() == 1);
  CHECK_THAT(status.result().status().incomplete(0),
             Catch::Contains("004_in_steps upgrade") &&
                 Catch::Contains("failed after statement 1 of 3") &&
                 Catch::Contains("needed_by_step_two"));
  CHECK(testing::List(status.result().status().current()) == std::vector<std::string>{kHead});
  MigctlRun check = daemon.Migctl({"check"});
  CHECK(check.exit_code == 7);
  bool reported = false;
  for (const auto& problem : check.result().problems()) {
    reported |= problem.kind() == "incomplete_revision" && problem.revision() == "004_in_steps";
  }
  CHECK(reported);
  MigctlRun history = daemon.Migctl({"history"});
  REQUIRE(history.result().revisions_size() > 0);
  CHECK(history.result().revisions(0).revision() == "004_in_steps");
  CHECK_THAT(history.result().revisions(0).incomplete(), Catch::Contains("1 of 3"));

  // Not run again from the start (its first statement would be repeated).
  MigctlRun again = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 7);
  CHECK_THAT(again.result().message(),
             Catch::Contains("nothing was run") && Catch::Contains("migctl resume"));
  CHECK(daemon.Migctl({"downgrade", "-1", "--no-backup"}).exit_code == 7);

  // The statements that ran may not change under a resume.
  const std::string path = migrations + "/004_in_steps.sql";
  testing::WriteFile(path, InStepsRevision("CREATE TABLE step_one (id INTEGER, extra TEXT);"));
  MigctlRun changed = daemon.Migctl({"resume", "--no-backup"});
  INFO(changed.out << changed.err);
  CHECK(changed.exit_code == 7);
  CHECK_THAT(changed.result().message(), Catch::Contains("changed since they ran"));
  testing::WriteFile(path, InStepsRevision(kFirst));

  // The preview lists what is left; then the cause is fixed and the rest runs, once.
  MigctlRun preview = daemon.Migctl({"resume", "--dry-run"});
  INFO(preview.out << preview.err);
  CHECK(preview.exit_code == 0);
  REQUIRE(preview.result().plan_size() == 1);
  REQUIRE(preview.result().plan(0).statements_size() == 2);
  CHECK_THAT(preview.result().plan(0).statements(0).sql(), Catch::Contains("needed_by_step_two"));
  db.Exec("CREATE TABLE needed_by_step_two (id INTEGER)");
  MigctlRun resumed = daemon.Migctl({"resume", "--no-backup"});
  INFO(resumed.out << resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_in_steps"}});
  CHECK(db.Query("SELECT count(*) FROM needed_by_step_two") == Rows{{"1"}});
  CHECK(db.TableColumns().count("step_three") == 1);
  CHECK(db.Query("SELECT count(*) FROM migrationd_progress") == Rows{{"0"}});
  CHECK(daemon.Migctl({"check"}).exit_code == 0);
  CHECK(daemon.Migctl({"status"}).result().status().incomplete_size() == 0);
  CHECK(daemon.Migctl({"resume"}).exit_code == 2);  // nothing left to resume
  // And the revision rolls back like any other.
  CHECK(daemon.Migctl({"downgrade", "-1", "--no-backup"}).exit_code == 0);
  CHECK(db.TableColumns().count("step_one") == 0);
}

TEST_CASE("a half-applied revision completed by hand is closed by stamp", "[daemon][resume]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_in_steps.sql", InStepsRevision(kFirst)}});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 1);
  db.Exec("CREATE TABLE needed_by_step_two (id INTEGER)");
  db.Exec("INSERT INTO needed_by_step_two (id) VALUES (1)");
  db.Exec("CREATE TABLE step_three (id INTEGER)");
  // The stamp cannot check the schema (004 does not run on an empty database: step two needs a
  // table made by hand), so it takes --force, which is recorded.
  MigctlRun unchecked = daemon.Migctl({"stamp", "004_in_steps"});
  CHECK(unchecked.exit_code == 1);
  CHECK_THAT(unchecked.result().message(),
             Catch::Contains("cannot build the schema") && Catch::Contains("--force"));
  CHECK(daemon.Migctl({"stamp", "004_in_steps", "--force"}).exit_code == 0);
  CHECK(db.Query("SELECT count(*) FROM migrationd_progress") == Rows{{"0"}});
  CHECK(daemon.Migctl({"check"}).exit_code == 0);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEMPLATE_TEST_CASE(
    "a transaction: none revision that failed at its first statement is not "
    "half-applied and runs again",
    "[daemon][resume]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  // The first statement needs a table that does not exist yet.
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_in_steps.sql", InStepsRevision("INSERT INTO needed_first (id) VALUES (1);")}});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);

  MigctlRun failed = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.result().message(), Catch::Contains("statement 1 of 3") &&
                                            Catch::Contains("nothing of it was applied") &&
                                            !Catch::Contains("migctl resume"));
  CHECK(daemon.Migctl({"status"}).result().status().incomplete_size() == 0);
  MigctlRun check = daemon.Migctl({"check"});
  CHECK(check.exit_code == 3);  // pending, not an integrity problem

  // Fixed, the same command runs it from the start.
  db.Exec("CREATE TABLE needed_first (id INTEGER)");
  db.Exec("CREATE TABLE needed_by_step_two (id INTEGER)");
  MigctlRun again = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_in_steps"}});
}

}  // namespace
}  // namespace migrationd
