// migctl rehearse and upgrade --rehearse: the pending revisions on a scratch copy of a backup,
// with a report of what each statement did; the live database untouched, the copy dropped.
// Real daemons, real SQLite files, a real PostgreSQL server, real pg_dump/pg_restore.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/base/sha256.h"
#include "core/db/database_url.h"
#include "core/engines/open_backend.h"
#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::Process;
using testing::TestDatabase;

constexpr const char* kHead = testing::kSeedHead;

std::string Revision(const std::string& id, const std::string& parent, const std::string& up,
                     const std::string& down) {
  return "-- revision: " + id + "\n-- parents: " + parent + "\n-- +upgrade\n" + up +
         "\n-- +downgrade\n" + down + "\n";
}

const std::string kPeople = Revision("004_people", kHead,
                                     "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, "
                                     "score INTEGER);",
                                     "DROP TABLE people;");
// Fails on the live rows: two people share a name.
const std::string kUniqueNames = Revision("005_unique_names", "004_people",
                                          "-- lint: allow index-not-concurrent: a small table\n"
                                          "CREATE UNIQUE INDEX ux_people_name ON people (name);",
                                          "DROP INDEX ux_people_name;");
const std::string kScoreIndex = Revision("005_score_index", "004_people",
                                         "-- lint: allow index-not-concurrent: a small table\n"
                                         "CREATE INDEX ix_people_score ON people (score);\n"
                                         "UPDATE people SET score = 0 WHERE score IS NULL;",
                                         "DROP INDEX ix_people_score;");

// Files of the backup directory that are a rehearsal's copy.
std::vector<std::string> RehearsalCopies(const std::string& backups) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(backups, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".tmp-") && name.find("rehearsal.db") != std::string::npos) {
      names.push_back(name);
    }
  }
  return names;
}

// The scratch database's name, from the report's redacted URL ("postgresql://u@/NAME?...").
std::string ScratchName(const proto::Rehearsal& rehearsal) {
  const std::string& url = rehearsal.scratch();
  const size_t start = url.find("migrationd_rehearse_");
  if (start == std::string::npos) return "";
  return url.substr(start, url.find_first_of("?/", start) - start);
}

void CheckCopyGone(TestDatabase& db, const std::string& backups,
                   const proto::Rehearsal& rehearsal) {
  CHECK(RehearsalCopies(backups).empty());
  if (db.dialect() == "postgresql") {
    const std::string name = ScratchName(rehearsal);
    REQUIRE_FALSE(name.empty());
    CHECK(db.Query("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") ==
          Rows{{"0"}});
  }
}

void FailingRehearsalLeavesTheDatabaseAlone(TestDatabase& db) {
  TempDir dir;
  const std::string backups = dir / "backups";
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_people.sql", kPeople}, {"005_unique_names.sql", kUniqueNames}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--backup-dir", backups});
  REQUIRE(daemon.Migctl({"upgrade", "004_people", "--no-backup"}).exit_code == 0);
  db.Exec(
      "INSERT INTO people (id, name, score) VALUES (1, 'ada', 3), (2, 'bob', NULL), "
      "(3, 'ada', 5)");
  const Rows history_before = db.Query("SELECT count(*) FROM migrationd_history");
  const auto schema_before = db.SchemaSnapshot();

  SECTION("migctl rehearse --fresh-backup") {
    MigctlRun run = daemon.Migctl({"rehearse", "--fresh-backup"});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    const proto::Rehearsal& rehearsal = run.result().rehearsal();
    CHECK_FALSE(rehearsal.passed());
    REQUIRE(rehearsal.steps_size() == 1);
    CHECK(rehearsal.steps(0).revision() == "005_unique_names");
    CHECK_FALSE(rehearsal.steps(0).passed());
    // The revision, the statement's file and line, the database's own words.
    const std::string duplicate =
        db.dialect() == "postgresql" ? "could not create unique index" : "UNIQUE constraint failed";
    CHECK_THAT(run.result().message(),
               Catch::Contains("005_unique_names") && Catch::Contains("005_unique_names.sql:5") &&
                   Catch::Contains(duplicate) && Catch::Contains("the database was not changed"));
    REQUIRE(rehearsal.steps(0).statements_size() == 1);
    CHECK_THAT(rehearsal.steps(0).statements(0).error(), Catch::Contains(duplicate));
    CheckCopyGone(db, backups, rehearsal);
    // The history's one new row is the rehearsal's, with the backup it used.
    CHECK(db.Query("SELECT count(*) FROM migrationd_history") ==
          Rows{{std::to_string(std::stoi(history_before[0][0]) + 1)}});
    CHECK(db.Query("SELECT direction, outcome, backup_id FROM migrationd_history ORDER BY id "
                   "DESC LIMIT 1") == Rows{{"rehearse", "failed", rehearsal.backup_id()}});
    MigctlRun status = daemon.Migctl({"status"});
    CHECK_THAT(status.result().status().last_rehearsal(),
               Catch::StartsWith("failed at") && Catch::Contains(rehearsal.backup_id()));
  }
  SECTION("upgrade --rehearse: nothing is applied when the rehearsal fails") {
    MigctlRun run = daemon.Migctl({"upgrade", "--rehearse"});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.result().message(), Catch::Contains("the rehearsal on a copy of backup") &&
                                           Catch::Contains("failed, so nothing was migrated"));
    CHECK_FALSE(run.result().rehearsal().passed());
    CheckCopyGone(db, backups, run.result().rehearsal());
    CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE revision = "
                   "'005_unique_names'") == Rows{{"0"}});
  }
  // The live database: version rows, schema and rows as before.
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_people"}});
  CHECK(db.SchemaSnapshot() == schema_before);
  CHECK(db.Query("SELECT id, name FROM people ORDER BY id") ==
        Rows{{"1", "ada"}, {"2", "bob"}, {"3", "ada"}});
}

void PassingRehearsalThenUpgrade(TestDatabase& db) {
  TempDir dir;
  const std::string backups = dir / "backups";
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_people.sql", kPeople}, {"005_score_index.sql", kScoreIndex}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--backup-dir", backups});
  REQUIRE(daemon.Migctl({"upgrade", "004_people", "--no-backup"}).exit_code == 0);
  db.Exec("INSERT INTO people (id, name, score) VALUES (1, 'ada', 3), (2, 'bob', NULL)");
  // No backup yet: rehearse says how to get one.
  MigctlRun none = daemon.Migctl({"rehearse"});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.result().message(), Catch::Contains("--fresh-backup"));
  REQUIRE(daemon.Migctl({"backup"}).exit_code == 0);

  MigctlRun run = daemon.Migctl({"rehearse"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const proto::Rehearsal& rehearsal = run.result().rehearsal();
  CHECK(rehearsal.passed());
  REQUIRE(rehearsal.steps_size() == 1);
  const proto::RehearsalStep& step = rehearsal.steps(0);
  CHECK(step.revision() == "005_score_index");
  CHECK(step.duration_ms() > 0);
  REQUIRE(step.statements_size() == 2);
  CHECK(step.statements(0).line() == 5);
  CHECK(step.statements(1).line() == 6);
  CHECK(step.statements(1).rows_written() == 1);  // bob's NULL score
  CHECK_THAT(step.verdict(), Catch::Contains("1 rows written"));
  CheckCopyGone(db, backups, rehearsal);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_people"}});
  CHECK(db.Query("SELECT count(*) FROM people WHERE score IS NULL") == Rows{{"1"}});
  // Each revision's events say it was rehearsed, with its verdict.
  bool told = false;
  for (const auto& event : run.events()) {
    told = told || (event.kind() == proto::REVISION_FINISHED && event.direction() == "rehearse" &&
                    event.revision() == "005_score_index" && !event.message().empty());
  }
  CHECK(told);
  // The text report: revision, verdict, each statement with its file and line.
  testing::Process text({testing::MigctlBinary(), "--socket", daemon.socket(), "rehearse"},
                        dir / "text");
  CHECK(text.Wait() == 0);
  CHECK_THAT(text.Stdout(), Catch::Contains("005_score_index passed in") &&
                                Catch::Contains("005_score_index.sql:6 UPDATE people SET score"));
  testing::Process status({testing::MigctlBinary(), "--socket", daemon.socket(), "status"},
                          dir / "status");
  CHECK(status.Wait() == 0);
  CHECK_THAT(status.Stdout(), Catch::Contains("rehearsal:  passed at"));

  MigctlRun upgrade = daemon.Migctl({"upgrade", "--rehearse"});
  INFO(upgrade.out << upgrade.err);
  CHECK(upgrade.exit_code == 0);
  CHECK(upgrade.result().rehearsal().passed());
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"005_score_index"}});
  CHECK(db.Query("SELECT count(*) FROM people WHERE score IS NULL") == Rows{{"0"}});
  // The rehearsal ran on the backup the upgrade took: the same id in both rows.
  CHECK(db.Query("SELECT h.backup_id = u.backup_id FROM migrationd_history h, migrationd_history "
                 "u WHERE h.direction = 'rehearse' AND u.direction = 'upgrade' AND u.revision = "
                 "'005_score_index' ORDER BY h.id DESC LIMIT 1") ==
        Rows{{db.dialect() == "postgresql" ? "t" : "1"}});
}

TEST_CASE("SQLite: a rehearsal that fails on the real rows leaves the database alone",
          "[daemon][rehearse][sqlite]") {
  SqliteDatabase db;
  FailingRehearsalLeavesTheDatabaseAlone(db);
}

TEST_CASE("PostgreSQL: a rehearsal that fails on the real rows leaves the database alone",
          "[daemon][rehearse][postgresql]") {
  PostgresDatabase db;
  FailingRehearsalLeavesTheDatabaseAlone(db);
}

TEST_CASE("SQLite: a passing rehearsal reports each revision, then upgrade --rehearse applies",
          "[daemon][rehearse][sqlite]") {
  SqliteDatabase db;
  PassingRehearsalThenUpgrade(db);
}

TEST_CASE("PostgreSQL: a passing rehearsal reports each revision, then upgrade --rehearse applies",
          "[daemon][rehearse][postgresql]") {
  PostgresDatabase db;
  PassingRehearsalThenUpgrade(db);
}

// The backfill in batches that lint recommends ('-- transaction: none', one UPDATE per batch):
// each statement's rows are counted, though no transaction holds them (PostgreSQL's
// transaction statistics end with each statement there); a query reads, it writes nothing.
TEMPLATE_TEST_CASE("a rehearsal counts the rows of each batch of a transaction: none backfill",
                   "[daemon][rehearse]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_people.sql", kPeople},
            {"005_batches.sql",
             "-- revision: 005_batches\n-- parents: 004_people\n-- transaction: none\n"
             "-- downgrade: no-op\n-- +upgrade\n"
             "UPDATE people SET score = 0 WHERE score IS NULL AND id BETWEEN 1 AND 2;\n"
             "UPDATE people SET score = 0 WHERE score IS NULL AND id BETWEEN 3 AND 5;\n"
             "SELECT id FROM people ORDER BY id;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--backup-dir", dir / "backups"});
  REQUIRE(daemon.Migctl({"upgrade", "004_people", "--no-backup"}).exit_code == 0);
  db.Exec(
      "INSERT INTO people (id, name, score) VALUES (1, 'a', NULL), (2, 'b', 7), (3, 'c', NULL), "
      "(4, 'd', NULL), (5, 'e', NULL)");

  MigctlRun run = daemon.Migctl({"rehearse", "--fresh-backup"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.result().rehearsal().steps_size() == 1);
  const proto::RehearsalStep& step = run.result().rehearsal().steps(0);
  REQUIRE(step.statements_size() == 3);
  CHECK(step.statements(0).rows_written() == 1);
  CHECK(step.statements(1).rows_written() == 3);
  CHECK(step.statements(2).rows_written() == 0);
  CHECK_THAT(step.verdict(), Catch::Contains("; 4 rows written"));
  CHECK(db.Query("SELECT count(*) FROM people WHERE score IS NULL") == Rows{{"4"}});
}

TEST_CASE(
    "PostgreSQL: the rehearsal tells a rewrite from an instant ADD COLUMN, with the locks held",
    "[daemon][rehearse][postgresql]") {
  PostgresDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir,
      {{"004_big.sql",
        Revision("004_big", kHead, "CREATE TABLE big (id int, v int);", "DROP TABLE big;")},
       {"005_flag.sql",
        Revision("005_flag", "004_big", "ALTER TABLE big ADD COLUMN flag int DEFAULT 0;",
                 "ALTER TABLE big DROP COLUMN flag;")},
       {"006_bigint.sql", Revision("006_bigint", "005_flag",
                                   "-- lint: allow alter-column-type: the test wants the rewrite\n"
                                   "ALTER TABLE big ALTER COLUMN v TYPE bigint;",
                                   "ALTER TABLE big ALTER COLUMN v TYPE int;")},
       {"007_index.sql",
        "-- revision: 007_index\n-- parents: 006_bigint\n"
        "-- transaction: none\n-- +upgrade\n"
        "CREATE INDEX CONCURRENTLY ix_big_v ON big (v);\n"
        "-- +downgrade\nDROP INDEX CONCURRENTLY ix_big_v;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--backup-dir", dir / "backups"});
  REQUIRE(daemon.Migctl({"upgrade", "004_big", "--no-backup"}).exit_code == 0);
  db.Exec("INSERT INTO big SELECT g, g FROM generate_series(1, 100000) g");
  MigctlRun run = daemon.Migctl({"rehearse", "--fresh-backup"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const proto::Rehearsal& rehearsal = run.result().rehearsal();
  REQUIRE(rehearsal.steps_size() == 3);
  const proto::RehearsalStep& flag = rehearsal.steps(0);
  const proto::RehearsalStep& bigint = rehearsal.steps(1);
  REQUIRE(flag.statements_size() == 1);
  REQUIRE(bigint.statements_size() == 1);
  CHECK(flag.statements(0).rewritten().empty());
  CHECK(flag.rewritten().empty());
  CHECK_THAT(flag.verdict(), !Catch::Contains("rewritten"));
  CHECK(std::vector<std::string>(bigint.statements(0).rewritten().begin(),
                                 bigint.statements(0).rewritten().end()) ==
        std::vector<std::string>{"big"});
  CHECK_THAT(bigint.verdict(), Catch::StartsWith("holds ACCESS EXCLUSIVE on big for") &&
                                   Catch::Contains("table big rewritten"));
  REQUIRE(bigint.statements(0).locks_size() >= 1);
  const proto::RehearsalLock& lock = bigint.statements(0).locks(0);
  CHECK(lock.relation() == "big");
  CHECK(lock.mode() == "ACCESS EXCLUSIVE");
  // Held from the statement to the commit: at least the rewrite's own duration.
  CHECK(lock.held_ms() >= bigint.statements(0).duration_ms());
  // A `transaction: none` statement's lock ends with it: sampled while it runs.
  const proto::RehearsalStep& index = rehearsal.steps(2);
  REQUIRE(index.statements_size() == 1);
  REQUIRE(index.statements(0).locks_size() >= 1);
  CHECK(index.statements(0).locks(0).relation() == "big");
  CHECK(index.statements(0).locks(0).mode() == "SHARE UPDATE EXCLUSIVE");
  CHECK_THAT(index.verdict(), Catch::StartsWith("holds SHARE UPDATE EXCLUSIVE on big for"));
  CHECK(db.Query("SELECT data_type FROM information_schema.columns WHERE table_name = 'big' "
                 "AND column_name = 'v'") == Rows{{"integer"}});
}

TEST_CASE("SQLite: the rehearsal reports a table rebuilt through a renamed copy",
          "[daemon][rehearse][sqlite]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_people.sql", kPeople},
            {"005_rebuild.sql",
             Revision("005_rebuild", "004_people",
                      "CREATE TABLE people_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                      "score INTEGER);\n"
                      "INSERT INTO people_new SELECT id, coalesce(name, '?'), score FROM people;\n"
                      "DROP TABLE people;\nALTER TABLE people_new RENAME TO people;",
                      "SELECT 1;")}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--backup-dir", dir / "backups"});
  REQUIRE(daemon.Migctl({"upgrade", "004_people", "--no-backup"}).exit_code == 0);
  db.Exec("INSERT INTO people (id, name) VALUES (1, 'ada'), (2, NULL)");
  MigctlRun run = daemon.Migctl({"rehearse", "--fresh-backup"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const proto::RehearsalStep& step = run.result().rehearsal().steps(0);
  CHECK(std::vector<std::string>(step.rewritten().begin(), step.rewritten().end()) ==
        std::vector<std::string>{"people"});
  CHECK_THAT(step.verdict(), Catch::Contains("holds the database's write lock for") &&
                                 Catch::Contains("table people rebuilt") &&
                                 Catch::Contains("2 rows written"));
  CHECK(step.statements(1).rows_written() == 2);
}

TEST_CASE("rehearse_before_upgrade = on rehearses every upgrade, and a dry run does not rehearse",
          "[daemon][rehearse][sqlite]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_people.sql", kPeople}, {"005_unique_names.sql", kUniqueNames}});
  testing::WriteFile(dir / "m.conf", "[migrationd]\nrehearse_before_upgrade = on\n");
  Daemon daemon(dir, "d", db.url(), migrations,
                {"--backup-dir", dir / "backups", "--config", dir / "m.conf"});
  REQUIRE(daemon.Migctl({"upgrade", "004_people"}).exit_code == 0);  // rehearsed, passed
  CHECK(db.Query("SELECT outcome FROM migrationd_history WHERE direction = 'rehearse'") ==
        Rows{{"success"}});
  db.Exec("INSERT INTO people (id, name) VALUES (1, 'ada'), (2, 'ada')");
  MigctlRun run = daemon.Migctl({"upgrade"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.result().message(), Catch::Contains("failed, so nothing was migrated") &&
                                         Catch::Contains("UNIQUE constraint failed"));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_people"}});
  MigctlRun dry = daemon.Migctl({"upgrade", "--rehearse", "--dry-run"});
  CHECK(dry.exit_code == 2);
  CHECK_THAT(dry.result().message(), Catch::Contains("'migctl rehearse'"));
}

// 004 takes ACCESS EXCLUSIVE on users (PostgreSQL) or the write lock (SQLite); 005 then runs for
// about a second. Revision by revision, 004's lock ends with 004; in one transaction (--atomic)
// it lasts through 005, and the rehearsal must say so.
void AtomicRehearsalHoldsLocksToTheEnd(TestDatabase& db) {
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_note.sql", Revision("004_note", kHead, "ALTER TABLE users ADD COLUMN note TEXT;",
                                      "ALTER TABLE users DROP COLUMN note;")},
            {"005_slow.sql", testing::SlowRevision("005_slow", "004_note", 1)}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--backup-dir", dir / "backups"});
  REQUIRE(daemon.Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);
  const bool postgres = db.dialect() == "postgresql";
  // How long 004's lock was held, as the report says.
  const auto note_lock_ms = [postgres](const proto::Rehearsal& report) {
    if (!postgres) return 0.0;
    for (const auto& lock : report.steps(0).statements(0).locks()) {
      if (lock.relation() == "users") return lock.held_ms();
    }
    FAIL("no lock on users in " << report.steps(0).DebugString());
    return 0.0;
  };

  MigctlRun each = daemon.Migctl({"rehearse", "--fresh-backup"});
  INFO(each.out << each.err);
  REQUIRE(each.exit_code == 0);
  const proto::Rehearsal& by_revision = each.result().rehearsal();
  REQUIRE(by_revision.steps_size() == 2);
  CHECK_THAT(by_revision.steps(0).verdict(), !Catch::Contains("--atomic"));
  if (postgres) CHECK(note_lock_ms(by_revision) < by_revision.steps(1).duration_ms());

  MigctlRun atomic = daemon.Migctl({"rehearse", "--fresh-backup", "--atomic"});
  INFO(atomic.out << atomic.err);
  REQUIRE(atomic.exit_code == 0);
  const proto::Rehearsal& as_one = atomic.result().rehearsal();
  REQUIRE(as_one.steps_size() == 2);
  CHECK_THAT(as_one.steps(0).verdict(), Catch::Contains("until the whole plan commits (--atomic)"));
  // PostgreSQL: 004's lock on users lasts through 005's second (SQLite: the verdict above).
  if (postgres) CHECK(note_lock_ms(as_one) >= as_one.steps(1).duration_ms());
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});

  // The upgrade rehearses as it will run, then runs.
  MigctlRun upgrade = daemon.Migctl({"upgrade", "--atomic", "--rehearse"});
  INFO(upgrade.out << upgrade.err);
  REQUIRE(upgrade.exit_code == 0);
  CHECK_THAT(upgrade.result().rehearsal().steps(0).verdict(), Catch::Contains("--atomic"));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"005_slow"}});

  // A plan one transaction cannot hold is refused before any backup or copy, as the upgrade is.
  testing::WriteFile(migrations + "/006_none.sql",
                     "-- revision: 006_none\n-- parents: 005_slow\n-- transaction: none\n"
                     "-- +upgrade\nCREATE TABLE later (id INTEGER);\n-- +downgrade\n"
                     "DROP TABLE later;\n");
  const size_t backups = daemon.Migctl({"backups"}).result().backups_size();
  MigctlRun refused = daemon.Migctl({"rehearse", "--fresh-backup", "--atomic"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.result().message(),
             Catch::Contains("'006_none'") && Catch::Contains("transaction: none"));
  CHECK(static_cast<size_t>(daemon.Migctl({"backups"}).result().backups_size()) == backups);
}

TEST_CASE("SQLite: an --atomic rehearsal holds the write lock for the whole plan",
          "[daemon][rehearse][sqlite]") {
  SqliteDatabase db;
  AtomicRehearsalHoldsLocksToTheEnd(db);
}

TEST_CASE("PostgreSQL: an --atomic rehearsal reports each lock held until the plan commits",
          "[daemon][rehearse][postgresql]") {
  PostgresDatabase db;
  AtomicRehearsalHoldsLocksToTheEnd(db);
}

void CancelDropsTheCopy(TestDatabase& db) {
  TempDir dir;
  const std::string backups = dir / "backups";
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kHead, 30)}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--backup-dir", backups});
  REQUIRE(daemon.Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);
  auto rehearsal =
      testing::StartMigctl(daemon.socket(), {"rehearse", "--fresh-backup"}, dir / "rehearse");
  REQUIRE(testing::WaitForStatus(daemon.socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().stage().starts_with("rehearsing 004_slow");
  }));
  CHECK(daemon.Migctl({"cancel"}).exit_code == 0);
  MigctlRun run = testing::FinishMigctl(*rehearsal);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.result().message(), Catch::Contains("cancel"));
  CheckCopyGone(db, backups, run.result().rehearsal());
  CHECK(db.Query("SELECT direction, outcome FROM migrationd_history ORDER BY id DESC LIMIT 1") ==
        Rows{{"rehearse", "cancelled"}});
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
}

TEST_CASE("SQLite: cancel during a rehearsal removes the copy", "[daemon][rehearse][sqlite]") {
  SqliteDatabase db;
  CancelDropsTheCopy(db);
}

TEST_CASE("PostgreSQL: cancel during a rehearsal drops the scratch database",
          "[daemon][rehearse][postgresql]") {
  PostgresDatabase db;
  CancelDropsTheCopy(db);
}

void KilledDaemonsCopyIsRemovedAtTheNextStart(TestDatabase& db) {
  TempDir dir;
  const std::string backups = dir / "backups";
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kHead, 30)}});
  auto first = std::make_unique<Daemon>(dir, "first", db.url(), migrations,
                                        std::vector<std::string>{"--backup-dir", backups});
  REQUIRE(first->Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);
  // This database's copies: "migrationd_rehearse_<8 hex of its name>_..." (other tests' daemons
  // rehearse on the same server).
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  const std::string prefix =
      "migrationd_rehearse_" + Sha256Hex(url->DatabaseName()).substr(0, 8) + "_";
  const std::string leftovers =
      "SELECT count(*) FROM pg_database WHERE starts_with(datname, '" + prefix +
      "') AND datname NOT IN (SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)";
  // Another database's leftover (or its copy between CREATE DATABASE and pg_restore): not this
  // daemon's to drop.
  const std::string others = "migrationd_rehearse_0000beef_" + std::to_string(getpid());
  auto rehearsal =
      testing::StartMigctl(first->socket(), {"rehearse", "--fresh-backup"}, dir / "rehearse");
  REQUIRE(testing::WaitForStatus(first->socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().stage().starts_with("rehearsing 004_slow");
  }));
  first->Kill();
  (void)rehearsal->Wait();
  if (db.dialect() == "postgresql") {
    // The killed session ends; its copy stays, used by nobody.
    bool left = false;
    for (int i = 0; i < 100 && !(left = db.Query(leftovers) != Rows{{"0"}}); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(left);
  } else {
    CHECK_FALSE(RehearsalCopies(backups).empty());  // the copy (and its journal)
  }
  // CREATE and DROP DATABASE outside a transaction, which the test database's Exec opens.
  auto admin = OpenBackend(*url);
  REQUIRE(admin.ok());
  if (db.dialect() == "postgresql") REQUIRE((*admin)->Execute("CREATE DATABASE " + others).ok());
  Daemon second(dir, "second", db.url(), migrations, {"--backup-dir", backups});
  const std::string log = second.WaitForLog("backups go to");
  if (db.dialect() == "postgresql") {
    CHECK_THAT(second.WaitForLog("removed the rehearsal database"),
               Catch::Contains("removed the rehearsal database " + prefix));
    CHECK(db.Query(leftovers) == Rows{{"0"}});
    CHECK(db.Query("SELECT count(*) FROM pg_database WHERE datname = '" + others + "'") ==
          Rows{{"1"}});
    CHECK((*admin)->Execute("DROP DATABASE " + others).ok());
  } else {
    CHECK(RehearsalCopies(backups).empty());
  }
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
}

TEST_CASE("SQLite: a daemon killed during a rehearsal leaves a copy the next start removes",
          "[daemon][rehearse][sqlite]") {
  SqliteDatabase db;
  KilledDaemonsCopyIsRemovedAtTheNextStart(db);
}

TEST_CASE("PostgreSQL: a daemon killed during a rehearsal leaves a database the next start drops",
          "[daemon][rehearse][postgresql]") {
  PostgresDatabase db;
  KilledDaemonsCopyIsRemovedAtTheNextStart(db);
}

}  // namespace
}  // namespace migrationd
