// Restores and backups under faults, on the real PostgreSQL with the real pg_dump, pg_restore
// and psql: a schema of many views, the daemon killed in the middle of a restore, a cancel while
// pg_dump runs.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::Process;

// Processes running `program` (pg_dump, psql ...) on the database `database`: other tests
// running in parallel have their own databases.
std::vector<pid_t> ProcessesNamed(const std::string& program, const std::string& database) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string all;
    try {
      std::ifstream cmdline(entry.path() / "cmdline");
      all.assign(std::istreambuf_iterator<char>(cmdline), std::istreambuf_iterator<char>());
    } catch (const std::ios_base::failure&) {
      continue;  // the process ended between the listing and the read (ESRCH)
    }
    std::string argv0 = all.substr(0, all.find('\0'));
    if (fs::path(argv0).filename() == program &&
        all.find("/" + database + "?") != std::string::npos) {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

bool WaitUntil(const std::function<bool()>& predicate, double seconds) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return predicate();
}

TEST_CASE("PostgreSQL: a schema with many views restores", "[daemon][faults][restore]") {
  PostgresDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  // Views on views, so that dropping one cascades to others still in the list.
  db.Exec("CREATE VIEW v00 AS SELECT id, username FROM users");
  for (int i = 1; i < 12; ++i) {
    char sql[96];
    std::snprintf(sql, sizeof(sql), "CREATE VIEW v%02d AS SELECT * FROM v%02d", i, i - 1);
    db.Exec(sql);
  }
  db.Exec("INSERT INTO users (username, email, password_hash) VALUES ('erin', 'e@x', 'h')");
  MigctlRun backup = daemon.Migctl({"backup"});
  REQUIRE(backup.exit_code == 0);
  db.Exec("DELETE FROM users");

  MigctlRun restore = daemon.Migctl({"restore", backup.result().backups(0).id()});
  INFO(restore.out << restore.err);
  CHECK(restore.exit_code == 0);
  CHECK(db.Query("SELECT username FROM v11") == Rows{{"erin"}});
  CHECK(db.Query("SELECT count(*) FROM pg_views WHERE schemaname = 'public'") == Rows{{"12"}});
}

TEST_CASE("PostgreSQL: a daemon killed during a restore leaves no psql behind to commit it",
          "[daemon][faults][restore]") {
  PostgresDatabase db;
  TempDir dir;
  const std::string name = db.Query("SELECT current_database()")[0][0];
  std::string backup_id;
  Rows before_restore;
  {
    Daemon daemon(dir, "victim", db.url(), testing::SeedMigrationsDir());
    REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
    // Enough rows that the restore's psql runs for a while.
    db.Exec(
        "CREATE TABLE bulk AS SELECT g AS id, repeat(md5(g::text), 8) AS filler"
        " FROM generate_series(1, 400000) g");
    MigctlRun backup = daemon.Migctl({"backup"});
    REQUIRE(backup.exit_code == 0);
    backup_id = backup.result().backups(0).id();
    db.Exec("DELETE FROM bulk WHERE id > 10");
    before_restore = db.Query("SELECT count(*) FROM bulk");

    Process restoring(
        {testing::MigctlBinary(), "--socket", daemon.socket(), "--json", "restore", backup_id},
        dir / "restoring");
    REQUIRE(WaitUntil([&] { return !ProcessesNamed("psql", name).empty(); }, 60));
    // The restore's intermediate file holds a full copy of the data: private.
    bool private_files = true;
    for (const auto& entry : fs::directory_iterator(dir / "victim-backups")) {
      struct stat info {};
      if (lstat(entry.path().c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
        private_files = false;
      }
    }
    CHECK(private_files);
    daemon.Kill();
    CHECK(restoring.Wait() == 5);
  }
  // psql died with the daemon (it would otherwise commit a restore no lock protects).
  CHECK(WaitUntil([&] { return ProcessesNamed("psql", name).empty(); }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(db.Query("SELECT count(*) FROM bulk") == before_restore);
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE direction = 'restore'") ==
        Rows{{"0"}});

  // A new daemon removes the leftovers at start and can restore for real.
  Daemon restarted(dir, "restarted", db.url(), testing::SeedMigrationsDir(),
                   {"--backup-dir", dir / "victim-backups"});
  for (const auto& entry : fs::directory_iterator(dir / "victim-backups")) {
    CHECK_FALSE(entry.path().filename().string().starts_with(".tmp-"));
  }
  MigctlRun restore = restarted.Migctl({"restore", backup_id});
  CHECK(restore.exit_code == 0);
  CHECK(db.Query("SELECT count(*) FROM bulk") == Rows{{"400000"}});
}

TEST_CASE("PostgreSQL: cancel stops a running pg_dump promptly", "[daemon][faults][restore]") {
  PostgresDatabase db;
  TempDir dir;
  const std::string name = db.Query("SELECT current_database()")[0][0];
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  // pg_dump waits for this table's lock (ACCESS EXCLUSIVE, held open), so it runs until stopped.
  pqxx::connection blocker(db.url());
  pqxx::work hold(blocker);
  hold.exec("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");

  Process backing_up({testing::MigctlBinary(), "--socket", daemon.socket(), "--json", "backup"},
                     dir / "backup");
  REQUIRE(WaitUntil([&] { return !ProcessesNamed("pg_dump", name).empty(); }, 30));
  auto asked = std::chrono::steady_clock::now();
  CHECK(daemon.Migctl({"cancel"}).exit_code == 0);
  CHECK(backing_up.Wait() == 1);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  CHECK(seconds < 5);  // a bound on liveness, not a performance figure
  CHECK_THAT(backing_up.Stdout(), Catch::Contains("cancelled"));
  CHECK(ProcessesNamed("pg_dump", name).empty());
  hold.abort();
  CHECK(daemon.Migctl({"backups"}).result().backups_size() == 0);
  CHECK(daemon.Migctl({"backup"}).exit_code == 0);
}

}  // namespace
}  // namespace migrationd
