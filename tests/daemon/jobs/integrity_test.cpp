// Checksums are enforced, not just reported: an applied script that changed blocks every
// mutating command (exit 7, nothing run) until `repair` records why; stamped and restored
// revisions keep real checksums, so `check` stays meaningful after them.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

constexpr const char* kHead = testing::kSeedHead;

// Edits the applied script 001 the way people do: a statement added to its (common) downgrade
// section, which runs on both engines.
void Edit001(const std::string& migrations) {
  const std::string path = migrations + "/001_group_ai.sql";
  std::string text = testing::ReadFile(path);
  const std::string marker = "-- +downgrade\n";
  size_t at = text.find(marker);
  REQUIRE(at != std::string::npos);
  text.insert(at + marker.size(), "DROP TABLE users;\n");
  testing::WriteFile(path, text);
}

Rows HistoryCount(testing::TestDatabase& db) {
  return db.Query("SELECT count(*) FROM migrationd_history");
}

TEMPLATE_TEST_CASE("an edited applied script blocks every mutating command until repaired",
                   "[daemon][integrity]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  Edit001(migrations);
  const Rows history_before = HistoryCount(db);

  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"upgrade", "--no-backup"},
        std::vector<std::string>{"upgrade", "--dry-run"},
        std::vector<std::string>{"downgrade", "-1", "--no-backup"},
        std::vector<std::string>{"stamp", "head"}}) {
    MigctlRun refused = daemon.Migctl(command);
    INFO(command[0] << ": " << refused.out << refused.err);
    CHECK(refused.exit_code == 7);
    CHECK_THAT(refused.result().message(),
               Catch::Contains("001_group_ai") && Catch::Contains("001_group_ai.sql") &&
                   Catch::Contains("Nothing was run") && Catch::Contains("migctl repair"));
  }
  // Nothing ran: not the downgrade's (edited) SQL, not the upgrade, not the stamp.
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"002_add_indexes"}});
  CHECK(HistoryCount(db) == history_before);
  CHECK(db.TableColumns().count("group_ai_scripts") == 1);
  MigctlRun check = daemon.Migctl({"check"});
  CHECK(check.exit_code == 7);

  // repair needs a reason, and an admin.
  CHECK(daemon.Migctl({"repair", "001"}).exit_code == 2);
  MigctlRun repaired = daemon.Migctl({"repair", "001", "--reason", "index added by hand in prod"});
  INFO(repaired.out << repaired.err);
  CHECK(repaired.exit_code == 0);
  CHECK(db.Query("SELECT direction, revision FROM migrationd_history ORDER BY id DESC LIMIT 1") ==
        Rows{{"repair", "001_group_ai"}});
  CHECK_THAT(db.Query("SELECT error FROM migrationd_history WHERE direction = 'repair'")[0][0],
             Catch::Contains("index added by hand in prod"));
  CHECK(daemon.Migctl({"check"}).exit_code == 3);  // pending again, no longer damaged
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(daemon.Migctl({"check"}).exit_code == 0);
  CHECK(daemon.Migctl({"repair", "--reason", "again"}).result().message() ==
        "nothing to repair: every applied script has its recorded checksum");
}

TEMPLATE_TEST_CASE("stamped revisions keep real checksums", "[daemon][integrity]", SqliteDatabase,
                   PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations);
  // An empty database has not 002's schema: --force (this test is about checksums).
  REQUIRE(daemon.Migctl({"stamp", "002", "--force"}).exit_code == 0);
  // One row per revision the stamp marked applied, each with its script's checksum.
  CHECK(db.Query("SELECT revision FROM migrationd_history WHERE direction = 'stamp' AND"
                 " checksum IS NOT NULL ORDER BY id") ==
        Rows{{"000_initial_base"}, {"001_group_ai"}, {"002_add_indexes"}});
  CHECK(daemon.Migctl({"check"}).exit_code == 3);
  Edit001(migrations);
  MigctlRun check = daemon.Migctl({"check"});
  CHECK(check.exit_code == 7);
  REQUIRE(check.result().problems_size() >= 1);
  CHECK(check.result().problems(0).kind() == "checksum_mismatch");
  CHECK(check.result().problems(0).revision() == "001_group_ai");
  // Stamping back below 001 and up again records the new text.
  CHECK(daemon.Migctl({"stamp", "base"}).exit_code == 7);  // still blocked: repair first
}

TEMPLATE_TEST_CASE("a stamp that changes nothing keeps what the applied revisions recorded",
                   "[daemon][integrity]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  // Its one history row names the heads it left in place, with no checksum: it must not read as
  // "002 marked not applied".
  REQUIRE(daemon.Migctl({"stamp", "002"}).exit_code == 0);
  MigctlRun history = daemon.Migctl({"history", "--verbose"});
  REQUIRE(history.exit_code == 0);
  bool seen = false;
  for (const auto& revision : history.result().revisions()) {
    if (revision.revision() != "002_add_indexes") continue;
    seen = true;
    CHECK_FALSE(revision.applied_at().empty());
    CHECK(revision.applied_checksum() == revision.checksum());
  }
  CHECK(seen);
  const std::string path = migrations + "/002_add_indexes.sql";
  testing::WriteFile(path, testing::ReadFile(path) + "\n-- edited after it was applied\n");
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 7);
  CHECK(daemon.Migctl({"check"}).exit_code == 7);
}

TEMPLATE_TEST_CASE("revisions brought back by a restore keep their checksums",
                   "[daemon][integrity]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  MigctlRun upgrade = daemon.Migctl({"upgrade"});
  REQUIRE(upgrade.exit_code == 0);
  REQUIRE(daemon.Migctl({"restore", upgrade.result().backups(0).id()}).exit_code == 0);
  CHECK(daemon.Migctl({"check"}).exit_code == 3);
  Edit001(migrations);
  CHECK(daemon.Migctl({"check"}).exit_code == 7);
  CHECK(daemon.Migctl({"upgrade"}).exit_code == 7);
}

TEST_CASE("repair is for admins only", "[daemon][integrity]") {
  if (geteuid() != 0) FAIL("this test switches uid and needs root (CI runs as root)");
  SqliteDatabase db;
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations, {"--socket-mode", "0666"});
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  Edit001(migrations);
  CHECK(daemon.Migctl({"repair", "--reason", "mine"}, 65534).exit_code == 6);
  CHECK(daemon.Migctl({"check"}).exit_code == 7);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

std::string Revision004(const std::string& header, const std::string& downgrade) {
  return "-- revision: 004_keep\n-- parents: 003_add_script_version_management\n" + header +
         "-- +upgrade\nCREATE TABLE keep_me (id INTEGER);\n-- +downgrade\n" + downgrade;
}

TEMPLATE_TEST_CASE("an empty downgrade section is refused before anything runs",
                   "[daemon][integrity]", testing::SqliteDatabase, testing::PostgresDatabase) {
  TestType db;
  testing::TempDir dir;
  SECTION("empty, or only comments: refused, nothing moves") {
    std::string migrations = testing::SeedMigrationsPlus(
        dir, {{"004_keep.sql", Revision004("", "-- nothing to undo? (forgotten)\n\n")}});
    testing::Daemon daemon(dir, "d", db.url(), migrations);
    REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
    testing::MigctlRun down = daemon.Migctl({"downgrade", "002", "--no-backup"});
    CHECK(down.exit_code == 2);
    CHECK_THAT(down.result().message(), Catch::Contains("004_keep.sql") &&
                                            Catch::Contains("no '-- +downgrade' statements") &&
                                            Catch::Contains("downgrade: no-op"));
    CHECK(db.Query("SELECT revision FROM migrationd_version") == testing::Rows{{"004_keep"}});
    CHECK(db.TableColumns().count("keep_me") == 1);
    CHECK(db.TableColumns().count("group_ai_script_versions") == 1);  // 003 not rolled back
  }
  SECTION("declared no-op: rolled back, the table stays by design") {
    std::string migrations = testing::SeedMigrationsPlus(
        dir, {{"004_keep.sql", Revision004("-- downgrade: no-op\n", "")}});
    testing::Daemon daemon(dir, "d", db.url(), migrations);
    REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
    CHECK(daemon.Migctl({"downgrade", "-1", "--no-backup"}).exit_code == 0);
    CHECK(db.Query("SELECT revision FROM migrationd_version") == testing::Rows{{kHead}});
    CHECK(db.TableColumns().count("keep_me") == 1);
  }
}

TEST_CASE("migctl revision writes a template that cannot pass as a no-op downgrade",
          "[daemon][integrity]") {
  testing::SqliteDatabase db;
  testing::TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  testing::Process created({testing::MigctlBinary(), "revision", "-m", "add audit", "--migrations",
                            migrations, "--id", "004_audit"},
                           dir / "revision");
  REQUIRE(created.Wait() == 0);
  testing::Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  testing::MigctlRun down = daemon.Migctl({"downgrade", "-1", "--no-backup"});
  CHECK(down.exit_code == 2);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == testing::Rows{{"004_audit"}});
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("two SQLite databases in one folder keep their backups apart", "[daemon][integrity]") {
  testing::TempDir dir;
  const std::string first = dir / "first.db";
  const std::string second = dir / "second.db";
  // Both use the default backup directory beside the files: the seed's backup/db_bak.
  testing::Process a({testing::MigrationdBinary(), "--database", "sqlite://" + first,
                      "--migrations", testing::SeedMigrationsDir(), "--socket", dir / "a.sock"},
                     dir / "a");
  testing::Process b({testing::MigrationdBinary(), "--database", "sqlite://" + second,
                      "--migrations", testing::SeedMigrationsDir(), "--socket", dir / "b.sock"},
                     dir / "b");
  auto up = [](const std::string& socket) {
    return testing::WaitForStatus(socket, [](const proto::StatusInfo&) { return true; });
  };
  REQUIRE(up(dir / "a.sock"));
  REQUIRE(up(dir / "b.sock"));
  REQUIRE(testing::RunMigctl(dir / "a.sock", {"upgrade"}).exit_code == 0);
  REQUIRE(testing::RunMigctl(dir / "b.sock", {"upgrade", "001"}).exit_code == 0);
  testing::MigctlRun b_backup = testing::RunMigctl(dir / "b.sock", {"backup", "--label", "b"});
  REQUIRE(b_backup.exit_code == 0);
  const std::string b_id = b_backup.result().backups(0).id();

  // Each lists only its own.
  testing::MigctlRun a_list = testing::RunMigctl(dir / "a.sock", {"backups"});
  CHECK(a_list.result().backups_size() == 1);  // a's before-migrate backup
  CHECK_THAT(a_list.result().message(), Catch::Contains("of other databases not shown"));
  testing::MigctlRun b_list = testing::RunMigctl(dir / "b.sock", {"backups"});
  CHECK(b_list.result().backups_size() == 2);

  // Restoring b's backup into a is refused, and a is untouched.
  testing::MigctlRun refused = testing::RunMigctl(dir / "a.sock", {"restore", b_id});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.result().message(), Catch::Contains("another database") &&
                                             Catch::Contains("--from-other-database") &&
                                             Catch::Contains(second));
  testing::MigctlRun a_current = testing::RunMigctl(dir / "a.sock", {"current"});
  CHECK(testing::List(a_current.result().current()) ==
        std::vector<std::string>{"003_add_script_version_management"});

  // Asked for explicitly, it is done and recorded; a keeps its own identity afterwards.
  testing::MigctlRun forced =
      testing::RunMigctl(dir / "a.sock", {"restore", b_id, "--from-other-database"});
  CHECK(forced.exit_code == 0);
  testing::MigctlRun log = testing::RunMigctl(dir / "a.sock", {"log"});
  REQUIRE(log.result().log_size() > 0);
  CHECK(log.result().log(log.result().log_size() - 1).direction() == "restore");
  CHECK_THAT(log.result().log(log.result().log_size() - 1).error(),
             Catch::Contains("from another database"));
  CHECK(testing::RunMigctl(dir / "a.sock", {"backups"}).result().backups_size() == 2);
  CHECK(testing::RunMigctl(dir / "b.sock", {"backups"}).result().backups_size() == 2);
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  CHECK(a.Wait() == 0);
  CHECK(b.Wait() == 0);
}

TEST_CASE("a PostgreSQL backup records the cluster and database it came from",
          "[daemon][integrity]") {
  testing::PostgresDatabase db;
  testing::TempDir dir;
  testing::Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  testing::MigctlRun backup = daemon.Migctl({"backup"});
  REQUIRE(backup.exit_code == 0);
  const std::string manifest =
      testing::ReadFile(dir / ("d-backups/" + backup.result().backups(0).id() + ".manifest.json"));
  const std::string system_id =
      db.Query("SELECT CAST(system_identifier AS TEXT) FROM pg_control_system()")[0][0];
  const std::string name = db.Query("SELECT current_database()")[0][0];
  CHECK_THAT(manifest, Catch::Contains("\"database_identity\": \"postgresql:" + system_id + "/" +
                                       name + "\""));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// Reads keep the history's replay between requests (core/run/version_store.h HistoryReplayCache):
// a history written by another daemon must be read again.
TEMPLATE_TEST_CASE("check follows a repair recorded by another daemon", "[daemon][integrity]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon reader(dir, "reader", db.url(), migrations);
  Daemon writer(dir, "writer", db.url(), migrations);
  REQUIRE(writer.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(reader.Migctl({"check"}).exit_code == 0);
  Edit001(migrations);
  CHECK(reader.Migctl({"check"}).exit_code == 7);
  REQUIRE(writer.Migctl({"repair", "001", "--reason", "edited on purpose"}).exit_code == 0);
  CHECK(reader.Migctl({"check"}).exit_code == 0);
  // And back: the reader sees the next change to the history too.
  REQUIRE(writer.Migctl({"downgrade", "001", "--no-backup"}).exit_code == 0);
  CHECK(reader.Migctl({"check"}).exit_code == 3);
}

}  // namespace
}  // namespace migrationd
