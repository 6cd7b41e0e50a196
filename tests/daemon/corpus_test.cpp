// A migration history we did not write by hand: tests/corpus/realistic (369 revisions, 100
// merges of feature branches, backfills, CONCURRENTLY indexes, enums, functions and triggers,
// views, lookup rows; tests/corpus/generate_realistic.py writes it). Upgraded, checked, verified
// and rolled back on both engines through the daemon; and a backfill between two schema changes
// is a baseline tie that must be reported, not resolved silently.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHead = "r369_merge";

std::string RealisticCopy(const TempDir& dir) {
  const std::string copy = dir / "realistic";
  fs::copy(MIGRATIOND_SOURCE_DIR "/tests/corpus/realistic", copy);
  return copy;
}

TEMPLATE_TEST_CASE("the realistic corpus upgrades, checks, verifies and rolls back",
                   "[daemon][corpus]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), RealisticCopy(dir));
  MigctlRun upgrade = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(upgrade.out << upgrade.err);
  REQUIRE(upgrade.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  // Data migrations ran: the backfilled column is filled, the lookup rows are there.
  CHECK(db.Query("SELECT count(*) FROM users WHERE slug_22 IS NULL") == Rows{{"0"}});
  CHECK(db.Query("SELECT label FROM lookup_17 WHERE code = 'c'") ==
        Rows{{"It's; a \"quoted\" label"}});
  MigctlRun check = daemon.Migctl({"check", "--schema"});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);

  // Every round trip holds, on a scratch database walked branch by branch.
  MigctlRun verify = daemon.Migctl({"verify"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.result().verified_size() == 369);

  MigctlRun down = daemon.Migctl({"downgrade", "base", "--no-backup"});
  INFO(down.out << down.err);
  CHECK(down.exit_code == 0);
  CHECK(db.TableColumns().empty());
}

// `migctl upgrade --sql` of the whole corpus (merges, CONCURRENTLY indexes, dollar-quoted
// functions, backfills, quoted lookup rows) run by the engine's own client, without a daemon:
// the database is where the daemon's own upgrade leaves one, and the daemon accepts it. The
// offline downgrade then takes it back to base.
TEMPLATE_TEST_CASE("the realistic corpus as offline SQL run by the engine's client",
                   "[daemon][corpus][offline]", SqliteDatabase, PostgresDatabase) {
  TestType db, reference;
  TempDir dir;
  const std::string migrations = RealisticCopy(dir);
  auto offline = [&](const std::string& command, const std::string& range) {
    testing::Process migctl({testing::MigctlBinary(), command, "--sql", range, "--dialect",
                             db.dialect(), "--migrations", migrations},
                            dir / ("offline-" + command));
    const int code = migctl.Wait();
    INFO(migctl.Stderr());
    REQUIRE(code == 0);
    const std::string file = dir / (command + ".sql");
    testing::WriteFile(file, migctl.Stdout());
    return file;
  };
  testing::RunWithClient(dir, db.url(), offline("upgrade", "base:head"));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(db.Query("SELECT count(*) FROM users WHERE slug_22 IS NULL") == Rows{{"0"}});
  CHECK(db.Query("SELECT label FROM lookup_17 WHERE code = 'c'") ==
        Rows{{"It's; a \"quoted\" label"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE direction = 'upgrade' AND "
                 "outcome = 'success'") == Rows{{"369"}});

  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun check = daemon.Migctl({"check", "--schema"});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  // The same schema, to the fingerprint, as the daemon's own upgrade of another database.
  Daemon other(dir, "r", reference.url(), migrations);
  REQUIRE(other.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(daemon.Migctl({"baseline"}).result().fingerprint() ==
        other.Migctl({"baseline"}).result().fingerprint());

  testing::RunWithClient(dir, db.url(), offline("downgrade", std::string(kHead) + ":base"));
  CHECK(db.Query("SELECT count(*) FROM migrationd_version") == Rows{{"0"}});
  CHECK(db.TableColumns().empty());
  CHECK(daemon.Migctl({"check"}).exit_code == 3);  // every revision pending, nothing wrong
}

// Issue 27's false drift after a restore, on the corpus's functions, triggers, enums, views and
// CONCURRENTLY indexes: a database restored from migrationd's own backup (pg_dump/pg_restore;
// SQLite's backup API) is at its revision with no drift, and baseline finds that revision.
TEMPLATE_TEST_CASE("the realistic corpus restored from a backup has no drift",
                   "[daemon][corpus][restore]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), RealisticCopy(dir), {"--backup-dir", dir / "backups"});
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  MigctlRun backup = daemon.Migctl({"backup"});
  REQUIRE(backup.exit_code == 0);
  REQUIRE(daemon.Migctl({"downgrade", "r200", "--no-backup"}).exit_code == 0);

  MigctlRun restore = daemon.Migctl({"restore", backup.result().backups(0).id()});
  INFO(restore.out << restore.err);
  REQUIRE(restore.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  MigctlRun check = daemon.Migctl({"check", "--schema"});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.result().schema_diff_size() == 0);
  MigctlRun baseline = daemon.Migctl({"baseline"});
  INFO(baseline.out << baseline.err);
  CHECK(baseline.result().matched_revision() == kHead);
}

// r032 adds users.slug_22, r033 fills it (no schema change), r034 makes it required: a database
// at r032 or r033 has the same schema.
TEMPLATE_TEST_CASE("a baseline tie is listed and --apply needs the revision named",
                   "[daemon][corpus][baseline]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  const std::string migrations = RealisticCopy(dir);
  {
    Daemon setup(dir, "setup", db.url(), migrations);
    REQUIRE(setup.Migctl({"upgrade", "r032", "--no-backup"}).exit_code == 0);
  }
  // Unmanaged: the tables as a create_all would leave them, no history.
  for (const char* table : {"migrationd_version", "migrationd_history", "migrationd_progress"}) {
    db.Exec(std::string("DROP TABLE ") + table);
  }
  Daemon daemon(dir, "d", db.url(), migrations);

  MigctlRun baseline = daemon.Migctl({"baseline"});
  INFO(baseline.out << baseline.err);
  CHECK(baseline.exit_code == 0);
  CHECK(testing::List(baseline.result().matched_revisions()) ==
        std::vector<std::string>{"r032_add_users_slug_22", "r033_backfill_users_slug_22"});
  CHECK(baseline.result().matched_revision().empty());
  CHECK_THAT(baseline.result().message(),
             Catch::Contains("2 revisions produce") &&
                 Catch::Contains("'migctl baseline --apply r033_backfill_users_slug_22' marks "
                                 "r033_backfill_users_slug_22 applied without running it"));

  // --apply alone is refused, the dry run exactly as the real command.
  for (bool dry_run : {true, false}) {
    std::vector<std::string> args = {"baseline", "--apply"};
    if (dry_run) args.push_back("--dry-run");
    MigctlRun refused = daemon.Migctl(args);
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.result().message(), Catch::Contains("Name the one the database is at") &&
                                               Catch::Contains("Nothing was stamped"));
  }
  CHECK(db.Query("SELECT count(*) FROM migrationd_version") == Rows{{"0"}});
  // A revision whose schema is not the database's is refused by name.
  MigctlRun wrong = daemon.Migctl({"baseline", "--apply", "r034"});
  CHECK(wrong.exit_code == 7);
  CHECK_THAT(wrong.result().message(),
             Catch::Contains("r034_require_users_slug_22's schema is not the database's"));
  // REV without --apply says what it is for.
  CHECK(daemon.Migctl({"baseline", "r032"}).exit_code == 2);

  // The operator knows the backfill never ran here: record r032, and upgrade runs r033.
  MigctlRun preview = daemon.Migctl({"baseline", "--apply", "r032", "--dry-run"});
  CHECK(preview.exit_code == 0);
  CHECK(preview.result().matched_revision() == "r032_add_users_slug_22");
  CHECK(db.Query("SELECT count(*) FROM migrationd_version") == Rows{{"0"}});
  MigctlRun applied = daemon.Migctl({"baseline", "--apply", "r032"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"r032_add_users_slug_22"}});
  db.Exec("INSERT INTO users (id, name) VALUES (100, 'Late')");
  REQUIRE(daemon.Migctl({"upgrade", "r034", "--no-backup"}).exit_code == 0);
  CHECK(db.Query("SELECT slug_22 FROM users WHERE id = 100") == Rows{{"late-100"}});
}

// Makes `revision`'s upgrade create a table its downgrade does not drop.
void LeaveTableBehind(const std::string& migrations, const std::string& revision) {
  const std::string path = migrations + "/" + revision + ".sql";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  in.close();
  static const std::regex kUpgradeMarker(R"((^-- \+upgrade[^\n]*\n))", std::regex::multiline);
  std::ofstream(path) << std::regex_replace(text.str(), kUpgradeMarker,
                                            "$1CREATE TABLE left_behind (id INTEGER);\n");
}

std::vector<std::string> FirstOf(const std::vector<std::string>& list, size_t count) {
  return {list.begin(), list.begin() + static_cast<std::ptrdiff_t>(count)};
}

// verify cuts the graph into shares, one per core, verified side by side on scratch databases
// of their own: the report must read as if one walk had gone through them in order.
// Named for the realistic corpus: the ASan stage leaves it out (59 s there); the 130-revision
// test below runs the shares under ASan, though not a failing one.
TEMPLATE_TEST_CASE(
    "verify in shares of the realistic corpus reports the first failure in order and what came "
    "before it",
    "[daemon][corpus]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::vector<std::string> order;
  {
    // One walk: the order every share count must report as.
    Daemon daemon(dir, "whole", db.url(), RealisticCopy(dir), {"--verify-workers", "1"});
    MigctlRun verify = daemon.Migctl({"verify"});
    REQUIRE(verify.exit_code == 0);
    order = testing::List(verify.result().verified());
    REQUIRE(order.size() == 369);
  }
  // Three shares of 123: one broken revision early (in the first share) and one late (in the
  // last).
  const std::string migrations = dir / "broken";
  fs::copy(MIGRATIOND_SOURCE_DIR "/tests/corpus/realistic", migrations);
  LeaveTableBehind(migrations, order[300]);
  {
    Daemon daemon(dir, "late", db.url(), migrations, {"--verify-workers", "3"});
    MigctlRun verify = daemon.Migctl({"verify"});
    CHECK(verify.exit_code == 7);
    CHECK_THAT(verify.result().message(), Catch::Contains(order[300] + ": its downgrade"));
    CHECK(testing::List(verify.result().verified()) == FirstOf(order, 300));
  }
  LeaveTableBehind(migrations, order[20]);
  Daemon daemon(dir, "early", db.url(), migrations, {"--verify-workers", "3"});
  MigctlRun verify = daemon.Migctl({"verify"});
  CHECK(verify.exit_code == 7);
  CHECK_THAT(verify.result().message(), Catch::Contains(order[20] + ": its downgrade"));
  CHECK(testing::List(verify.result().verified()) == FirstOf(order, 20));
}

// The shares' walks run on threads of one process: under TSan (scripts/sanitize tsan runs the
// [concurrency] tests) this is where a race between them would show.
TEST_CASE("verify's shares run side by side on scratch databases of their own",
          "[daemon][corpus][concurrency]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = dir / "chain";
  fs::create_directories(migrations);
  std::string parent;  // the first has none
  for (int i = 1; i <= 130; ++i) {
    const std::string id = "c" + std::to_string(1000 + i);
    std::ofstream(migrations + "/" + id + ".sql")
        << "-- revision: " << id << "\n-- parents: " << parent << "\n-- message: table " << i
        << "\n-- +upgrade\nCREATE TABLE t" << i
        << " (id INTEGER PRIMARY KEY, note TEXT);\nCREATE INDEX ix_t" << i << " ON t" << i
        << " (note);\n-- +downgrade\nDROP TABLE t" << i << ";\n";
    parent = id;
  }
  testing::Process verify({testing::MigrationdBinary(), "--verify", "--database", db.url(),
                           "--migrations", migrations, "--verify-workers", "2"},
                          dir / "verify");
  const int code = verify.Wait();
  INFO(verify.Stderr());
  CHECK(code == 0);
  CHECK_THAT(verify.Stdout(), Catch::Contains("verified c1001") && Catch::Contains("c1130"));
}

// A rehearsal of half the corpus (189 revisions, merges, CONCURRENTLY indexes, backfills) on
// a copy of a live database with rows of its own: it passes, counts the backfill's rows, leaves
// the live database as it was, and names the revisions the upgrade then applies, in its order.
TEMPLATE_TEST_CASE("a rehearsal of the realistic corpus reports what the upgrade then applies",
                   "[daemon][corpus][rehearse]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), RealisticCopy(dir), {"--backup-dir", dir / "backups"});
  REQUIRE(daemon.Migctl({"upgrade", "r180_merge", "--no-backup"}).exit_code == 0);
  // 1,000 events of the application's own (2 came with r089): r252 backfills slug_173 on all.
  db.Exec(
      "WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < 1002) "
      "INSERT INTO events_60 (id, name, slug_105) SELECT i, 'event ' || i, 'e-' || i FROM n");
  const Rows version_before = db.Query("SELECT revision FROM migrationd_version");
  const auto schema_before = db.SchemaSnapshot();

  MigctlRun rehearse = daemon.Migctl({"rehearse", "--fresh-backup"});
  INFO(rehearse.out << rehearse.err);
  REQUIRE(rehearse.exit_code == 0);
  const proto::Rehearsal& rehearsal = rehearse.result().rehearsal();
  CHECK(rehearsal.passed());
  CHECK(testing::List(rehearsal.backup_revisions()) == std::vector<std::string>{"r180_merge"});
  std::vector<std::string> rehearsed;
  int64_t backfilled = -1;
  for (const auto& step : rehearsal.steps()) {
    rehearsed.push_back(step.revision());
    CHECK(step.passed());
    if (step.revision() == "r252_backfill_events_60_slug_173") {
      REQUIRE(step.statements_size() == 1);
      backfilled = step.statements(0).rows_written();
    }
  }
  CHECK(backfilled == 1002);
  REQUIRE_FALSE(rehearsed.empty());
  CHECK(rehearsed.back() == kHead);
  // The live database: as before the rehearsal.
  CHECK(db.Query("SELECT revision FROM migrationd_version") == version_before);
  CHECK(db.SchemaSnapshot() == schema_before);
  CHECK(db.Query("SELECT count(*) FROM events_60") == Rows{{"1002"}});

  const Rows last_id = db.Query("SELECT max(id) FROM migrationd_history");
  MigctlRun upgrade = daemon.Migctl({"upgrade", "--rehearse"});
  INFO(upgrade.out << upgrade.err);
  REQUIRE(upgrade.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(db.Query("SELECT count(*) FROM events_60 WHERE slug_173 IS NULL") == Rows{{"0"}});
  std::vector<std::string> applied;
  for (const auto& row :
       db.Query("SELECT revision FROM migrationd_history WHERE direction = 'upgrade' AND "
                "outcome = 'success' AND id > " +
                last_id[0][0] + " ORDER BY id")) {
    applied.push_back(row[0]);
  }
  CHECK(applied == rehearsed);
}

}  // namespace
}  // namespace migrationd
