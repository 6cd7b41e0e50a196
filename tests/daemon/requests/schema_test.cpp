// The expected schema end to end, on both engines: databases built with the scripts' own SQL
// through the engine's client library (no migrationd tables, as a create_all() database has
// none), then `baseline`, the stamp guard and `check --schema` through a real daemon.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

constexpr const char* kHead = testing::kSeedHead;

// Runs revisions' upgrade SQL (as `migctl show` prints it for this engine) on `db` with the
// engine's own client: a database that never saw migrationd.
void BuildByHand(const Daemon& daemon, testing::TestDatabase& db,
                 const std::vector<std::string>& revisions, const TempDir& dir) {
  for (const auto& revision : revisions) {
    MigctlRun show = daemon.Migctl({"show", revision});
    REQUIRE(show.exit_code == 0);
    const std::string file = dir / ("by-hand-" + revision + ".sql");
    testing::WriteFile(file, show.result().revisions(0).upgrade_sql());
    testing::RunWithClient(dir, db.url(), file);
  }
}

std::vector<std::string> Current(const Daemon& daemon) {
  MigctlRun current = daemon.Migctl({"current"});
  REQUIRE(current.exit_code == 0);
  return testing::List(current.result().current());
}

std::vector<std::string> Changes(const proto::Result& result) {
  std::vector<std::string> changes;
  for (const auto& change : result.schema_diff()) changes.push_back(change.text());
  return changes;
}

TEMPLATE_TEST_CASE("a database built without migrationd is baselined at its revision",
                   "[daemon][schema]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  BuildByHand(daemon, db, {"000", "001", "002"}, dir);

  MigctlRun baseline = daemon.Migctl({"baseline"});
  REQUIRE(baseline.exit_code == 0);
  CHECK(baseline.result().matched_revision() == "002_add_indexes");
  const std::string fingerprint = baseline.result().fingerprint();
  CHECK(fingerprint.starts_with("sha256:"));
  CHECK(Current(daemon).empty());  // a report only

  MigctlRun apply = daemon.Migctl({"baseline", "--apply"});
  REQUIRE(apply.exit_code == 0);
  CHECK(Current(daemon) == std::vector<std::string>{"002_add_indexes"});
  CHECK(db.Query("SELECT revision, checksum FROM migrationd_history WHERE direction = "
                 "'baseline'") == Rows{{"002_add_indexes", fingerprint}});

  MigctlRun upgrade = daemon.Migctl({"upgrade"});
  REQUIRE(upgrade.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_history WHERE direction = 'upgrade'") ==
        Rows{{kHead}});
  CHECK(daemon.Migctl({"check", "--schema"}).exit_code == 0);
}

TEMPLATE_TEST_CASE("a database unlike every revision gets the closest one and stamp refuses it",
                   "[daemon][schema]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  BuildByHand(daemon, db, {"000", "001", "002"}, dir);
  db.Exec("ALTER TABLE users ADD COLUMN nickname TEXT");
  db.Exec("DROP INDEX ix_users_created_at");

  MigctlRun baseline = daemon.Migctl({"baseline"});
  CHECK(baseline.exit_code == 7);
  CHECK(baseline.result().closest_revision() == "002_add_indexes");
  CHECK(Changes(baseline.result()) ==
        std::vector<std::string>{"+ column users.nickname text",
                                 "- index ix_users_created_at on users (created_at)"});
  CHECK(daemon.Migctl({"baseline", "--apply"}).exit_code == 7);

  MigctlRun stamp = daemon.Migctl({"stamp", "002"});
  CHECK(stamp.exit_code == 7);
  CHECK_THAT(stamp.result().message(), Catch::Contains("+ column users.nickname text") &&
                                           Catch::Contains("Nothing was stamped"));
  CHECK(Current(daemon).empty());

  MigctlRun forced = daemon.Migctl({"stamp", "002", "--force"});
  REQUIRE(forced.exit_code == 0);
  CHECK(Current(daemon) == std::vector<std::string>{"002_add_indexes"});
  const Rows recorded =
      db.Query("SELECT revision, error FROM migrationd_history WHERE direction = 'force'");
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0][0] == "stamp 002");
  CHECK_THAT(recorded[0][1],
             Catch::Contains("stamped although") && Catch::Contains("- index ix_users_created_at"));
}

TEMPLATE_TEST_CASE("check --schema reports a change made behind migrationd's back",
                   "[daemon][schema]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  MigctlRun clean = daemon.Migctl({"check", "--schema"});
  CHECK(clean.exit_code == 0);
  CHECK(clean.result().problems_size() == 0);

  db.Exec("ALTER TABLE roles ADD COLUMN colour TEXT DEFAULT 'blue'");
  MigctlRun drift = daemon.Migctl({"check", "--schema"});
  CHECK(drift.exit_code == 7);
  REQUIRE(drift.result().problems_size() == 1);
  CHECK(drift.result().problems(0).kind() == "schema_drift");
  CHECK(Changes(drift.result()) ==
        std::vector<std::string>{"+ column roles.colour text default 'blue'" +
                                 std::string(db.url().starts_with("sqlite") ? "" : "::text")});
  CHECK(daemon.Migctl({"check"}).exit_code == 0);  // without --schema: the version table only

  // check_schema_at_start logs the same difference when a daemon starts.
  Daemon restarted(dir, "restarted", db.url(), testing::SeedMigrationsDir(),
                   {"--check-schema-at-start", "true"});
  CHECK(testing::WaitForStatus(restarted.socket(), [](const proto::StatusInfo&) { return true; }));
  CHECK_THAT(restarted.WaitForLog("schema check:"),
             Catch::Contains("schema check: the database's schema is not") &&
                 Catch::Contains("+ column roles.colour"));
}

TEMPLATE_TEST_CASE("an Alembic-managed database is adopted at the revision its id names",
                   "[daemon][schema]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(dir, {});
  // 001 says which Alembic revision it continues (a header outside the checksum).
  std::string text = testing::ReadFile(migrations + "/001_group_ai.sql");
  text.insert(text.find("-- message:"), "-- alembic: 1a2b3c4d5e6f\n");
  testing::WriteFile(migrations + "/001_group_ai.sql", text);
  Daemon daemon(dir, "d", db.url(), migrations);
  BuildByHand(daemon, db, {"000", "001"}, dir);
  db.Exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
  db.Exec("INSERT INTO alembic_version (version_num) VALUES ('1a2b3c4d5e6f')");

  MigctlRun baseline = daemon.Migctl({"baseline"});
  REQUIRE(baseline.exit_code == 0);
  CHECK(baseline.result().matched_revision() == "001_group_ai");
  CHECK_THAT(baseline.result().message(), Catch::Contains("alembic_version is 1a2b3c4d5e6f"));
  REQUIRE(daemon.Migctl({"baseline", "--apply"}).exit_code == 0);
  CHECK(Current(daemon) == std::vector<std::string>{"001_group_ai"});
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);

  // An id that the schema contradicts is not adopted.
  TestType other;
  Daemon second(dir, "e", other.url(), migrations);
  BuildByHand(second, other, {"000"}, dir);
  other.Exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
  other.Exec("INSERT INTO alembic_version (version_num) VALUES ('1a2b3c4d5e6f')");
  MigctlRun contradicted = second.Migctl({"baseline", "--apply"});
  CHECK(contradicted.exit_code == 7);
  CHECK(contradicted.result().closest_revision() == "001_group_ai");
  // ... and the report says which revision the schema is, instead of "no revision produces".
  CHECK_THAT(contradicted.result().message(),
             Catch::Contains("exactly the one 000_initial_base produces") &&
                 Catch::Contains("move the '-- alembic: ' header") &&
                 !Catch::Contains("no revision produces"));
  CHECK(Current(second).empty());
}

TEMPLATE_TEST_CASE("verify round-trips every revision and names one whose downgrade forgets",
                   "[daemon][schema]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon seed(dir, "seed", db.url(), testing::SeedMigrationsDir());
  MigctlRun verified = seed.Migctl({"verify"});
  REQUIRE(verified.exit_code == 0);
  CHECK(testing::List(verified.result().verified()) ==
        std::vector<std::string>{"000_initial_base", "001_group_ai", "002_add_indexes", kHead});
  CHECK(Current(seed).empty());  // the live database was not touched
  CHECK(seed.Migctl({"verify", "--from", "002", "--to", "003"}).result().verified_size() == 2);

  // 004's downgrade drops its table but forgets the index it added to users.
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_forgetful.sql",
             "-- revision: 004_forgetful\n-- parents: " + std::string(kHead) +
                 "\n-- message: forgets an index\n-- +upgrade\nCREATE TABLE notes (id INTEGER);\n"
                 "CREATE INDEX ix_users_email_forgotten ON users (email);\n"
                 "-- +downgrade\nDROP TABLE notes;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun failed = daemon.Migctl({"verify"});
  CHECK(failed.exit_code == 7);
  CHECK(failed.result().verified_size() == 4);
  CHECK_THAT(failed.result().message(),
             Catch::Contains("004_forgetful: its downgrade does not restore the schema"));
  CHECK(Changes(failed.result()) ==
        std::vector<std::string>{"+ index ix_users_email_forgotten on users (email)"});

  // The same for CI, without a daemon.
  testing::Process ci(
      {testing::MigrationdBinary(), "--verify", "--database", db.url(), "--migrations", migrations},
      dir / "ci");
  CHECK(ci.Wait() == 7);
  CHECK_THAT(ci.Stdout(), Catch::Contains("verified 002_add_indexes"));
  CHECK_THAT(ci.Stderr(), Catch::Contains("+ index ix_users_email_forgotten"));
  testing::Process seed_ci({testing::MigrationdBinary(), "--verify", "--database", db.url(),
                            "--migrations", testing::SeedMigrationsDir()},
                           dir / "seed-ci");
  CHECK(seed_ci.Wait() == 0);
}

// Before the PostgreSQL schema included functions and enum labels, these downgrades passed.
TEST_CASE("verify names a PostgreSQL downgrade that leaves a function or an enum label behind",
          "[daemon][schema]") {
  PostgresDatabase db;
  TempDir dir;
  const std::string header = "-- parents: " + std::string(kHead) + "\n-- message: forgets\n";
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_forgets_function.sql",
             "-- revision: 004_forgets_function\n" + header +
                 "-- +upgrade\nCREATE TABLE notes (id integer);\n"
                 "CREATE FUNCTION note_count() RETURNS bigint LANGUAGE sql AS $$ SELECT 1 $$;\n"
                 "-- +downgrade\nDROP TABLE notes;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun failed = daemon.Migctl({"verify"});
  CHECK(failed.exit_code == 7);
  CHECK_THAT(failed.result().message(),
             Catch::Contains("004_forgets_function: its downgrade does not restore the schema"));
  REQUIRE(Changes(failed.result()).size() == 1);
  CHECK_THAT(Changes(failed.result())[0], Catch::StartsWith("+ function note_count()"));

  // An enum whose downgrade cannot take back the label it added.
  TempDir enum_dir;
  const std::string with_enum = testing::SeedMigrationsPlus(
      enum_dir, {{"004_mood.sql", "-- revision: 004_mood\n" + header +
                                      "-- +upgrade\nCREATE TYPE mood AS ENUM ('sad');\n"
                                      "-- +downgrade\nDROP TYPE mood;\n"},
                 {"005_happy.sql",
                  "-- revision: 005_happy\n-- parents: 004_mood\n-- message: a label\n"
                  "-- transaction: none\n-- +upgrade\nALTER TYPE mood ADD VALUE 'happy';\n"
                  "-- +downgrade\nSELECT 1;\n"}});
  Daemon second(dir, "second", db.url(), with_enum);
  MigctlRun enum_failed = second.Migctl({"verify"});
  CHECK(enum_failed.exit_code == 7);
  CHECK_THAT(enum_failed.result().message(),
             Catch::Contains("005_happy: its downgrade does not restore the schema"));
  CHECK(Changes(enum_failed.result()) ==
        std::vector<std::string>{"~ enum mood: ('sad') -> ('sad', 'happy')"});
}

TEMPLATE_TEST_CASE("upgrade --sql and downgrade --sql print what the daemon would run",
                   "[daemon][schema]", SqliteDatabase, PostgresDatabase) {
  TestType db, reference;
  TempDir dir;
  const std::string dialect = db.url().starts_with("sqlite") ? "sqlite" : "postgresql";
  auto offline = [&](std::vector<std::string> args) {
    for (const char* extra : {"--sql", "--dialect", dialect.c_str(), "--migrations"}) {
      args.push_back(extra);
    }
    args.push_back(testing::SeedMigrationsDir());
    testing::Process migctl(
        [&] {
          std::vector<std::string> argv{testing::MigctlBinary()};
          argv.insert(argv.end(), args.begin(), args.end());
          return argv;
        }(),
        dir / "offline");
    REQUIRE(migctl.Wait() == 0);  // no daemon runs for it
    const std::string file = dir / "offline.sql";
    testing::WriteFile(file, migctl.Stdout());
    return file;
  };
  testing::RunWithClient(dir, db.url(), offline({"upgrade", "002"}));

  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  CHECK(Current(daemon) == std::vector<std::string>{"002_add_indexes"});
  MigctlRun check = daemon.Migctl({"check", "--schema"});
  CHECK(check.exit_code == 3);  // 003 pending; no drift, no checksum mismatch
  REQUIRE(check.result().problems_size() == 1);
  CHECK(check.result().problems(0).kind() == "not_at_head");

  // The same fingerprint as the daemon's own upgrade.
  Daemon other(dir, "r", reference.url(), testing::SeedMigrationsDir());
  REQUIRE(other.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  CHECK(daemon.Migctl({"baseline"}).result().fingerprint() ==
        other.Migctl({"baseline"}).result().fingerprint());

  testing::RunWithClient(dir, db.url(), offline({"downgrade", "002:001"}));
  CHECK(Current(daemon) == std::vector<std::string>{"001_group_ai"});
  CHECK(daemon.Migctl({"check", "--schema"}).result().schema_diff_size() == 0);
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(daemon.Migctl({"check", "--schema"}).exit_code == 0);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// pg_dump of `from` (custom format, without `exclude` tables) replayed into `to` by pg_restore.
void DumpAndRestore(const TempDir& dir, const std::string& from, const std::string& to,
                    const std::string& exclude = "") {
  const std::string dump = dir / "dump.pgc";
  std::vector<std::string> dump_args = {"/usr/bin/pg_dump", "--format=custom", "--file", dump};
  if (!exclude.empty()) dump_args.insert(dump_args.end(), {"--exclude-table", exclude});
  dump_args.push_back(from);
  testing::Process dumping(dump_args, dir / "pg_dump");
  INFO(dumping.Stderr());
  REQUIRE(dumping.Wait() == 0);
  testing::Process restoring(
      {"/usr/bin/pg_restore", "--no-owner", "--exit-on-error", "-d", to, dump}, dir / "pg_restore");
  INFO(restoring.Stderr());
  REQUIRE(restoring.Wait() == 0);
}

// The server stores `status IN ('a', 'b')` on a varchar column as a cast of the whole array, and
// a restoring server as casts of the elements: the same schema, printed two ways.
TEST_CASE(
    "a PostgreSQL database that went through a dump and restore has no drift and is "
    "baselined at its revision",
    "[daemon][schema][postgresql]") {
  TempDir dir;
  const bool seed = GENERATE(true, false);
  std::string migrations = testing::SeedMigrationsDir();
  std::string head = kHead;
  if (!seed) {
    migrations = dir / "tricky";
    std::filesystem::copy(MIGRATIOND_SOURCE_DIR "/tests/corpus/tricky", migrations);
    head = "004_rebuild";
  }
  INFO((seed ? "seed chain" : "tests/corpus/tricky"));
  PostgresDatabase original;
  Daemon daemon(dir, "d", original.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);

  SECTION("pg_dump and pg_restore into another database") {
    PostgresDatabase restored;
    DumpAndRestore(dir, original.url(), restored.url());
    Daemon other(dir, "other", restored.url(), migrations);
    MigctlRun check = other.Migctl({"check", "--schema"});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
  }
  SECTION("the same without migrationd's tables: baseline finds the revision") {
    PostgresDatabase restored;
    DumpAndRestore(dir, original.url(), restored.url(), "migrationd_*");
    Daemon other(dir, "other", restored.url(), migrations);
    MigctlRun baseline = other.Migctl({"baseline"});
    INFO(baseline.out << baseline.err);
    CHECK(baseline.exit_code == 0);
    CHECK(baseline.result().matched_revision() == head);
  }
  SECTION("migctl restore") {
    MigctlRun backup = daemon.Migctl({"backup", "--label", "before"});
    REQUIRE(backup.exit_code == 0);
    MigctlRun restore = daemon.Migctl({"restore", backup.result().backups(0).id()});
    INFO(restore.out << restore.err);
    REQUIRE(restore.exit_code == 0);
    MigctlRun check = daemon.Migctl({"check", "--schema"});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
  }
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// The seed's own starting point: tables made by create_all(), no version table.
TEMPLATE_TEST_CASE("a create_all database is steered to baseline, never into a failing upgrade",
                   "[daemon][schema]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  {
    Daemon builder(dir, "builder", db.url(), testing::SeedMigrationsDir());
    BuildByHand(builder, db, {"000", "001", "002", "003"}, dir);
  }
  const auto tables_before = db.TableColumns();
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  const std::string says_baseline = "but no migration history";

  CHECK_THAT(daemon.WaitForLog(says_baseline),
             Catch::Contains(says_baseline) &&
                 Catch::Contains("the one 003_add_script_version_management produces"));
  MigctlRun status = daemon.Migctl({"status"});
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.result().status().unmanaged(),
             Catch::Contains(says_baseline) && Catch::Contains("migctl baseline"));

  MigctlRun check = daemon.Migctl({"check"});
  CHECK(check.exit_code == 7);
  REQUIRE(check.result().problems_size() == 1);
  CHECK(check.result().problems(0).kind() == "unmanaged_schema");
  CHECK_THAT(check.result().problems(0).detail(),
             Catch::Contains("migctl baseline") &&
                 Catch::Contains("the one 003_add_script_version_management produces"));

  for (const auto& args :
       std::vector<std::vector<std::string>>{{"upgrade", "--dry-run"}, {"upgrade"}}) {
    MigctlRun upgrade = daemon.Migctl(args);
    INFO(args.size() << upgrade.out << upgrade.err);
    CHECK(upgrade.exit_code == 7);
    CHECK_THAT(upgrade.result().message(),
               Catch::Contains(says_baseline) && Catch::Contains("group_ai_accounts"));
  }
  // Refused before the backup and before any SQL: no backup, no history row, tables as they were.
  const bool backed_up =
      std::filesystem::exists(dir / "d-backups") && !std::filesystem::is_empty(dir / "d-backups");
  CHECK_FALSE(backed_up);
  CHECK(db.TableColumns() == tables_before);

  // The way forward the message names.
  REQUIRE(daemon.Migctl({"baseline", "--apply"}).exit_code == 0);
  CHECK(daemon.Migctl({"check", "--schema"}).exit_code == 0);
  CHECK_THAT(daemon.Migctl({"upgrade"}).result().message(), Catch::Contains("nothing to do"));
}

TEST_CASE("tables the scripts do not create do not stop the first upgrade", "[daemon][schema]") {
  SqliteDatabase db;
  db.Exec("CREATE TABLE application_settings (k TEXT PRIMARY KEY, v TEXT)");
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  CHECK(daemon.Migctl({"status"}).result().status().unmanaged().empty());
  CHECK(daemon.Migctl({"check"}).exit_code == 3);
  CHECK(daemon.Migctl({"upgrade"}).exit_code == 0);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// README's own example, and the two ways it used to mislead.
TEST_CASE("upgrade --sql takes base as FROM, hints without a daemon, and refuses --json",
          "[daemon][schema]") {
  SqliteDatabase db;
  TempDir dir;
  auto migctl = [&](std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), testing::MigctlBinary());
    for (const char* extra : {"--dialect", "sqlite", "--migrations"}) args.push_back(extra);
    args.push_back(testing::SeedMigrationsDir());
    auto process = std::make_unique<testing::Process>(args, dir / name);
    process->Wait();
    return process;
  };
  auto from_base = migctl({"upgrade", "--sql", "base:002"}, "from-base");
  CHECK(from_base->Wait() == 0);
  const std::string file = dir / "from-base.sql";
  testing::WriteFile(file, from_base->Stdout());
  testing::RunWithClient(dir, db.url(), file);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"002_add_indexes"}});

  auto unknown = migctl({"upgrade", "--sql", "nope:002"}, "unknown");
  CHECK(unknown->Wait() == 2);
  CHECK_THAT(unknown->Stderr(), Catch::Contains("unknown revision 'nope'") &&
                                    Catch::Contains("the scripts in") &&
                                    !Catch::Contains("migctl history"));

  auto json = migctl({"--json", "upgrade", "--sql", "002"}, "json");
  CHECK(json->Wait() == 2);
  CHECK_THAT(json->Stdout(), Catch::Contains("client_error") && !Catch::Contains("CREATE TABLE"));
}

}  // namespace
}  // namespace migrationd
