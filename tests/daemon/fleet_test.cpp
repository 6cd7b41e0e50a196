// One daemon, several databases ([database NAME] sections; daemon/fleet.h): each database has
// its own job queue, lock, backups and log tag; requests name theirs with --database.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::MigctlRun;
using testing::PostgresDatabase;
using testing::Process;
using testing::Rows;
using testing::SqliteDatabase;
using testing::TempDir;

constexpr const char* kHead = testing::kSeedHead;

// A config with one [database NAME] section per (name, url).
std::string FleetConfig(const TempDir& dir,
                        const std::vector<std::pair<std::string, std::string>>& databases,
                        const std::string& extra = "") {
  std::string text = "[migrationd]\nlog_level = info\n" + extra;
  for (const auto& [name, url] : databases) {
    text += "\n[database " + name + "]\ndatabase = " + url + "\n";
  }
  const std::string path = dir / "fleet.conf";
  testing::WriteFile(path, text);
  return path;
}

std::vector<std::string> Names(const proto::Result& result) {
  std::vector<std::string> names;
  for (const auto& database : result.databases()) names.push_back(database.name());
  return names;
}

// [concurrency]: also run on the daemon's TSan build (two job threads, the Fleet between them).
TEST_CASE("one daemon serves several databases: jobs on one do not wait for another's",
          "[daemon][fleet][concurrency]") {
  SqliteDatabase app;
  SqliteDatabase other;
  PostgresDatabase pg;
  TempDir dir;
  // Every database gets the harness's --migrations: the seed chain and a 3 s revision.
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kHead, 3)}});
  const std::string config =
      FleetConfig(dir, {{"app", app.url()}, {"other", other.url()}, {"pg", pg.url()}});
  testing::Daemon daemon(dir, "d", "", migrations, {"--config", config});

  MigctlRun listed = daemon.Migctl({"databases"});
  REQUIRE(listed.exit_code == 0);
  CHECK(Names(listed.result()) == std::vector<std::string>{"app", "other", "pg"});
  // --backup-dir applies to every database, each in a directory of its own.
  CHECK(listed.result().databases(2).backup_dir() == dir / "d-backups/pg");
  CHECK(listed.result().databases(2).dialect() == "postgresql");

  // Without --database the daemon cannot know which: exit 2 naming them, nothing done.
  MigctlRun unnamed = daemon.Migctl({"upgrade"});
  CHECK(unnamed.exit_code == 2);
  CHECK_THAT(unnamed.result().message(),
             Catch::Contains("3 databases (app, other, pg)") && Catch::Contains("--database"));
  MigctlRun unknown = daemon.Migctl({"--database", "nope", "current"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.result().message(), Catch::Contains("no database named 'nope'"));
  CHECK(app.TableColumns().empty());

  // app's upgrade runs its slow revision; pg's and other's upgrades do not queue behind it.
  auto slow = testing::StartMigctl(daemon.socket(), {"-d", "app", "upgrade"}, dir / "slow");
  const auto app_running = [&] {
    MigctlRun status = daemon.Migctl({"-d", "app", "status"});
    return status.exit_code == 0 && status.result().status().job().revision() == "004_slow";
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!app_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(app_running());
  MigctlRun pg_up = daemon.Migctl({"-d", "pg", "upgrade", kHead});
  INFO(pg_up.out << pg_up.err);
  CHECK(pg_up.exit_code == 0);
  CHECK(pg.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  // A cancel names its database: other has no job, and app's goes on.
  CHECK(daemon.Migctl({"-d", "other", "cancel"}).exit_code == 2);
  CHECK(app_running());
  MigctlRun other_status = daemon.Migctl({"--database", "other", "status"});
  CHECK(other_status.result().status().database_name() == "other");
  CHECK_FALSE(other_status.result().status().has_job());

  MigctlRun app_done = testing::FinishMigctl(*slow);
  INFO(app_done.out << app_done.err);
  CHECK(app_done.exit_code == 0);
  CHECK(app.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
  CHECK(other.TableColumns().empty());  // nothing reached the database nobody named
  CHECK(pg.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});

  // Each database's backups in its own directory, listed only for it.
  CHECK(daemon.Migctl({"-d", "app", "backups"}).result().backups_size() == 1);
  CHECK(daemon.Migctl({"-d", "pg", "backups"}).result().backups_size() == 1);
  CHECK(daemon.Migctl({"-d", "other", "backups"}).result().backups_size() == 0);
  CHECK(fs::exists(dir / "d-backups/app"));
  CHECK(fs::exists(dir / "d-backups/pg"));
  // The log says which database each line is about.
  CHECK_THAT(daemon.Log(), Catch::Contains("[app] request 1 'upgrade head'") &&
                               Catch::Contains("[pg] request 1 'upgrade " + std::string(kHead)));
}

// `migctl ARGS` as an operator reads it (text): exit code, stdout, stderr.
struct TextRun {
  int exit_code;
  std::string out;
  std::string err;
};
TextRun MigctlText(const testing::Daemon& daemon, const TempDir& dir,
                   const std::vector<std::string>& args) {
  static int counter = 0;
  std::vector<std::string> argv = {testing::MigctlBinary(), "--socket", daemon.socket()};
  argv.insert(argv.end(), args.begin(), args.end());
  Process process(argv, dir / ("text" + std::to_string(counter++)));
  const int code = process.Wait();
  return {code, process.Stdout(), process.Stderr()};
}

// [concurrency]: the answers arrive on each database's own reader threads (TSan-checked).
TEST_CASE("status, current and check without a name answer for every database of the daemon",
          "[daemon][fleet][concurrency]") {
  SqliteDatabase app;
  SqliteDatabase other;
  SqliteDatabase broken;
  TempDir dir;
  const std::string config =
      FleetConfig(dir, {{"app", app.url()}, {"other", other.url()}, {"broken", broken.url()}});
  testing::Daemon daemon(dir, "d", "", testing::SeedMigrationsDir(), {"--config", config});
  REQUIRE(daemon.Migctl({"-d", "app", "upgrade"}).exit_code == 0);
  REQUIRE(daemon.Migctl({"-d", "broken", "upgrade"}).exit_code == 0);

  // app at head, other at base: a monitoring probe's `check` fails, naming the database.
  MigctlRun check = daemon.Migctl({"check"});
  CHECK(check.exit_code == 3);
  const proto::Result& answered = check.result();
  REQUIRE(answered.answers_size() == 3);
  CHECK(answered.answers(0).name() == "app");
  CHECK(answered.answers(0).result().code() == proto::OK);
  CHECK(answered.answers(1).name() == "other");
  CHECK(answered.answers(1).result().code() == proto::NOT_AT_HEAD);
  CHECK(answered.answers(2).result().code() == proto::OK);
  CHECK_THAT(answered.message(), Catch::StartsWith("1 of 3 databases did not pass: other: "));
  const TextRun check_text = MigctlText(daemon, dir, {"check"});
  CHECK(check_text.exit_code == 3);
  CHECK_THAT(check_text.out, Catch::StartsWith("== app ==\n") &&
                                 Catch::Contains("\n== other ==\n") &&
                                 Catch::Contains("\n== broken ==\n"));
  // Asking was all: nothing ran on the database at base.
  CHECK(other.TableColumns().empty());

  const TextRun current = MigctlText(daemon, dir, {"current"});
  CHECK(current.exit_code == 0);
  CHECK(current.out == "== app ==\n" + std::string(kHead) +
                           "\n\n== other ==\nbase (nothing applied)\n\n== broken ==\n" + kHead +
                           "\n");
  MigctlRun status = daemon.Migctl({"status"});
  CHECK(status.exit_code == 0);
  REQUIRE(status.result().answers_size() == 3);
  CHECK(status.result().answers(1).result().status().database_name() == "other");
  CHECK(status.result().answers(1).result().status().current().empty());

  // A database that cannot be read fails the whole answer; stderr names it, the others answer.
  REQUIRE(daemon.Migctl({"-d", "other", "upgrade"}).exit_code == 0);
  CHECK(daemon.Migctl({"check"}).exit_code == 0);
  testing::WriteFile(broken.path(), std::string(4096, 'x'));
  const TextRun unreadable = MigctlText(daemon, dir, {"check"});
  CHECK(unreadable.exit_code == 1);
  CHECK_THAT(unreadable.err, Catch::Contains("migctl: broken: "));
  CHECK_THAT(unreadable.out, Catch::Contains("== other ==\n"));
  // Mutating commands still need a name.
  CHECK(daemon.Migctl({"upgrade"}).exit_code == 2);
}

TEST_CASE("a database's settings come from [migrationd], its own section overriding them",
          "[daemon][fleet]") {
  SqliteDatabase first;
  SqliteDatabase second;
  TempDir dir;
  const std::string config = FleetConfig(dir, {{"first", first.url()}, {"second", second.url()}},
                                         "maintenance_window = Mon 00:00..00:01 UTC\n");
  // second's own window replaces the shared one; its own backup directory is used as given.
  testing::WriteFile(config, testing::ReadFile(config) + "maintenance_window = 00:00..23:59 UTC\n" +
                                 "backup_dir = " + std::string(dir / "second-own") + "\n");
  Process check({testing::MigrationdBinary(), "--check-config", "--config", config, "--migrations",
                 testing::SeedMigrationsDir()},
                dir / "check");
  REQUIRE(check.Wait() == 0);
  const std::string report = check.Stdout();
  INFO(report);
  const size_t second_at = report.find("[database second]");
  REQUIRE(second_at != std::string::npos);
  CHECK(report.substr(0, second_at).find("Mon 00:00..00:01 UTC") != std::string::npos);
  CHECK(report.substr(second_at).find("Mon 00:00") == std::string::npos);
  CHECK(report.substr(second_at).find("00:00..23:59 UTC") != std::string::npos);
  CHECK(report.substr(second_at).find(dir / "second-own") != std::string::npos);
}

TEST_CASE("a configuration of several databases that cannot work is refused naming the line",
          "[daemon][fleet]") {
  TempDir dir;
  const std::string head = "[migrationd]\nmigrations = " + testing::SeedMigrationsDir() + "\n";
  struct Case {
    std::string text;
    std::string named;
  };
  for (const Case& c : {
           Case{head + "[database a]\ndatabase = sqlite:///x.db\nsocket = /tmp/s\n",
                "m.conf:5: 'socket' is a setting of the daemon, not of one database"},
           Case{head + "[database a]\ndatabase = sqlite:///x.db\n[database a]\n",
                "m.conf:5: [database a] again; the first is at " + std::string(dir / "m.conf:3")},
           Case{head + "database = sqlite:///y.db\n[database a]\ndatabase = sqlite:///x.db\n",
                "m.conf:3: 'database =' in [migrationd] beside [database NAME] sections"},
           Case{head + "[database a/b]\ndatabase = sqlite:///x.db\n",
                "m.conf:3: database name 'a/b' must be"},
           Case{head + "[database a]\nlock_timeout = 5\n",
                "[database a] (" + std::string(dir / "m.conf:3") + ") names no database"},
           Case{head + "[databases]\n", "m.conf:3: unknown section [databases]"},
           // One file twice (another spelling of its path), one PostgreSQL database twice.
           Case{head + "[database a]\ndatabase = sqlite:///tmp/x.db\n[database b]\ndatabase = " +
                    "sqlite:///tmp/../tmp/x.db\n",
                "m.conf:6: [database b] is the database [database a] names (" +
                    std::string(dir / "m.conf:4") + ")"},
           Case{head + "[database a]\ndatabase = postgresql://u@h:5432/app\n[database b]\n" +
                    "database = postgresql://v@h:5432/app?sslmode=require\n",
                "m.conf:6: [database b] is the database [database a] names"},
       }) {
    testing::WriteFile(dir / "m.conf", c.text);
    Process bad({testing::MigrationdBinary(), "--check-config", "--config", dir / "m.conf"},
                dir / "bad");
    INFO(c.text);
    CHECK(bad.Wait() == 2);
    CHECK_THAT(bad.Stderr(), Catch::Contains(c.named));
  }
  // --database cannot choose among sections.
  testing::WriteFile(dir / "m.conf", head + "[database a]\ndatabase = sqlite:///x.db\n");
  Process flag({testing::MigrationdBinary(), "--check-config", "--config", dir / "m.conf",
                "--database", "sqlite:///y.db"},
               dir / "flag");
  CHECK(flag.Wait() == 2);
  CHECK_THAT(flag.Stderr(), Catch::Contains("--database cannot be used with the [database NAME]"));
}

// A window certainly closed now: the day after tomorrow (UTC).
std::string ClosedWindow() {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return std::string(kDays[(utc.tm_wday + 2) % 7]) + " 02:00..03:00 UTC";
}

TEST_CASE("SIGHUP and restore act on one database of several and leave the others as they were",
          "[daemon][fleet][signals]") {
  SqliteDatabase a;
  SqliteDatabase b;
  TempDir dir;
  const std::string config = FleetConfig(dir, {{"a", a.url()}, {"b", b.url()}});
  testing::Daemon daemon(dir, "d", "", testing::SeedMigrationsDir(), {"--config", config});
  for (const char* name : {"a", "b"}) {
    REQUIRE(daemon.Migctl({"-d", name, "upgrade", kHead, "--no-backup"}).exit_code == 0);
  }
  const std::string insert =
      "INSERT INTO users (username, email, password_hash) VALUES ('{}', '{}@x', 'h')";
  auto add_user = [&insert](testing::TestDatabase& db, const std::string& name) {
    std::string sql = insert;
    sql.replace(sql.find("{}"), 2, name);
    sql.replace(sql.find("{}"), 2, name);
    db.Exec(sql);
  };
  add_user(a, "ada");
  add_user(b, "bob");
  MigctlRun backup = daemon.Migctl({"-d", "a", "backup"});
  REQUIRE(backup.exit_code == 0);
  add_user(a, "alan");
  add_user(b, "bea");
  // The backup is a's: b does not list it, and cannot restore it by id.
  CHECK(daemon.Migctl({"-d", "b", "restore", backup.result().backups(0).id()}).exit_code != 0);
  MigctlRun restored = daemon.Migctl({"-d", "a", "restore", backup.result().backups(0).id()});
  INFO(restored.out << restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(a.Query("SELECT username FROM users ORDER BY id") == Rows{{"ada"}});
  CHECK(b.Query("SELECT username FROM users ORDER BY id") == Rows{{"bob"}, {"bea"}});

  // b gets a window that is closed now, and a section c is added: a reload applies b's window
  // to b alone and serves c from then on.
  testing::WriteFile(config, testing::ReadFile(config) + "maintenance_window = " + ClosedWindow() +
                                 "\n\n[database c]\ndatabase = sqlite://" +
                                 std::string(dir / "c.db") + "\n");
  REQUIRE(kill(daemon.pid(), SIGHUP) == 0);
  CHECK_THAT(daemon.WaitForLog("[c] reload: a new database"),
             Catch::Contains("[b] reload: applied 1 change(s): maintenance_window") &&
                 Catch::Contains("[c] reload: a new database in the configuration, served from "
                                 "now on: sqlite://" +
                                 std::string(dir / "c.db")));
  CHECK(daemon.Migctl({"-d", "b", "downgrade", "-1", "--no-backup"}).exit_code == 8);
  CHECK(daemon.Migctl({"-d", "a", "downgrade", "-1", "--no-backup"}).exit_code == 0);
  CHECK(b.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  MigctlRun c_up = daemon.Migctl({"-d", "c", "upgrade"});
  INFO(c_up.out << c_up.err);
  CHECK(c_up.exit_code == 0);
  CHECK(Names(daemon.Migctl({"databases"}).result()) == std::vector<std::string>{"a", "b", "c"});
  CHECK(fs::exists(dir / "d-backups/c"));
}

// A reload that removes a section stops serving that database, unless it has a job (running or
// queued): then it stays until a reload after the job. Two sections naming one database are
// never both served. busy's job waits for its window (--in-window), so nothing here is timed.
TEST_CASE("a reload adds and removes databases without a restart", "[daemon][fleet][signals]") {
  SqliteDatabase keep;
  SqliteDatabase gone;
  SqliteDatabase busy;
  TempDir dir;
  const std::string config =
      FleetConfig(dir, {{"keep", keep.url()}, {"gone", gone.url()}, {"busy", busy.url()}});
  // The last section is busy's: its window is closed now.
  testing::WriteFile(config,
                     testing::ReadFile(config) + "maintenance_window = " + ClosedWindow() + "\n");
  testing::Daemon daemon(dir, "d", "", testing::SeedMigrationsDir(), {"--config", config});
  MigctlRun queued = daemon.Migctl({"-d", "busy", "upgrade", "--in-window", "--no-backup"});
  INFO(queued.out << queued.err);
  REQUIRE(queued.exit_code == 0);
  REQUIRE(daemon.Migctl({"databases"}).result().databases(2).queued() == 1);

  // busy and gone leave, busy2 names busy's file, fresh comes in with auto_upgrade: busy stays
  // while its job waits, and so busy2 is not served beside it; gone goes.
  REQUIRE(FleetConfig(dir,
                      {{"keep", keep.url()},
                       {"busy2", "sqlite://" + busy.path()},
                       {"fresh", "sqlite://" + std::string(dir / "f.db")}},
                      "auto_upgrade = always\n") == config);
  REQUIRE(kill(daemon.pid(), SIGHUP) == 0);
  const std::string log = daemon.WaitForLog("[fresh] reload: a new database");
  CHECK_THAT(log, Catch::Contains("[gone] reload: no longer in the configuration: not served") &&
                      Catch::Contains("[busy] reload: no longer in the configuration, but it has "
                                      "a job (1 queued): still served") &&
                      Catch::Contains("[busy2] reload: not served: ") &&
                      Catch::Contains("[database busy2] is the database [database busy] names"));
  CHECK(Names(daemon.Migctl({"databases"}).result()) ==
        std::vector<std::string>{"keep", "busy", "fresh"});
  MigctlRun gone_status = daemon.Migctl({"-d", "gone", "status"});
  CHECK(gone_status.exit_code == 2);
  CHECK_THAT(gone_status.result().message(), Catch::Contains("no database named 'gone'"));
  // fresh's auto_upgrade ran on its own thread while the daemon answered.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto fresh_current = [&] { return daemon.Migctl({"-d", "fresh", "current"}); };
  while (testing::List(fresh_current().result().current()) != std::vector<std::string>{kHead} &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(testing::List(fresh_current().result().current()) == std::vector<std::string>{kHead});

  // Once busy's job is gone (cancelled here), the next reload lets busy go, and busy2, which
  // names its file, is served in its place (with the auto_upgrade all now have).
  CHECK(busy.TableColumns().empty());  // the queued job never ran
  REQUIRE(daemon.Migctl({"-d", "busy", "cancel"}).exit_code == 0);
  REQUIRE(kill(daemon.pid(), SIGHUP) == 0);
  daemon.WaitForLog("[busy2] reload: a new database");
  CHECK(Names(daemon.Migctl({"databases"}).result()) ==
        std::vector<std::string>{"keep", "fresh", "busy2"});
  CHECK_THAT(daemon.Log(),
             Catch::Contains("[busy] reload: no longer in the configuration: not served"));
  CHECK_THAT(daemon.WaitForLog("[busy2] auto_upgrade: upgraded to"),
             Catch::Contains("[busy2] auto_upgrade: upgraded to"));
  CHECK(busy.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(daemon.Migctl({"check"}).result().answers_size() == 3);

  // A reload that replaces every database: the daemon serves the new one alone, and an admin's
  // change goes through (the admin policy is the daemon's, not a database's).
  REQUIRE(FleetConfig(dir, {{"other", "sqlite://" + std::string(dir / "o.db")}}) == config);
  REQUIRE(kill(daemon.pid(), SIGHUP) == 0);
  daemon.WaitForLog("[other] reload: a new database");
  CHECK(Names(daemon.Migctl({"databases"}).result()) == std::vector<std::string>{"other"});
  CHECK(daemon.Migctl({"-d", "other", "upgrade"}).exit_code == 0);
  CHECK(daemon.Stop() == 0);
}

TEST_CASE("auto_upgrade brings every database of a daemon to head at start", "[daemon][fleet]") {
  SqliteDatabase a;
  PostgresDatabase b;
  TempDir dir;
  const std::string config =
      FleetConfig(dir, {{"a", a.url()}, {"b", b.url()}}, "auto_upgrade = always\n");
  testing::Daemon daemon(dir, "d", "", testing::SeedMigrationsDir(), {"--config", config});
  CHECK(a.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(b.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  // Each with its own before-migrate backup.
  CHECK(daemon.Migctl({"-d", "a", "backups"}).result().backups_size() == 1);
  CHECK(daemon.Migctl({"-d", "b", "backups"}).result().backups_size() == 1);
}

TEST_CASE("a blocked migration's log lines name its database", "[daemon][fleet]") {
  SqliteDatabase a;
  SqliteDatabase b;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir,
      {{"004_nickname.sql", std::string("-- revision: 004_nickname\n-- parents: ") + kHead +
                                "\n-- +upgrade\nALTER TABLE users ADD COLUMN nickname TEXT;"
                                "\n-- +downgrade\nALTER TABLE users DROP COLUMN nickname;\n"}});
  const std::string config = FleetConfig(dir, {{"a", a.url()}, {"b", b.url()}});
  testing::Daemon daemon(dir, "d", "", migrations, {"--config", config, "--lock-timeout", "30000"});
  REQUIRE(daemon.Migctl({"-d", "b", "upgrade", kHead, "--no-backup"}).exit_code == 0);
  SQLite::Database holder(b.path(), SQLite::OPEN_READWRITE);
  holder.exec("BEGIN IMMEDIATE");
  auto running =
      testing::StartMigctl(daemon.socket(), {"-d", "b", "upgrade", "--no-backup"}, dir / "up");
  const std::string by_us = "blocked by pid " + std::to_string(getpid());
  const std::string log = daemon.WaitForLog(by_us);
  holder.exec("ROLLBACK");
  CHECK(testing::FinishMigctl(*running).exit_code == 0);
  // The statement watch's own thread wrote it, tagged as the job's lines are.
  const size_t at = log.find(by_us);
  REQUIRE(at != std::string::npos);
  const std::string line = log.substr(log.rfind('\n', at) + 1, at - log.rfind('\n', at));
  CHECK_THAT(line, Catch::Contains(" [b] "));
}

TEST_CASE("a daemon with one database refuses a request that names another", "[daemon][fleet]") {
  SqliteDatabase db;
  TempDir dir;
  testing::Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  MigctlRun named = daemon.Migctl({"-d", "billing", "status"});
  CHECK(named.exit_code == 2);
  CHECK_THAT(named.result().message(), Catch::Contains("configured without a name") &&
                                           Catch::Contains("drop --database 'billing'"));
  MigctlRun listed = daemon.Migctl({"databases"});
  REQUIRE(listed.exit_code == 0);
  REQUIRE(listed.result().databases_size() == 1);
  CHECK(listed.result().databases(0).name().empty());
  CHECK(listed.result().databases(0).database() == db.url());
}

}  // namespace
}  // namespace migrationd
