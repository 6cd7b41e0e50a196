// Backups end to end: before every migration, verified, restorable to the exact rows and
// revision; consistent under a concurrent writer; no complete-looking file on a full disk;
// retention; the schedule. Real daemons, real SQLite files, the real PostgreSQL and pg_dump.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <thread>

#include "core/base/sha256.h"
#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::List;

constexpr const char* kHead = testing::kSeedHead;

// The files of a backup directory, sorted (".tmp-" leftovers included: there must be none).
std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(dir, ignored)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Rows AdminRows(testing::TestDatabase& db) {
  return db.Query(
      "SELECT u.id, u.username, u.email, u.full_name, s.id, s.script_id, s.content "
      "FROM users u LEFT JOIN group_ai_scripts s ON s.created_by = u.id ORDER BY u.id, s.id");
}

TEMPLATE_TEST_CASE("the backup before a migration restores the exact rows and revision",
                   "[daemon][backup]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  const std::string backups = dir / "d-backups";
  REQUIRE(daemon.Migctl({"upgrade", "002"}).exit_code == 0);
  db.Exec(
      "INSERT INTO users (username, email, password_hash, full_name) VALUES"
      " ('alice', 'a@example.com', 'h1', 'Alice'), ('bob', 'b@example.com', 'h2', NULL);"
      "INSERT INTO group_ai_scripts (script_id, name, content, created_by) VALUES"
      " ('welcome', 'Welcome', 'scene: hello', 1), ('faq', 'FAQ', 'q: ''quoted''', 2);");
  const Rows before = AdminRows(db);
  const auto schema_before = db.SchemaSnapshot();

  MigctlRun up = daemon.Migctl({"upgrade"});
  REQUIRE(up.exit_code == 0);
  REQUIRE(up.result().backups_size() == 1);
  const proto::BackupInfo& backup = up.result().backups(0);
  CHECK(backup.kind() == "before-migrate");
  CHECK(List(backup.revisions()) == std::vector<std::string>{"002_add_indexes"});
  CHECK(backup.verified());
  CHECK_THAT(backup.id(), Catch::Matches("before-migrate-\\d{8}-\\d{6}-[\\w-]+"));
  // The file, its mode, its digest; the manifest beside it; the history rows name it.
  const std::string data = backups + "/" + backup.file();
  struct stat info {};
  REQUIRE(stat(data.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(Sha256Hex(testing::ReadFile(data)) == backup.sha256());
  CHECK(static_cast<int64_t>(info.st_size) == backup.size_bytes());
  CHECK_THAT(testing::ReadFile(backups + "/" + backup.id() + ".manifest.json"),
             Catch::Contains("\"sha256\": \"" + backup.sha256() + "\"") &&
                 Catch::Contains("\"verified\": true"));
  CHECK(db.Query("SELECT DISTINCT backup_id FROM migrationd_history WHERE revision = '" +
                 std::string(kHead) + "'") == Rows{{backup.id()}});

  // Life goes on after the upgrade...
  db.Exec(
      "INSERT INTO users (username, email, password_hash) VALUES ('carol', 'c@x', 'h3');"
      "UPDATE group_ai_scripts SET status = 'approved';"
      "DELETE FROM group_ai_scripts WHERE script_id = 'faq';");
  REQUIRE(AdminRows(db) != before);

  // ... and the restore brings back exactly the rows and the revision of before the upgrade.
  MigctlRun restore = daemon.Migctl({"restore", backup.id()});
  INFO(restore.out << restore.err);
  REQUIRE(restore.exit_code == 0);
  CHECK(AdminRows(db) == before);
  CHECK(db.SchemaSnapshot() == schema_before);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"002_add_indexes"}});
  REQUIRE(restore.result().backups_size() == 2);
  CHECK(restore.result().backups(1).kind() == "before-restore");
  // The audit trail is kept across the restore, and the restore is in it.
  Rows log = db.Query("SELECT direction, revision, backup_id FROM migrationd_history ORDER BY id");
  REQUIRE(log.size() == 5);
  CHECK(log[3] == std::vector<std::string>{"upgrade", kHead, backup.id()});
  CHECK(log[4] == std::vector<std::string>{"restore", "002_add_indexes", backup.id()});

  // Restoring an older revision, then upgrading, reaches head again.
  MigctlRun again = daemon.Migctl({"upgrade"});
  CHECK(again.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  CHECK(daemon.Migctl({"check"}).exit_code == 0);
}

TEMPLATE_TEST_CASE("skipping the backup with --no-backup is recorded in the history",
                   "[daemon][backup]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(FilesIn(dir / "d-backups").empty());
  CHECK(db.Query("SELECT DISTINCT backup_id FROM migrationd_history") ==
        Rows{{"none (--no-backup)"}});
  MigctlRun listed = daemon.Migctl({"backups"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.result().backups().empty());
}

TEST_CASE("a plain-SQL PostgreSQL backup verifies and restores", "[daemon][backup]") {
  PostgresDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--backup-format", "plain"});
  REQUIRE(daemon.Migctl({"upgrade", "001"}).exit_code == 0);
  db.Exec("INSERT INTO users (username, email, password_hash) VALUES ('dora', 'd@x', 'h')");
  const Rows before = AdminRows(db);
  MigctlRun up = daemon.Migctl({"upgrade"});
  REQUIRE(up.exit_code == 0);
  const proto::BackupInfo& backup = up.result().backups(0);
  CHECK(backup.format() == "plain");
  CHECK_THAT(backup.file(), Catch::EndsWith(".sql"));
  CHECK_THAT(testing::ReadFile(dir / "d-backups/" + backup.file()),
             Catch::Contains("CREATE TABLE public.users"));
  db.Exec("DELETE FROM users");
  REQUIRE(daemon.Migctl({"restore", backup.id()}).exit_code == 0);
  CHECK(AdminRows(db) == before);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"001_group_ai"}});
}

// An sslpassword (the passphrase of an encrypted client key) has no libpq environment variable.
// It reaches pg_dump and psql in a private service file, never on their command line, where
// every user on the host could read it with ps. The tools here are wrappers that record what
// they were started with, then run the real ones.
TEST_CASE("an sslpassword reaches pg_dump and psql in a private file, never their command line",
          "[daemon][backup]") {
  PostgresDatabase db;
  TempDir dir;
  const char* real_bin = std::getenv("MIGRATIOND_TEST_PG_BINDIR");
  REQUIRE(real_bin != nullptr);
  const std::string bin = dir / "bin";
  fs::create_directories(bin);
  const std::string seen = dir / "seen";
  for (const char* tool : {"pg_dump", "pg_restore", "psql"}) {
    const std::string wrapper = bin + "/" + tool;
    testing::WriteFile(
        wrapper, std::string("#!/bin/sh\n") + "echo \"" + tool + " $*\" >>" + seen + "\n" +
                     "[ -n \"$PGSERVICEFILE\" ] && stat -c '%a' \"$PGSERVICEFILE\" >>" + seen +
                     " && cat \"$PGSERVICEFILE\" >>" + seen + "\nexec " + real_bin + "/" + tool +
                     " \"$@\"\n");
    REQUIRE(chmod(wrapper.c_str(), 0755) == 0);
  }
  // The test server has no SSL: libpq reads the passphrase and never needs it.
  const std::string config = dir / "migrationd.conf";
  testing::WriteFile(config, "[migrationd]\ndatabase = " + db.url() +
                                 "&sslpassword=keypass-secret\npg_bin_dir = " + bin + "\n");
  REQUIRE(chmod(config.c_str(), 0600) == 0);
  Daemon daemon(dir, "d", "", testing::SeedMigrationsDir(), {"--config", config});
  MigctlRun up = daemon.Migctl({"upgrade", "001"});
  INFO(up.out << up.err << daemon.Log());
  REQUIRE(up.exit_code == 0);
  REQUIRE(daemon.Migctl({"restore", up.result().backups(0).id()}).exit_code == 0);

  const std::string recorded = testing::ReadFile(seen);
  INFO(recorded);
  std::istringstream lines(recorded);
  int connected = 0;  // the tools that connect; `--version` probes do not
  for (std::string line; std::getline(lines, line);) {
    CHECK_THAT(line, !Catch::Contains("sslpassword=keypass") || Catch::StartsWith("sslpassword="));
    if (line.find("--dbname=") == std::string::npos) continue;
    ++connected;
    CHECK_THAT(line, !Catch::Contains("keypass-secret") &&
                         Catch::Contains("service=migrationd-sslpassword"));
  }
  // The backup before the migration, the one before the restore, and the restore's psql.
  CHECK(connected == 3);
  // Each got the passphrase in a file only the daemon's user can read, removed afterwards.
  CHECK_THAT(recorded,
             Catch::Contains("600\n[migrationd-sslpassword]\nsslpassword=keypass-secret"));
  for (const auto& name : FilesIn(dir / "d-backups"))
    CHECK_THAT(name, !Catch::Contains("pgservice"));
}

TEST_CASE("missing pg_dump stops the migration before anything runs", "[daemon][backup]") {
  PostgresDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--pg-bin-dir", dir / "no-tools-here"});
  MigctlRun run = daemon.Migctl({"upgrade"});
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.result().message(), Catch::Contains("pg_dump") &&
                                         Catch::Contains("nothing was migrated") &&
                                         Catch::Contains("--no-backup"));
  CHECK(db.TableColumns().empty());
}

TEMPLATE_TEST_CASE("a full disk leaves no complete-looking backup and no migration",
                   "[daemon][backup]", SqliteDatabase, PostgresDatabase) {
  if (geteuid() != 0) FAIL("this test mounts a small tmpfs and needs root (CI runs as root)");
  TestType db;
  TempDir dir;
  // Enough rows that the backup cannot fit in 64 KiB.
  {
    Daemon setup(dir, "setup", db.url(), testing::SeedMigrationsDir());
    REQUIRE(setup.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  }
  // Random hex: neither pg_dump's compression nor TOAST can shrink it below the limit.
  std::mt19937 random(42);
  for (int i = 0; i < 4; ++i) {
    std::string values;
    for (int j = 0; j < 50; ++j) {
      std::string filler;
      for (int k = 0; k < 2000; ++k) filler.push_back("0123456789abcdef"[random() % 16]);
      int n = i * 50 + j;
      values += std::string(values.empty() ? "" : ",") + "('s" + std::to_string(n) +
                "', 'name', '" + filler + "')";
    }
    db.Exec("INSERT INTO group_ai_scripts (script_id, name, content) VALUES " + values);
  }
  const std::string small = dir / "small";
  fs::create_directory(small);
  REQUIRE(mount("tmpfs", small.c_str(), "tmpfs", 0, "size=64k,mode=0700") == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};

  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--backup-dir", small});
  MigctlRun run = daemon.Migctl({"upgrade"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.result().message(), Catch::Contains("nothing was migrated"));
  CHECK(FilesIn(small).empty());  // neither a data file nor a manifest nor a .tmp- leftover
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"002_add_indexes"}});
  CHECK(db.TableColumns().count("group_ai_script_versions") == 0);
  CHECK(daemon.Migctl({"backups"}).result().backups().empty());
}

TEST_CASE("a SQLite backup taken while another process writes is consistent", "[daemon][backup]") {
  // Both journal modes: rollback (the default) restarts the copy on writes, WAL copies from one
  // snapshot.
  const std::string journal_mode = GENERATE(as<std::string>(), "delete", "wal");
  INFO("journal mode " << journal_mode);
  SqliteDatabase db;
  TempDir dir;
  db.Exec("PRAGMA journal_mode = " + journal_mode);
  db.Exec(
      "CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER, pad TEXT);"
      "CREATE TABLE totals (total INTEGER); INSERT INTO totals VALUES (0);");
  // About 8 MB, so that a backup takes many small steps.
  db.Exec(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000)"
      " INSERT INTO ledger (amount, pad) SELECT 1, randomblob(2000) FROM c;"
      "UPDATE totals SET total = 4000;");

  // The writer: another process, one transaction at a time (about a thousand a second), keeping
  // total == count(ledger).
  pid_t writer = fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    try {
      SQLite::Database write(db.path(), SQLite::OPEN_READWRITE, 10000);
      while (true) {
        SQLite::Transaction tx(write);
        write.exec(
            "INSERT INTO ledger (amount, pad) VALUES (1, randomblob(500));"
            "UPDATE totals SET total = total + 1;");
        tx.commit();
        usleep(500);  // an application under load, not a tight loop that starves every reader
      }
    } catch (...) {
      _exit(1);
    }
  }
  struct StopWriter {
    pid_t pid;
    ~StopWriter() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } stop{writer};

  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--sqlite-backup-pages", "8"});
  const int64_t rows_at_start = std::stoll(db.Query("SELECT total FROM totals")[0][0]);
  for (int i = 0; i < 3; ++i) {
    MigctlRun backup = daemon.Migctl({"backup", "--label", "under_load"});
    INFO(backup.out << backup.err);
    REQUIRE(backup.exit_code == 0);
    const proto::BackupInfo& info = backup.result().backups(0);
    CHECK(info.verified());
    SQLite::Database copy(dir / "d-backups/" + info.file(), SQLite::OPEN_READONLY);
    CHECK(copy.execAndGet("PRAGMA integrity_check").getString() == "ok");
    int64_t count = copy.execAndGet("SELECT count(*) FROM ledger").getInt64();
    int64_t total = copy.execAndGet("SELECT total FROM totals").getInt64();
    CHECK(count == total);
    CHECK(count >= rows_at_start);
  }
  // The writer kept writing through it all.
  CHECK(std::stoll(db.Query("SELECT total FROM totals")[0][0]) > rows_at_start);
}

TEST_CASE("retention deletes exactly the backups the policy does not keep", "[daemon][backup]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--retain-manual-count", "2", "--retain-before-migrate-count", "1",
                 "--retain-scheduled-age", "1s"});
  std::vector<std::string> manual;
  for (const char* label : {"one", "two", "three", "four"}) {
    MigctlRun run = daemon.Migctl({"backup", "--label", label});
    REQUIRE(run.exit_code == 0);
    manual.push_back(run.result().backups(0).id());
  }
  std::vector<std::string> before_migrate;
  for (const char* target : {"000", "001", "002"}) {
    MigctlRun run = daemon.Migctl({"upgrade", target});
    REQUIRE(run.exit_code == 0);
    before_migrate.push_back(run.result().backups(0).id());
  }
  std::vector<std::string> expected;
  for (const auto& id : {manual[2], manual[3], before_migrate[2]}) {
    const std::string ext = ".db";
    expected.push_back(id + ext);
    expected.push_back(id + ".manifest.json");
  }
  std::sort(expected.begin(), expected.end());
  CHECK(FilesIn(dir / "d-backups") == expected);

  // The newest before-migrate backup survives even a rule that would delete it.
  Daemon strict(dir, "strict", db.url(), testing::SeedMigrationsDir(),
                {"--backup-dir", dir / "d-backups", "--retain-before-migrate-age", "1s",
                 "--retain-manual-count", "1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  MigctlRun last = strict.Migctl({"backup", "--label", "five"});
  REQUIRE(last.exit_code == 0);
  expected = {before_migrate[2] + ".db", before_migrate[2] + ".manifest.json",
              last.result().backups(0).id() + ".db",
              last.result().backups(0).id() + ".manifest.json"};
  std::sort(expected.begin(), expected.end());
  CHECK(FilesIn(dir / "d-backups") == expected);
}

TEST_CASE("scheduled backups fire on their interval and a missed one is caught up",
          "[daemon][backup]") {
  SqliteDatabase db;
  TempDir dir;
  {
    Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                  {"--backup-interval", "1s", "--retain-scheduled-count", "0"});
    auto scheduled = [&] {
      int count = 0;
      MigctlRun listed = daemon.Migctl({"backups"});
      for (const auto& b : listed.result().backups()) {
        count += b.kind() == "scheduled";
      }
      return count;
    };
    for (int i = 0; i < 100 && scheduled() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(scheduled() >= 2);
    MigctlRun status = daemon.Migctl({"status"});
    CHECK_FALSE(status.result().status().next_backup().empty());
    CHECK_THAT(status.result().status().last_backup(), Catch::StartsWith("scheduled-"));
    CHECK(daemon.Stop() == 0);
  }
  // A daily schedule: the last scheduled backup is recent, so no catch-up at start...
  const std::string daily_dir = dir / "daily";
  auto start_daily = [&](const std::string& name) {
    return std::make_unique<Daemon>(
        dir, name, db.url(), testing::SeedMigrationsDir(),
        std::vector<std::string>{"--backup-interval", "1d", "--backup-catch-up", "true",
                                 "--backup-dir", daily_dir});
  };
  auto count_files = [&] { return FilesIn(daily_dir).size(); };
  // A backup in progress is a temporary file and its owner's lock file: two files too.
  auto finished = [&] {
    const auto names = FilesIn(daily_dir);
    return names.size() == 2 && std::none_of(names.begin(), names.end(), [](const auto& name) {
             return name.starts_with(".tmp-");
           });
  };
  {
    auto first = start_daily("first");  // nothing there yet: the missed run is taken at start
    for (int i = 0; i < 100 && !finished(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(count_files() == 2);  // one backup: data + manifest
  }
  {
    auto second = start_daily("second");
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    CHECK(count_files() == 2);  // taken less than a day ago: nothing to catch up
    MigctlRun status = second->Migctl({"status"});
    CHECK_FALSE(status.result().status().next_backup().empty());
  }
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// pg_dump takes a share lock on every table; an ACCESS EXCLUSIVE lock held elsewhere used to
// keep `migctl upgrade` at "before-migrate backup ..." for as long as it was held.
TEST_CASE("a pre-migration pg_dump behind a table lock fails in bounded time naming the table",
          "[daemon][backup][postgresql]") {
  PostgresDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--lock-timeout", "1500", "--lock-retries", "1"});
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);

  pqxx::connection locker(db.url());
  pqxx::work holding(locker);
  holding.exec("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
  const std::string holder = "held by pid " + std::to_string(locker.backendpid());
  const auto started = std::chrono::steady_clock::now();
  testing::Process upgrade({testing::MigctlBinary(), "--socket", daemon.socket(), "upgrade"},
                           dir / "upgrade");
  // While it waits, `status` says what for, and who holds it.
  std::string stage;
  CHECK(testing::WaitForStatus(daemon.socket(), [&](const proto::StatusInfo& status) {
    stage = status.job().stage();
    return stage.find("waiting for") != std::string::npos;
  }));
  CHECK_THAT(stage, Catch::StartsWith("backing up: waiting for a lock on table users, " + holder));
  const int exit_code = upgrade.Wait();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  holding.abort();
  const std::string output = upgrade.Stdout() + upgrade.Stderr();
  INFO(output << " after " << seconds << " s");
  CHECK(exit_code == 4);
  CHECK_THAT(output, Catch::Contains("lock on table public.users") &&
                         Catch::Contains("no migration SQL ran"));
  // The client saw the wait as it happened.
  CHECK_THAT(output, Catch::Contains("backing up: waiting for a lock on table users, " + holder));
  // No timing is asserted: on the old code this request never returned (ctest's timeout).
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"002_add_indexes"}});
  // Once the lock is gone the same command works.
  CHECK(daemon.Migctl({"upgrade"}).exit_code == 0);
}

}  // namespace
}  // namespace migrationd
