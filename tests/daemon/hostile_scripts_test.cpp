// Script files an attacker or a careless editor leaves in the migrations directory, and temporary
// files of one daemon that another must not take: nothing may be silently dropped, skipped or
// deleted. Each case is a reproduction of the second hostile round (issue 26, points 1-4).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <pqxx/pqxx>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

// A revision after the seed's head whose upgrade section holds `body`.
std::string RevisionWith(const std::string& body, const std::string& message = "hostile") {
  return "-- revision: 004_hostile\n-- parents: " + std::string(testing::kSeedHead) +
         "\n-- message: " + message + "\n\n-- +upgrade\n" + body +
         "\n-- +downgrade\nDROP TABLE a;\n";
}

bool HasTable(testing::TestDatabase& db, const std::string& name) {
  return db.TableColumns().count(name) == 1;
}

// The revision RevisionWith("CREATE TABLE a(x int);") was read and runs.
void UpgradeCreatesA(const Daemon& daemon, testing::TestDatabase& db) {
  MigctlRun up = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(up.out << up.err);
  CHECK(up.exit_code == 0);
  CHECK(HasTable(db, "a"));
}

TEMPLATE_TEST_CASE("a NUL byte in a script is a load error, not a lost statement",
                   "[daemon][files][scripts]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  const std::string body =
      "CREATE TABLE a(x int);\0CREATE TABLE c(y int);\nCREATE TABLE d(z int);"s;
  REQUIRE(body.size() > std::strlen(body.c_str()));
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_hostile.sql", RevisionWith(body)}});
  Daemon daemon(dir, "d", db.url(), migrations);

  MigctlRun up = daemon.Migctl({"upgrade", "--no-backup"});
  CHECK(up.exit_code != 0);
  // The upgrade section starts on line 6; the NUL follows `CREATE TABLE a(x int);` there.
  CHECK_THAT(up.result().message(), Catch::Contains("004_hostile.sql:6:23") &&
                                        Catch::Contains("NUL byte") &&
                                        Catch::Contains("remove it"));
  CHECK_FALSE(HasTable(db, "a"));
  CHECK_FALSE(HasTable(db, "c"));
  CHECK_FALSE(HasTable(db, "d"));
  CHECK_FALSE(HasTable(db, "users"));  // nothing of the plan ran, the seed's revisions neither

  MigctlRun show = daemon.Migctl({"show", "004_hostile"});
  CHECK(show.exit_code != 0);
  CHECK_THAT(show.result().message(), Catch::Contains("NUL byte"));
  // Offline SQL, without a daemon (and without --json, which --sql refuses).
  testing::Process offline({testing::MigctlBinary(), "upgrade", "--sql", "--dialect", db.dialect(),
                            "--migrations", migrations},
                           dir / "offline");
  CHECK(offline.Wait() != 0);
  CHECK_THAT(offline.Stderr(), Catch::Contains("NUL byte"));
  CHECK_THAT(offline.Stdout(), !Catch::Contains("CREATE TABLE a"));
  // Once the byte is gone the same revision runs, with all three tables.
  testing::WriteFile(migrations + "/004_hostile.sql",
                     RevisionWith("CREATE TABLE a(x int);CREATE TABLE c(y int);\n"
                                  "CREATE TABLE d(z int);"));
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK((HasTable(db, "a") && HasTable(db, "c") && HasTable(db, "d")));
}

TEST_CASE("bytes that are not UTF-8 in a script are refused at load with file, line and column",
          "[daemon][files][scripts]") {
  SqliteDatabase db;
  TempDir dir;
  SECTION("in the message") {
    const std::string migrations = testing::SeedMigrationsPlus(
        dir, {{"004_hostile.sql", RevisionWith("CREATE TABLE a(x int);", "caf\xE9 latin-1")}});
    Daemon daemon(dir, "d", db.url(), migrations);
    for (const auto& command :
         std::vector<std::vector<std::string>>{{"status"}, {"heads"}, {"upgrade", "--no-backup"}}) {
      MigctlRun run = daemon.Migctl(command);
      INFO(command[0] << ": " << run.out << run.err);
      CHECK(run.exit_code != 5);  // the daemon's answer always decodes
      CHECK_THAT(run.out + run.err, Catch::Contains("004_hostile.sql:3:16") &&
                                        Catch::Contains("byte 0xE9 is not UTF-8"));
    }
    CHECK_FALSE(HasTable(db, "users"));
  }
  SECTION("in a statement") {
    const std::string migrations = testing::SeedMigrationsPlus(
        dir,
        {{"004_hostile.sql",
          RevisionWith("CREATE TABLE a(x text DEFAULT 'ok');\nINSERT INTO a VALUES ('\xFF');")}});
    Daemon daemon(dir, "d", db.url(), migrations);
    MigctlRun up = daemon.Migctl({"upgrade", "--no-backup"});
    CHECK(up.exit_code != 0);
    CHECK_THAT(up.result().message(), Catch::Contains("004_hostile.sql:7:24"));
    CHECK_FALSE(HasTable(db, "a"));
  }
}

TEST_CASE("a script with a UTF-8 byte order mark runs like any other", "[daemon][files][scripts]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_hostile.sql", "\xEF\xBB\xBF" + RevisionWith("CREATE TABLE a(x int);")}});
  Daemon daemon(dir, "d", db.url(), migrations);
  UpgradeCreatesA(daemon, db);
}

TEST_CASE("anything named like a script that is not a readable regular file is a load error",
          "[daemon][files][scripts]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(dir, {});
  const std::string planted = migrations + "/004_planted.sql";
  std::string expected;
  SECTION("a FIFO") {
    REQUIRE(mkfifo(planted.c_str(), 0600) == 0);
    expected = "a FIFO";
  }
  SECTION("a directory") {
    REQUIRE(mkdir(planted.c_str(), 0700) == 0);
    expected = "a directory";
  }
  SECTION("a dangling symlink") {
    REQUIRE(symlink((dir / "nowhere.sql").c_str(), planted.c_str()) == 0);
    expected = "a symbolic link to nothing";
  }
  SECTION("a symlink to /dev/zero") {
    REQUIRE(symlink("/dev/zero", planted.c_str()) == 0);
    expected = "outside the migrations directory";
  }
  SECTION("a symlink to /etc/shadow") {
    REQUIRE(symlink("/etc/shadow", planted.c_str()) == 0);
    expected = "outside the migrations directory";
  }
  SECTION("a symlink to a regular file outside the tree") {
    testing::WriteFile(dir / "outside.sql", RevisionWith("CREATE TABLE a(x int);"));
    REQUIRE(symlink((dir / "outside.sql").c_str(), planted.c_str()) == 0);
    expected = "outside the migrations directory";
  }
  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun up = daemon.Migctl({"upgrade", "--no-backup"});
  CHECK(up.exit_code != 0);
  CHECK_THAT(up.result().message(), Catch::Contains(planted) && Catch::Contains(expected));
  CHECK_FALSE(HasTable(db, "users"));
  CHECK(daemon.Migctl({"status"}).exit_code != 5);  // the daemon serves on
}

TEST_CASE("a symlink to a script inside the migrations tree is read", "[daemon][files][scripts]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(dir, {});
  fs::create_directory(migrations + "/shared");
  testing::WriteFile(migrations + "/shared/004.txt", RevisionWith("CREATE TABLE a(x int);"));
  REQUIRE(symlink("shared/004.txt", (migrations + "/004_hostile.sql").c_str()) == 0);
  Daemon daemon(dir, "d", db.url(), migrations);
  UpgradeCreatesA(daemon, db);
}

TEST_CASE("a planted script file is noticed by a daemon that already loaded the directory",
          "[daemon][files][scripts]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"heads"}).exit_code == 0);
  REQUIRE(mkfifo((migrations + "/004_planted.sql").c_str(), 0600) == 0);
  MigctlRun up = daemon.Migctl({"upgrade", "--no-backup"});
  CHECK(up.exit_code != 0);
  CHECK_THAT(up.result().message(), Catch::Contains("004_planted.sql: a FIFO"));
}

std::vector<std::string> TempFilesIn(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".tmp-")) names.push_back(name);
  }
  return names;
}

TEST_CASE("text that is not UTF-8 in the database or the backup directory never breaks a reply",
          "[daemon][files][protocol]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string backups = dir / "d-backups";
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", backups});
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  REQUIRE(daemon.Migctl({"backup", "--label", "good"}).exit_code == 0);
  // A manifest whose content is not UTF-8, and one whose file name is not.
  testing::WriteFile(backups + "/latin.manifest.json",
                     "{\"id\": \"latin\", \"kind\": \"manual\", \"label\": \"caf\xE9\"}");
  testing::WriteFile(backups + "/caf\xE9.manifest.json", "{\"id\": \"x\"}");
  // A version row a user wrote by hand, in Latin-1.
  db.Exec("INSERT INTO migrationd_version (revision) VALUES (CAST(X'636166E9' AS TEXT))");

  for (const auto& command : std::vector<std::vector<std::string>>{
           {"backups"}, {"status"}, {"current"}, {"heads"}, {"history"}, {"check"}}) {
    MigctlRun run = daemon.Migctl(command);
    INFO(command[0] << ": " << run.out << run.err);
    CHECK(run.exit_code != 5);  // before: "unparsable frame from the daemon"
    CHECK_THAT(run.err, !Catch::Contains("unparsable"));
  }
  MigctlRun listed = daemon.Migctl({"backups"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.result().backups_size() == 1);
  CHECK_THAT(listed.result().message(), Catch::Contains("latin.manifest.json") &&
                                            Catch::Contains("is not UTF-8") &&
                                            Catch::Contains("caf\\xE9.manifest.json"));
  MigctlRun current = daemon.Migctl({"current"});
  CHECK_THAT(current.out, Catch::Contains("caf\\\\xE9"));  // JSON escapes the backslash
}

// Two daemons on one database share its backup directory (migrationd@NAME instances all use
// /var/lib/migrationd/backups by default; SQLite daemons on one file its backup/db_bak). The
// first one's backup is held in progress by a table lock its pg_dump waits for.
TEST_CASE("a second daemon's start leaves the first daemon's backup in progress alone",
          "[daemon][files][backup]") {
  PostgresDatabase db;
  db.Exec("CREATE TABLE kept(x int); INSERT INTO kept VALUES (1)");
  TempDir dir;
  const std::string backups = dir / "shared-backups";
  Daemon first(dir, "first", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", backups});
  // A leftover of a daemon that died long ago, in the old unowned naming: still removed.
  REQUIRE((mkdir(backups.c_str(), 0700) == 0 || errno == EEXIST));
  testing::WriteFile(backups + "/.tmp-manual-20000101-000000-db.db", "half");

  auto locker = std::make_unique<pqxx::connection>(db.url());
  auto holding = std::make_unique<pqxx::work>(*locker);
  holding->exec("LOCK TABLE kept IN ACCESS EXCLUSIVE MODE");
  testing::Process backup({testing::MigctlBinary(), "--socket", first.socket(), "--json", "backup",
                           "--label", "inflight"},
                          dir / "backup-run");
  auto in_progress = [&] {
    for (const auto& name : TempFilesIn(backups)) {
      if (name.find("inflight") != std::string::npos) return true;
    }
    return false;
  };
  for (int i = 0; i < 500 && !in_progress(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(in_progress());

  Daemon second(dir, "second", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", backups});
  REQUIRE_THAT(second.WaitForLog("backups go to"), Catch::Contains("backups go to"));
  CHECK(in_progress());  // the live daemon's file is still there
  holding->commit();
  holding.reset();

  INFO(backup.Stdout() << backup.Stderr());
  CHECK(backup.Wait() == 0);
  CHECK_THAT(second.Migctl({"backups"}).out, Catch::Contains("inflight"));
  CHECK(TempFilesIn(backups).empty());  // neither the old leftover nor an owner mark is left
}

}  // namespace
}  // namespace migrationd
