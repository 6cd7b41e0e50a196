// `migctl lint`, `migrationd --lint` and lint_on_upgrade on real databases and real processes:
// the findings with file:line and the tables' sizes, the refusal before any backup or DDL, the
// escalation by size, suppressions recorded when applied, the formats for CI.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::List;
using testing::Process;
using testing::TestDatabase;

const proto::LintFinding* FindingOf(const proto::Result& result, const std::string& rule) {
  for (const auto& finding : result.lint()) {
    if (finding.rule() == rule) return &finding;
  }
  return nullptr;
}

// migctl's own text (the harness's Migctl asks for --json): exit code and stdout + stderr.
std::pair<int, std::string> MigctlText(const TempDir& dir, const Daemon& daemon,
                                       std::vector<std::string> args) {
  static int runs = 0;
  args.insert(args.begin(), {testing::MigctlBinary(), "--socket", daemon.socket()});
  Process run(args, dir / ("text-" + std::to_string(++runs)));
  const int code = run.Wait();
  return {code, run.Stdout() + run.Stderr()};
}

std::string Rules(const proto::Result& result) {
  std::string text;
  for (const auto& finding : result.lint()) {
    text += finding.severity() + " " + finding.rule() + " " + finding.path() + ":" +
            std::to_string(finding.line()) + " " + finding.what() + " [" + finding.size() + "]\n";
  }
  return text;
}

// 004 builds an index on users without CONCURRENTLY (line 7 of its file).
const char* const kIndexRevision =
    "-- revision: 004_index_users\n"
    "-- parents: 003_add_script_version_management\n"
    "-- message: index users by email and name\n"
    "-- transaction: per-migration\n"
    "\n"
    "-- +upgrade\n"
    "CREATE INDEX ix_users_email_name ON users (email, full_name);\n"
    "-- +downgrade\n"
    "DROP INDEX ix_users_email_name;\n";

// The SQLite counterpart: a NOT NULL column without a default, which SQLite refuses once the
// table has rows (line 7).
const char* const kNotNullColumnRevision =
    "-- revision: 004_users_nickname\n"
    "-- parents: 003_add_script_version_management\n"
    "-- message: users get a nickname\n"
    "-- transaction: per-migration\n"
    "\n"
    "-- +upgrade\n"
    "ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL;\n"
    "-- +downgrade\n"
    "ALTER TABLE users DROP COLUMN nickname;\n";

void AddUsers(TestDatabase& db, int count) {
  if (db.dialect() == "postgresql") {
    db.Exec(
        "INSERT INTO users (username, email, password_hash, created_at, updated_at) "
        "SELECT 'u' || g, 'u' || g || '@example.com', 'x', now(), now() "
        "FROM generate_series(1, " +
        std::to_string(count) + ") g");
    db.Exec("ANALYZE users");
  } else {
    db.Exec("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < " +
            std::to_string(count) +
            ") INSERT INTO users (username, email, password_hash, created_at, updated_at) "
            "SELECT 'u' || n, 'u' || n || '@example.com', 'x', datetime('now'), datetime('now') "
            "FROM g");
  }
}

// A database of each engine with the seed's chain applied (its tables exist when 004 is
// pending), made by a daemon of its own that is gone when this returns.
std::unique_ptr<TestDatabase> SeededDatabase(bool postgres, const TempDir& dir) {
  std::unique_ptr<TestDatabase> db;
  if (postgres) {
    db = std::make_unique<PostgresDatabase>();
  } else {
    db = std::make_unique<SqliteDatabase>();
  }
  Daemon seed(dir, "seed", db->url(), testing::SeedMigrationsDir());
  REQUIRE(seed.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  return db;
}

TEST_CASE("migctl lint: each pending finding with its file:line, the table's size, the safe way",
          "[daemon][lint]") {
  for (const bool postgres : {false, true}) {
    TempDir dir;
    const std::unique_ptr<TestDatabase> db = SeededDatabase(postgres, dir);
    INFO(db->dialect());
    const std::string revision = postgres ? kIndexRevision : kNotNullColumnRevision;
    const std::string file = postgres ? "004_index_users.sql" : "004_users_nickname.sql";
    const std::string rule = postgres ? "index-not-concurrent" : "sqlite-add-column-refused";
    AddUsers(*db, 1500);
    const std::string migrations = testing::SeedMigrationsPlus(dir, {{file, revision}});
    Daemon daemon(dir, "d", db->url(), migrations);

    MigctlRun lint = daemon.Migctl({"--json", "lint"});
    INFO(lint.out << lint.err);
    CHECK(lint.exit_code == 7);
    const proto::Result& result = lint.result();
    INFO(Rules(result));
    const proto::LintFinding* finding = FindingOf(result, rule);
    REQUIRE(finding != nullptr);
    CHECK(finding->severity() == "error");
    CHECK(finding->line() == 7);
    CHECK(finding->revision() == file.substr(0, file.size() - 4));
    CHECK(fs::path(finding->path()).filename() == file);
    CHECK(finding->table() == "users");
    CHECK_THAT(finding->size(),
               Catch::StartsWith(postgres ? "users: ~1500 rows, " : "users: 1500 rows"));
    CHECK_FALSE(finding->recipe().empty());
    CHECK(result.lint_summary().live());
    CHECK(result.lint_summary().revisions() == 1);
    CHECK(result.lint_summary().errors() >= 1);

    auto [text_code, text] = MigctlText(dir, daemon, {"lint"});
    CHECK(text_code == 7);
    CHECK_THAT(text, Catch::Contains("error " + rule) && Catch::Contains(file + ":7") &&
                         Catch::Contains("safe way: ") && Catch::Contains("lint (pending"));
    auto [github_code, github] = MigctlText(dir, daemon, {"lint", "--format", "github"});
    CHECK(github_code == 7);
    CHECK_THAT(github, Catch::Contains(",line=7,title=migrationd lint " + rule + "::"));
    auto [sarif_code, sarif] = MigctlText(dir, daemon, {"lint", "--format", "sarif"});
    CHECK(sarif_code == 7);
    CHECK_THAT(sarif, Catch::Contains("\"ruleId\":\"" + rule + "\"") &&
                          Catch::Contains("\"startLine\":7") &&
                          Catch::Contains("\"version\":\"2.1.0\""));

    // Nothing pending at 003: nothing to lint.
    MigctlRun at_003 = daemon.Migctl({"--json", "lint", "003_add_script_version_management"});
    CHECK(at_003.exit_code == 0);
    CHECK(at_003.result().lint().empty());
    // A static lint of a range through the daemon: sizes unknown.
    MigctlRun range = daemon.Migctl({"--json", "lint", "-r", "004:"});
    CHECK(range.exit_code == 7);
    CHECK_FALSE(range.result().lint_summary().live());
  }
}

TEST_CASE("what SQLite refuses is found by lint and really fails on the live rows",
          "[daemon][lint]") {
  SqliteDatabase db;
  TempDir dir;
  {
    Daemon seed(dir, "seed", db.url(), testing::SeedMigrationsDir());
    REQUIRE(seed.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  }
  AddUsers(db, 3);
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_users_nickname.sql", kNotNullColumnRevision}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--lint-on-upgrade", "off"});
  CHECK(daemon.Migctl({"lint"}).exit_code == 7);
  MigctlRun upgrade = daemon.Migctl({"upgrade", "--no-backup"});
  CHECK(upgrade.exit_code == 1);
  CHECK_THAT(upgrade.result().message(),
             Catch::Contains("Cannot add a NOT NULL column with default value NULL"));
}

TEST_CASE(
    "lint_on_upgrade = refuse stops an upgrade before any backup or DDL, warn applies and "
    "shows the findings",
    "[daemon][lint]") {
  for (const bool postgres : {false, true}) {
    TempDir dir;
    const std::unique_ptr<TestDatabase> db = SeededDatabase(postgres, dir);
    INFO(db->dialect());
    // On SQLite the index rule does not apply: a drop of an existing column is the error there.
    const std::string revision = postgres
                                     ? std::string(kIndexRevision)
                                     : "-- revision: 004_drop_full_name\n"
                                       "-- parents: 003_add_script_version_management\n"
                                       "-- message: users lose full_name\n"
                                       "-- transaction: per-migration\n"
                                       "\n"
                                       "-- +upgrade\n"
                                       "ALTER TABLE users DROP COLUMN full_name;\n"
                                       "-- +downgrade\n"
                                       "ALTER TABLE users ADD COLUMN full_name VARCHAR(128);\n";
    const std::string migrations = testing::SeedMigrationsPlus(dir, {{"004_x.sql", revision}});
    const std::string backups = dir / "backups";
    const auto before = db->SchemaSnapshot();
    {
      Daemon refusing(dir, "refuse", db->url(), migrations,
                      {"--lint-on-upgrade", "refuse", "--backup-dir", backups});
      MigctlRun dry = refusing.Migctl({"--json", "upgrade", "--dry-run"});
      CHECK(dry.exit_code == 7);
      CHECK_THAT(dry.result().message(), Catch::Contains("would stop this upgrade"));
      MigctlRun refused = refusing.Migctl({"upgrade"});
      INFO(refused.out << refused.err);
      CHECK(refused.exit_code == 7);
      CHECK(refused.result().lint_size() >= 1);
      CHECK_THAT(refused.result().message(),
                 Catch::Contains("lint_on_upgrade = refuse stopped the upgrade "
                                 "before its backup and before any SQL") &&
                     Catch::Contains("004_x.sql:7"));
      CHECK(db->SchemaSnapshot() == before);
      CHECK(List(refusing.Migctl({"current"}).result().current()) ==
            std::vector<std::string>{"003_add_script_version_management"});
      auto [text_code, text] = MigctlText(dir, refusing, {"upgrade"});
      CHECK(text_code == 7);
      CHECK_THAT(text,
                 Catch::Contains(postgres ? "error index-not-concurrent" : "error drop-column") &&
                     Catch::Contains("safe way:"));
      MigctlRun listed = refusing.Migctl({"--json", "backups"});
      CHECK(listed.result().backups().empty());
      CHECK((!fs::exists(backups) || fs::is_empty(backups)));
      MigctlRun log = refusing.Migctl({"--json", "log", "-n", "1"});
      REQUIRE(log.result().log_size() == 1);
      CHECK(log.result().log(0).outcome() == "refused");
      CHECK(log.result().log(0).direction() == "upgrade");
      CHECK_THAT(log.result().log(0).error(), Catch::Contains("lint error"));
    }
    Daemon warning(dir, "warn", db->url(), migrations, {"--backup-dir", backups});
    auto [applied_code, applied] = MigctlText(dir, warning, {"upgrade"});
    INFO(applied);
    CHECK(applied_code == 0);
    CHECK_THAT(applied,
               Catch::Contains(postgres ? "error index-not-concurrent" : "error drop-column"));
    CHECK(List(warning.Migctl({"current"}).result().current()) ==
          std::vector<std::string>{postgres ? "004_index_users" : "004_drop_full_name"});
    CHECK(db->SchemaSnapshot() != before);
    CHECK_THAT(warning.Log(), Catch::Contains("lint error"));
  }
}

TEST_CASE("a table with 200,000 rows makes a size-dependent warning an error at lint_large_table",
          "[daemon][lint]") {
  PostgresDatabase db;
  TempDir dir;
  {
    Daemon seed(dir, "seed", db.url(), testing::SeedMigrationsDir());
    REQUIRE(seed.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  }
  AddUsers(db, 200000);
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_trigger.sql",
             "-- revision: 004_trigger\n"
             "-- parents: 003_add_script_version_management\n"
             "-- message: touch updated_at\n"
             "-- transaction: per-migration\n"
             "\n"
             "-- +upgrade\n"
             "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
             "BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n"
             "CREATE TRIGGER users_touch BEFORE UPDATE ON users\n"
             "    FOR EACH ROW EXECUTE FUNCTION touch();\n"
             "-- +downgrade\n"
             "DROP TRIGGER users_touch ON users;\n"
             "DROP FUNCTION touch();\n"}});
  {
    Daemon daemon(dir, "large", db.url(), migrations, {"--lint-large-table", "100000"});
    MigctlRun lint = daemon.Migctl({"--json", "lint"});
    INFO(Rules(lint.result()));
    CHECK(lint.exit_code == 7);
    const proto::LintFinding* finding = FindingOf(lint.result(), "trigger-on-existing-table");
    REQUIRE(finding != nullptr);
    CHECK(finding->severity() == "error");
    CHECK(finding->escalated());
    CHECK(finding->line() == 9);
    CHECK_THAT(finding->size(), Catch::StartsWith("users: ~200 k rows, "));
  }
  Daemon daemon(dir, "small", db.url(), migrations, {"--lint-large-table", "300000"});
  MigctlRun lint = daemon.Migctl({"--json", "lint"});
  INFO(Rules(lint.result()));
  CHECK(lint.exit_code == 0);
  REQUIRE(FindingOf(lint.result(), "trigger-on-existing-table") != nullptr);
  CHECK(FindingOf(lint.result(), "trigger-on-existing-table")->severity() == "warning");
}

TEST_CASE("a table created earlier in the pending plan is new: no index finding on it",
          "[daemon][lint]") {
  PostgresDatabase db;
  TempDir dir;
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_index_users.sql", kIndexRevision}});
  Daemon daemon(dir, "d", db.url(), migrations);
  // At base, users is created by 000 in the same plan as 004's index.
  MigctlRun lint = daemon.Migctl({"--json", "lint"});
  INFO(Rules(lint.result()));
  CHECK(lint.exit_code == 0);
  CHECK(FindingOf(lint.result(), "index-not-concurrent") == nullptr);
  CHECK(lint.result().lint_summary().revisions() == 5);
}

TEST_CASE("an allowed finding is recorded in the revision's history row when it is applied",
          "[daemon][lint]") {
  PostgresDatabase db;
  TempDir dir;
  {
    Daemon seed(dir, "seed", db.url(), testing::SeedMigrationsDir());
    REQUIRE(seed.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  }
  std::string allowed = kIndexRevision;
  allowed.replace(allowed.find("CREATE INDEX"), 0,
                  "-- lint: allow index-not-concurrent: users has a few hundred rows\n");
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_index_users.sql", allowed}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--lint-on-upgrade", "refuse"});
  MigctlRun lint = daemon.Migctl({"--json", "lint"});
  CHECK(lint.exit_code == 0);
  REQUIRE(FindingOf(lint.result(), "index-not-concurrent") != nullptr);
  CHECK(FindingOf(lint.result(), "index-not-concurrent")->suppressed());
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  MigctlRun log = daemon.Migctl({"--json", "log", "-n", "1"});
  REQUIRE(log.result().log_size() == 1);
  CHECK(log.result().log(0).outcome() == "success");
  CHECK(log.result().log(0).error() ==
        "lint allowed: index-not-concurrent at line 8 (users has a few hundred rows)");
}

TEST_CASE("migrationd --lint: the static lint for CI, without a database", "[daemon][lint]") {
  TempDir dir;
  for (const char* dialect : {"sqlite", "postgresql"}) {
    Process seed({testing::MigrationdBinary(), "--lint", "--migrations",
                  testing::SeedMigrationsDir(), "--dialect", dialect},
                 dir / (std::string("seed-") + dialect));
    INFO(seed.Stdout() << seed.Stderr());
    CHECK(seed.Wait() == 0);
    CHECK_THAT(seed.Stdout(), Catch::Contains("0 error(s)"));
  }
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_index_users.sql", kIndexRevision}});
  Process failing({testing::MigrationdBinary(), "--lint", "--migrations", migrations, "--dialect",
                   "postgresql", "--format", "json"},
                  dir / "failing");
  CHECK(failing.Wait() == 7);
  MigctlRun parsed = testing::ParseMigctl(7, failing.Stdout(), failing.Stderr());
  const proto::LintFinding* finding = nullptr;
  for (const auto& each : parsed.result().lint()) {
    if (each.revision() == "004_index_users") finding = &each;
  }
  REQUIRE(finding != nullptr);
  CHECK(finding->rule() == "index-not-concurrent");
  CHECK(finding->size() == "users: size unknown (static lint, no database)");
  Process range({testing::MigrationdBinary(), "--lint", "--migrations", migrations, "--dialect",
                 "postgresql", "-r", ":003_add_script_version_management"},
                dir / "range");
  CHECK(range.Wait() == 0);
  Process usage({testing::MigrationdBinary(), "--lint", "--migrations", migrations}, dir / "usage");
  CHECK(usage.Wait() == 2);
  Process missing({testing::MigrationdBinary(), "--lint", "--migrations", dir / "nowhere",
                   "--dialect", "sqlite"},
                  dir / "missing");
  CHECK(missing.Wait() == 2);
  CHECK_THAT(missing.Stderr(), Catch::Contains("nowhere"));
}

}  // namespace
}  // namespace migrationd
