// Files and inputs an attacker controls: a planted lock-file symlink, backup directories other
// users can write, planted or damaged manifests, over-long labels. The daemon must refuse
// clearly, touch nothing outside its own files, and keep running. Runs as root in CI (the
// daemon then is root, the case that matters).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  REQUIRE(lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

bool StillServes(const Daemon& daemon) { return daemon.Migctl({"status"}).exit_code == 0; }

TEST_CASE("a planted symlink as the SQLite lock file is refused, its target untouched",
          "[daemon][faults][files]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string victim = dir / "victim.conf";
  testing::WriteFile(victim, "precious\n");
  REQUIRE(symlink(victim.c_str(), (db.path() + ".migrationd-lock").c_str()) == 0);
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());

  MigctlRun up = daemon.Migctl({"upgrade", "--no-backup"});
  CHECK(up.exit_code != 0);
  CHECK_THAT(up.result().message(),
             Catch::Contains("symbolic link") && Catch::Contains(db.path() + ".migrationd-lock"));
  CHECK(testing::ReadFile(victim) == "precious\n");
  CHECK(db.TableColumns().empty());
  CHECK(StillServes(daemon));

  // Once the planted link is gone the daemon creates its own lock file, private.
  REQUIRE(unlink((db.path() + ".migrationd-lock").c_str()) == 0);
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(ModeOf(db.path() + ".migrationd-lock") == 0600);
}

TEST_CASE("a backup directory other users can write is refused and never chmodded",
          "[daemon][faults][files]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string backups = dir / "shared-backups";
  REQUIRE(mkdir(backups.c_str(), 0700) == 0);

  SECTION("world-writable, sticky (1777)") {
    REQUIRE(chmod(backups.c_str(), 01777) == 0);
    Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", backups});
    MigctlRun up = daemon.Migctl({"upgrade"});
    CHECK(up.exit_code == 6);
    CHECK_THAT(up.result().message(),
               Catch::Contains("writable by others") && Catch::Contains("chmod 0700"));
    CHECK(ModeOf(backups) == 01777);
    CHECK(db.TableColumns().empty());  // no backup, so no migration
  }
  SECTION("owned by another user") {
    REQUIRE(chown(backups.c_str(), kNobody, kNobody) == 0);
    Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", backups});
    MigctlRun backup = daemon.Migctl({"backup"});
    CHECK(backup.exit_code == 6);
    CHECK_THAT(backup.result().message(), Catch::Contains("belongs to uid 65534"));
    CHECK(fs::is_empty(backups));
  }
  SECTION("inside a parent other users can write") {
    const std::string parent = dir / "open";
    REQUIRE(mkdir(parent.c_str(), 0777) == 0);
    REQUIRE(chmod(parent.c_str(), 0777) == 0);
    Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                  {"--backup-dir", parent + "/backups"});
    MigctlRun backup = daemon.Migctl({"backup"});
    CHECK(backup.exit_code == 6);
    CHECK_THAT(backup.result().message(), Catch::Contains(parent + " is writable by others"));
  }
  SECTION("a private directory works, and its files are 0600") {
    Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", backups});
    MigctlRun backup = daemon.Migctl({"backup"});
    REQUIRE(backup.exit_code == 0);
    for (const auto& entry : fs::directory_iterator(backups)) {
      CHECK(ModeOf(entry.path().string()) == 0600);
    }
  }
}

// The owner of a SQLite database's folder (the application's user) must not choose where the
// root daemon writes: a `backup` link planted there, or a root-owned directory inside it that
// the owner can rename away, used to be accepted.
TEST_CASE("a backup directory reached through a folder another user owns is refused",
          "[daemon][faults][files]") {
  if (geteuid() != 0) FAIL("this test needs root (CI runs as root)");
  TempDir dir;
  const std::string app = dir / "app";
  REQUIRE(mkdir(app.c_str(), 0755) == 0);
  REQUIRE(chown(app.c_str(), kNobody, kNobody) == 0);
  const std::string url = "sqlite://" + app + "/db.sqlite";
  const std::string elsewhere = dir / "root-owned";
  REQUIRE(mkdir(elsewhere.c_str(), 0700) == 0);

  SECTION("a planted symlink as the default backup folder") {
    REQUIRE(symlink(elsewhere.c_str(), (app + "/backup").c_str()) == 0);
    REQUIRE(lchown((app + "/backup").c_str(), kNobody, kNobody) == 0);
    // An empty --backup-dir (after the harness's own) leaves the daemon its default.
    Daemon daemon(dir, "d", url, testing::SeedMigrationsDir(), {"--backup-dir", ""});
    REQUIRE(daemon.Migctl({"upgrade", "001", "--no-backup"}).exit_code == 0);
    MigctlRun backup = daemon.Migctl({"backup"});
    CHECK(backup.exit_code == 6);
    CHECK_THAT(backup.result().message(), Catch::Contains(app + " belongs to uid 65534") &&
                                              Catch::Contains("/var/lib/migrationd/backups"));
    CHECK(fs::is_empty(elsewhere));  // nothing created where the link leads
    // The migration that needs a backup does not run either.
    CHECK(daemon.Migctl({"upgrade"}).exit_code == 6);
    CHECK(daemon.Migctl({"current"}).result().current(0) == "001_group_ai");
  }
  SECTION("a root-owned folder inside it") {
    const std::string inside = app + "/backup";
    REQUIRE(mkdir(inside.c_str(), 0700) == 0);
    Daemon daemon(dir, "d", url, testing::SeedMigrationsDir(),
                  {"--backup-dir", inside + "/db_bak"});
    MigctlRun backup = daemon.Migctl({"backup"});
    CHECK(backup.exit_code == 6);
    CHECK_THAT(backup.result().message(), Catch::Contains(app + " belongs to uid 65534"));
    CHECK(fs::is_empty(inside));
  }
}

// Under systemd the unit's StateDirectory= holds the backups, whatever the engine: one default
// place per daemon (/var/lib/migrationd/backups for migrationd.service).
TEMPLATE_TEST_CASE("under systemd the backups go to STATE_DIRECTORY/backups on both engines",
                   "[daemon][backup]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  const std::string state = dir / "state";
  REQUIRE(mkdir(state.c_str(), 0700) == 0);
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", ""},
                {"/usr/bin/env", "STATE_DIRECTORY=" + state});
  MigctlRun backup = daemon.Migctl({"backup"});
  INFO(backup.out << backup.err);
  REQUIRE(backup.exit_code == 0);
  REQUIRE(backup.result().backups_size() == 1);
  CHECK(fs::exists(state + "/backups/" + backup.result().backups(0).file()));
}

TEST_CASE("planted and damaged manifests are ignored, reported, and never followed",
          "[daemon][faults][files]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string backups = dir / "d-backups";
  const std::string victim = dir / "victim.txt";
  testing::WriteFile(victim, "root-owned data\n");
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--retain-manual-count", "1"});
  REQUIRE(daemon.Migctl({"backup", "--label", "first"}).exit_code == 0);

  // A manifest whose file points outside the directory, old enough for retention to pick it.
  testing::WriteFile(backups + "/manual-20000101-000000-x.manifest.json",
                     R"({"id": "manual-20000101-000000-x", "kind": "manual",
                         "file": "../victim.txt", "created_at": "2000-01-01T00:00:00.000Z"})");
  // One whose id walks out of the directory.
  testing::WriteFile(backups + "/evil.manifest.json",
                     R"({"id": "../victim", "kind": "manual", "file": "../victim.txt",
                         "created_at": "2000-01-01T00:00:00.000Z"})");
  // A damaged one: an invalid escape once crashed the daemon on the next status.
  testing::WriteFile(backups + "/damaged.manifest.json",
                     R"({"id": "x\uZZZZ", "kind": "manual", "file": "x.db"})");

  CHECK(StillServes(daemon));
  MigctlRun listed = daemon.Migctl({"backups"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.result().backups_size() == 1);
  CHECK_THAT(listed.result().message(),
             Catch::Contains("ignored: manifest " + backups + "/evil.manifest.json") &&
                 Catch::Contains("damaged.manifest.json") &&
                 Catch::Contains("manual-20000101-000000-x.manifest.json"));

  // Retention runs after every backup: it keeps one manual backup and touches nothing else.
  REQUIRE(daemon.Migctl({"backup", "--label", "second"}).exit_code == 0);
  CHECK(testing::ReadFile(victim) == "root-owned data\n");
  CHECK(fs::exists(backups + "/evil.manifest.json"));
  MigctlRun after = daemon.Migctl({"backups"});
  REQUIRE(after.result().backups_size() == 1);
  CHECK_THAT(after.result().backups(0).id(), Catch::Contains("second"));
  CHECK(daemon.Migctl({"restore", "../victim"}).exit_code != 0);
  CHECK(testing::ReadFile(victim) == "root-owned data\n");
  CHECK(StillServes(daemon));
}

TEST_CASE("an over-long or odd label is refused at the door and the daemon keeps running",
          "[daemon][faults][files]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  MigctlRun long_label = daemon.Migctl({"backup", "--label", std::string(230, 'a')});
  CHECK(long_label.exit_code == 2);
  CHECK_THAT(long_label.result().message(),
             Catch::Contains("230 bytes") && Catch::Contains("at most 64"));
  MigctlRun slash = daemon.Migctl({"backup", "--label", "a/../../b"});
  CHECK(slash.exit_code == 2);
  MigctlRun long_target = daemon.Migctl({"upgrade", std::string(5000, '0')});
  CHECK(long_target.exit_code == 2);
  CHECK(StillServes(daemon));
  CHECK(daemon.Migctl({"backup", "--label", std::string(64, 'b')}).exit_code == 0);
  CHECK(db.TableColumns().empty());
}

TEST_CASE("garbage in migrationd's own tables is shown, not a crash", "[daemon][faults][files]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  // SQLite keeps whatever text a user writes into a numeric column.
  db.Exec(
      "INSERT INTO migrationd_history (revision, direction, started_at, finished_at,"
      " duration_ms, outcome, user_uid, daemon_pid) VALUES ('x', 'stamp', 'now', 'now',"
      " 'fast', 'success', 'root', '1e999')");
  MigctlRun log = daemon.Migctl({"log"});
  CHECK(log.exit_code == 0);
  CHECK(log.result().log_size() == 5);
  CHECK(StillServes(daemon));
}

}  // namespace
}  // namespace migrationd
