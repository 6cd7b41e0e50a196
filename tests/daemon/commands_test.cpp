// Every migctl command end to end: a real migrationd on a temp socket, real SQLite files and the
// real PostgreSQL of the test command; --json output parsed, outcomes checked in the catalog.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::List;

constexpr const char* kHead = testing::kSeedHead;

TEMPLATE_TEST_CASE("every read-only command answers on a fresh database", "[daemon][commands]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());

  MigctlRun status = daemon.Migctl({"status"});
  REQUIRE(status.exit_code == 0);
  const proto::StatusInfo& info = status.result().status();
  CHECK(info.daemon_version() == MIGRATIOND_VERSION);  // CMakeLists.txt's project version
  CHECK(info.dialect() == db.dialect());
  CHECK(info.current().empty());
  CHECK(List(info.heads()) == std::vector<std::string>{kHead});
  CHECK(info.pending() == 4);
  CHECK_FALSE(info.lock().held());
  CHECK_FALSE(info.has_job());

  MigctlRun current = daemon.Migctl({"current"});
  CHECK(current.exit_code == 0);
  CHECK(current.result().current().empty());

  MigctlRun heads = daemon.Migctl({"heads"});
  CHECK(heads.exit_code == 0);
  REQUIRE(heads.result().revisions_size() == 1);
  CHECK(heads.result().revisions(0).revision() == kHead);
  CHECK_FALSE(heads.result().revisions(0).applied());

  MigctlRun check = daemon.Migctl({"check"});
  CHECK(check.exit_code == 3);
  CHECK(check.result().code() == proto::NOT_AT_HEAD);

  MigctlRun log = daemon.Migctl({"log"});
  CHECK(log.exit_code == 0);
  CHECK(log.result().log().empty());

  // The start-up check told the operator what to run.
  CHECK_THAT(daemon.WaitForLog("pending;"),
             Catch::Contains("4 revision(s) pending; run 'migctl upgrade'"));

  // Reading never creates migrationd's tables.
  CHECK(db.Query("SELECT 1").size() == 1);
  CHECK(db.TableColumns().empty());
}

TEMPLATE_TEST_CASE("upgrade, history, show, check, downgrade, stamp and log end to end",
                   "[daemon][commands]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());

  MigctlRun dry = daemon.Migctl({"upgrade", "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  REQUIRE(dry.result().plan_size() == 4);
  CHECK(dry.result().plan(0).revision() == "000_initial_base");
  CHECK_THAT(dry.result().plan(0).statements(0).sql(), Catch::StartsWith("CREATE TABLE users"));
  CHECK(dry.result().plan(0).statements(0).line() == (db.dialect() == "sqlite" ? 7 : 51));
  CHECK(db.TableColumns().empty());  // a dry run changes nothing

  MigctlRun up = daemon.Migctl({"upgrade"});
  REQUIRE(up.exit_code == 0);
  CHECK(List(up.result().current()) == std::vector<std::string>{kHead});
  std::vector<std::string> finished;
  for (const auto& event : up.events()) {
    if (event.kind() == proto::REVISION_FINISHED) {
      finished.push_back(event.revision());
      CHECK(event.total() == 4);
      CHECK(event.duration_ms() > 0);
    }
  }
  CHECK(finished ==
        std::vector<std::string>{"000_initial_base", "001_group_ai", "002_add_indexes", kHead});
  CHECK(db.TableColumns().count("group_ai_script_versions") == 1);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  // The requester's identity from SO_PEERCRED is in every history row.
  Rows who = db.Query("SELECT DISTINCT user_uid, daemon_pid FROM migrationd_history");
  REQUIRE(who.size() == 1);
  CHECK(who[0][0] == std::to_string(getuid()));
  CHECK(who[0][1] == std::to_string(daemon.pid()));

  MigctlRun again = daemon.Migctl({"upgrade"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.result().message(), Catch::Contains("nothing to do"));

  MigctlRun history = daemon.Migctl({"history", "--verbose"});
  REQUIRE(history.exit_code == 0);
  REQUIRE(history.result().revisions_size() == 4);
  CHECK(history.result().revisions(0).revision() == kHead);  // newest first
  CHECK(history.result().revisions(0).is_current());
  CHECK(history.result().revisions(0).is_head());
  CHECK(history.result().revisions(3).applied());
  CHECK_FALSE(history.result().revisions(3).applied_at().empty());
  MigctlRun range = daemon.Migctl({"history", "-r", "001:002"});
  REQUIRE(range.exit_code == 0);
  REQUIRE(range.result().revisions_size() == 2);
  CHECK(range.result().revisions(0).revision() == "002_add_indexes");

  MigctlRun show = daemon.Migctl({"show", "001"});
  REQUIRE(show.exit_code == 0);
  const proto::RevisionInfo& shown = show.result().revisions(0);
  CHECK(shown.revision() == "001_group_ai");
  CHECK(List(shown.parents()) == std::vector<std::string>{"000_initial_base"});
  CHECK_THAT(shown.upgrade_sql(), Catch::Contains("CREATE TABLE group_ai_accounts"));
  CHECK_THAT(shown.downgrade_sql(), Catch::Contains("DROP TABLE group_ai_accounts"));
  CHECK(shown.checksum() == shown.applied_checksum());
  CHECK(daemon.Migctl({"show", "0"}).exit_code == 2);  // ambiguous prefix
  CHECK(daemon.Migctl({"show", "nope"}).exit_code == 2);

  CHECK(daemon.Migctl({"check"}).exit_code == 0);

  MigctlRun down = daemon.Migctl({"downgrade", "-1"});
  REQUIRE(down.exit_code == 0);
  CHECK(List(down.result().current()) == std::vector<std::string>{"002_add_indexes"});
  CHECK(db.TableColumns().count("group_ai_script_versions") == 0);
  CHECK(daemon.Migctl({"check"}).exit_code == 3);

  // The schema is 002's: stamping head is refused, unless forced.
  CHECK(daemon.Migctl({"stamp", "head"}).exit_code == 7);
  MigctlRun stamp = daemon.Migctl({"stamp", "head", "--force"});
  REQUIRE(stamp.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(db.TableColumns().count("group_ai_script_versions") == 0);  // stamp runs no SQL
  REQUIRE(daemon.Migctl({"stamp", "002"}).exit_code == 0);

  MigctlRun base = daemon.Migctl({"downgrade", "base"});
  REQUIRE(base.exit_code == 0);
  CHECK(db.TableColumns().empty());

  MigctlRun log = daemon.Migctl({"log", "-n", "3"});
  REQUIRE(log.exit_code == 0);
  REQUIRE(log.result().log_size() == 3);
  CHECK(log.result().log(2).direction() == "downgrade");
  CHECK(log.result().log(2).revision() == "000_initial_base");
  CHECK(log.result().log(2).uid() == getuid());

  CHECK(daemon.Migctl({"cancel"}).exit_code == 2);  // no job runs
  CHECK(daemon.Migctl({"upgrade", "-1"}).exit_code == 2);
  CHECK(daemon.Migctl({"downgrade"}).exit_code == 2);  // usage: TARGET is required
  CHECK(daemon.Migctl({"frobnicate"}).exit_code == 2);
}

TEMPLATE_TEST_CASE("check reports an edited script and an unknown revision as integrity errors",
                   "[daemon][commands]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade"}).exit_code == 0);

  std::string path = migrations + "/002_add_indexes.sql";
  testing::WriteFile(path, testing::ReadFile(path) + "\n-- an edit after the fact\n");
  MigctlRun edited = daemon.Migctl({"check"});
  CHECK(edited.exit_code == 7);
  REQUIRE(edited.result().problems_size() == 1);
  CHECK(edited.result().problems(0).kind() == "checksum_mismatch");
  CHECK(edited.result().problems(0).revision() == "002_add_indexes");

  db.Exec("INSERT INTO migrationd_version (revision) VALUES ('999_unknown')");
  MigctlRun unknown = daemon.Migctl({"check"});
  CHECK(unknown.exit_code == 7);
  CHECK(unknown.result().problems(0).kind() == "unknown_revision");
  CHECK(daemon.Migctl({"upgrade"}).exit_code == 7);
  CHECK(daemon.Migctl({"current"}).exit_code == 7);
}

TEST_CASE("a failed migration reaches migctl with the file, line and database message",
          "[daemon][commands]") {
  SqliteDatabase db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_bad.sql",
             "-- revision: 004_bad\n-- parents: 003_add_script_version_management\n"
             "-- +upgrade\nCREATE TABLE ok_table (id INTEGER);\nSELEC 1;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun run = daemon.Migctl({"upgrade"});
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.result().message(),
             Catch::Contains("004_bad.sql:5") && Catch::Contains("syntax error"));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(db.TableColumns().count("ok_table") == 0);
  CHECK(daemon.Migctl({"status"}).exit_code == 0);  // the daemon is still there
}

TEST_CASE("migctl revision writes a script the daemon's parser accepts", "[client][commands]") {
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  testing::Process run(
      {testing::MigctlBinary(), "revision", "-m", "Add audit log!", "--migrations", migrations},
      dir / "revision");
  REQUIRE(run.Wait() == 0);
  std::string path = migrations + "/004_add_audit_log.sql";
  CHECK_THAT(run.Stdout(), Catch::Contains(path));
  std::string text = testing::ReadFile(path);
  CHECK_THAT(text, Catch::Contains("-- revision: 004_add_audit_log") &&
                       Catch::Contains("-- parents: 003_add_script_version_management"));

  // A second head: revision refuses and names both.
  testing::WriteFile(migrations + "/004_other.sql",
                     "-- revision: 004_other\n-- parents: 003_add_script_version_management\n"
                     "-- +upgrade\n");
  testing::Process two_heads(
      {testing::MigctlBinary(), "revision", "-m", "x", "--migrations", migrations},
      dir / "two_heads");
  CHECK(two_heads.Wait() == 7);
  CHECK_THAT(two_heads.Stderr(), Catch::Contains("004_add_audit_log") &&
                                     Catch::Contains("004_other") &&
                                     Catch::Contains("merge revision"));
}

TEST_CASE("migctl exits 5 when no daemon answers, and 2 on usage errors", "[client]") {
  TempDir dir;
  auto run = testing::RunMigctl(dir / "nobody-here.sock", {"status"});
  CHECK(run.exit_code == 5);
  CHECK_THAT(run.err, Catch::Contains("nobody-here.sock"));
  CHECK(testing::RunMigctl(dir / "x.sock", {"--bogus"}).exit_code == 2);
  CHECK(testing::RunMigctl(dir / "x.sock", {"show"}).exit_code == 2);
  testing::Process help({testing::MigctlBinary(), "upgrade", "--help"}, dir / "help");
  CHECK(help.Wait() == 0);
  CHECK_THAT(help.Stdout(), Catch::Contains("Usage: migctl upgrade") &&
                                Catch::Contains("--dry-run") && Catch::Contains("--no-backup"));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("a password in the database URL never reaches a reply or a log line",
          "[daemon][commands][postgresql]") {
  testing::PostgresDatabase db;
  testing::TempDir dir;
  // The test cluster trusts local connections, so the password is accepted and never checked.
  // libpq decodes the parameters' keys, so `%70assword` is a password as much as `password`.
  std::string url = db.url();
  const std::string form = GENERATE("userinfo", "password=", "%70assword=");
  if (form == "userinfo") {
    url.insert(url.find("@"), ":hunter2secret");
  } else {
    url += (url.find('?') == std::string::npos ? "?" : "&") + form + "hunter2secret";
  }
  INFO(form);

  // On the command line it would show in ps: refused, without echoing it.
  testing::Process refused({testing::MigrationdBinary(), "--database", url, "--migrations",
                            testing::SeedMigrationsDir(), "--socket", dir / "refused.sock"},
                           dir / "refused");
  CHECK(refused.Wait() == 2);
  CHECK_THAT(refused.Stderr(), Catch::Contains("PGPASSFILE") && Catch::Contains("ps"));
  CHECK_THAT(refused.Stderr(), !Catch::Contains("hunter2secret"));

  // In a config file others can read: refused, naming the file and the fix.
  const std::string config = dir / "migrationd.conf";
  testing::WriteFile(config, "[migrationd]\ndatabase = " + url + "\n");
  REQUIRE(chmod(config.c_str(), 0644) == 0);
  testing::Process readable({testing::MigrationdBinary(), "--config", config, "--migrations",
                             testing::SeedMigrationsDir(), "--socket", dir / "readable.sock"},
                            dir / "readable");
  CHECK(readable.Wait() == 2);
  CHECK_THAT(readable.Stderr(), Catch::Contains(config) && Catch::Contains("chmod 0600"));
  CHECK_THAT(readable.Stderr(), !Catch::Contains("hunter2secret"));

  // A private config file is the place for it.
  REQUIRE(chmod(config.c_str(), 0600) == 0);
  testing::Daemon daemon(dir, "d", "", testing::SeedMigrationsDir(), {"--config", config});
  auto status = daemon.Migctl({"status"});
  REQUIRE(status.exit_code == 0);
  CHECK_THAT(status.result().status().database(), Catch::Contains("***"));
  auto upgrade = daemon.Migctl({"upgrade"});
  CHECK(upgrade.exit_code == 0);
  for (const auto& text : {status.out, status.err, upgrade.out, upgrade.err, daemon.Log(),
                           daemon.Migctl({"log"}).out}) {
    CHECK_THAT(text, !Catch::Contains("hunter2secret"));
  }
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("a broken script directory fails the requests that need it, not status or backups",
          "[daemon][commands]") {
  testing::SqliteDatabase db;
  testing::TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  testing::Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade"}).exit_code == 0);
  testing::WriteFile(migrations + "/004_broken.sql", "-- revision: 004_broken\n-- parent: 003\n");

  auto upgrade = daemon.Migctl({"upgrade"});
  CHECK(upgrade.exit_code == 1);
  CHECK_THAT(upgrade.result().message(),
             Catch::Contains("004_broken.sql:2") && Catch::Contains("did you mean 'parents'"));
  auto status = daemon.Migctl({"status"});
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.result().status().error(), Catch::Contains("004_broken.sql:2"));
  auto backups = daemon.Migctl({"backups"});
  CHECK(backups.exit_code == 0);
  CHECK(backups.result().backups_size() == 1);
  CHECK(daemon.Migctl({"backup"}).exit_code == 0);  // a backup needs no scripts either
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("log shows notes as notes, the backup of each row, and offline rows without a uid",
          "[daemon][commands]") {
  testing::SqliteDatabase db;
  testing::TempDir dir;
  testing::Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "001"}).exit_code == 0);  // with its backup
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  // A row written by offline SQL, as `upgrade --sql` writes it.
  db.Exec(
      "INSERT INTO migrationd_history (revision, direction, checksum, started_at, "
      "finished_at, duration_ms, outcome, heads_after, user_name, backup_id) VALUES "
      "('x', 'stamp', 'c', 'now', 'now', 0, 'success', '', 'offline SQL (alice, migctl 0.1.0)',"
      " 'none (offline SQL: take your own backup)')");

  testing::Process log({testing::MigctlBinary(), "--socket", daemon.socket(), "log"}, dir / "log");
  REQUIRE(log.Wait() == 0);
  const std::string text = log.Stdout();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("backup: before-migrate-"));
  CHECK_THAT(text, Catch::Contains("backup: skipped") || Catch::Contains("backup: none"));
  CHECK_THAT(text, Catch::Contains("offline SQL (alice, migctl 0.1.0)") &&
                       !Catch::Contains("(uid -1)") && !Catch::Contains(" on \n"));
  CHECK_THAT(text, !Catch::Contains("error:"));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// On a terminal the progress bar is cleared before an error is printed (stderr is not buffered,
// stdout is: the clearing used to reach the terminal after the error, on the bar's line).
TEST_CASE("the progress bar is cleared before an error on a terminal", "[daemon][commands]") {
  testing::SqliteDatabase db;
  testing::TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_broken.sql", std::string("-- revision: 004_broken\n-- parents: ") +
                                   testing::kSeedHead +
                                   "\n-- +upgrade\nINSERT INTO no_such_table VALUES (1);\n"
                                   "-- +downgrade\n"}});
  testing::Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", testing::kSeedHead, "--no-backup"}).exit_code == 0);
  // script(1) gives migctl a pseudo-terminal; what it wrote there is its output.
  const std::string command =
      testing::MigctlBinary() + " --socket " + daemon.socket() + " upgrade --no-backup";
  testing::Process terminal({"/usr/bin/script", "-qec", command, "/dev/null"}, dir / "tty");
  CHECK(terminal.Wait() == 1);
  const std::string out = terminal.Stdout();
  INFO(out);
  const size_t bar = out.find("] 0/1 upgrade 004_broken");
  const size_t error = out.find("migctl: ");
  REQUIRE(bar != std::string::npos);
  REQUIRE(error != std::string::npos);
  const size_t cleared = out.find("\r\033[K", bar);
  CHECK(cleared < error);
}

}  // namespace
}  // namespace migrationd
