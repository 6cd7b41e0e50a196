// Reads never wait on a migration: while the daemon's own job runs, status, current, heads and
// check answer from the state the job keeps; and the scripts directory is parsed again only
// when one of its files changed.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHead = testing::kSeedHead;

// A SQLite revision that writes far more than the page cache holds (so the writer spills and
// takes the EXCLUSIVE lock readers cannot pass), then keeps computing for about `seconds`.
std::string LockingRevision(int seconds) {
  return std::string("-- revision: 004_locking\n-- parents: ") + kHead +
         "\n-- message: holds the database locked\n-- +upgrade\n"
         "CREATE TABLE bulk (payload BLOB);\n"
         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)"
         " INSERT INTO bulk SELECT randomblob(1000) FROM c;\n" +
         testing::SqliteBusyStatement(seconds) + "\n-- +downgrade\nDROP TABLE bulk;\n";
}

// `upgrade` of 004_locking started, once the revision holds the EXCLUSIVE lock.
std::unique_ptr<testing::Process> StartLockingUpgrade(const Daemon& daemon, const TempDir& dir) {
  auto upgrade = std::make_unique<testing::Process>(
      std::vector<std::string>{testing::MigctlBinary(), "--socket", daemon.socket(), "upgrade",
                               "--no-backup"},
      dir / "upgrade");
  REQUIRE(testing::WaitForStatus(daemon.socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().revision() == "004_locking";
  }));
  // The bulk insert has spilled by now; the count runs with the EXCLUSIVE lock held.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  return upgrade;
}

TEST_CASE("status, current, heads and check answer while a revision holds SQLite locked",
          "[daemon][reads]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_locking.sql", LockingRevision(6)}});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);

  auto running = StartLockingUpgrade(daemon, dir);
  testing::Process& upgrade = *running;

  MigctlRun status = daemon.Migctl({"status"});
  MigctlRun current = daemon.Migctl({"current"});
  MigctlRun heads = daemon.Migctl({"heads"});
  MigctlRun check = daemon.Migctl({"check"});
  // All four were answered while the revision still runs: none waited for its commit.
  CHECK(upgrade.Running());

  INFO(status.out << status.err);
  REQUIRE(status.exit_code == 0);
  const proto::StatusInfo& info = status.result().status();
  CHECK(info.error().empty());
  CHECK(info.from_job_state());
  CHECK(testing::List(info.current()) == std::vector<std::string>{kHead});
  CHECK(info.pending() == 1);
  CHECK(info.job().revision() == "004_locking");
  // The job and the lock agree: this daemon's job holds it.
  CHECK(info.lock().held());
  CHECK(info.lock().daemon_pid() == daemon.pid());
  CHECK_THAT(info.lock().request(), Catch::Contains("upgrade"));

  INFO(current.out << current.err);
  CHECK(current.exit_code == 0);
  CHECK(testing::List(current.result().current()) == std::vector<std::string>{kHead});
  CHECK(heads.exit_code == 0);
  REQUIRE(heads.result().revisions_size() == 1);
  CHECK_FALSE(heads.result().revisions(0).applied());
  INFO(check.out << check.err);
  CHECK(check.exit_code == 3);  // not at head yet: 004 is pending until it commits

  REQUIRE(upgrade.Wait() == 0);
  MigctlRun after = daemon.Migctl({"status"});
  CHECK_FALSE(after.result().status().from_job_state());
  CHECK(testing::List(after.result().status().current()) ==
        std::vector<std::string>{"004_locking"});
  CHECK(daemon.Migctl({"check"}).exit_code == 0);
}

// Another daemon (another host's health check) cannot answer from the job's state: its reads
// wait their bound behind the write lock, then say the database is being migrated and by whom,
// never "base". `log` on the migrating daemon reads the history table the same way.
TEST_CASE("reads that wait out a migration's SQLite write lock say so and name the migrator",
          "[daemon][reads]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"004_locking.sql", LockingRevision(11)}});
  Daemon daemon(dir, "d", db.url(), migrations);
  Daemon other(dir, "other", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", kHead, "--no-backup"}).exit_code == 0);

  auto running = StartLockingUpgrade(daemon, dir);
  testing::Process& upgrade = *running;
  // Side by side: each waits its bound (1.5 s per read) behind the lock.
  auto start = [&](const std::string& socket, const std::string& command, bool json = true) {
    std::vector<std::string> argv{testing::MigctlBinary(), "--socket", socket};
    if (json) argv.push_back("--json");
    argv.push_back(command);
    return std::make_unique<testing::Process>(argv,
                                              dir / ("read-" + command + (json ? "" : "-text")));
  };
  const auto asked = std::chrono::steady_clock::now();
  auto status = start(other.socket(), "status");
  auto status_text = start(other.socket(), "status", false);
  auto check = start(other.socket(), "check");
  auto log = start(daemon.socket(), "log");
  // Wait() before reading the output: arguments are evaluated in no fixed order.
  auto finish = [](testing::Process& process) {
    const int code = process.Wait();
    return testing::ParseMigctl(code, process.Stdout(), process.Stderr());
  };
  MigctlRun status_run = finish(*status);
  MigctlRun check_run = finish(*check);
  MigctlRun log_run = finish(*log);
  const auto answered = std::chrono::steady_clock::now();
  INFO("reads took " << std::chrono::duration<double>(answered - asked).count() << " s");
  REQUIRE(upgrade.Running());  // all answered while the revision still ran

  INFO(status_run.out << status_run.err);
  CHECK(status_run.exit_code == 0);
  const proto::StatusInfo& info = status_run.result().status();
  CHECK(info.current().empty());  // not read, and not reported as base either:
  CHECK_THAT(info.error(), Catch::Contains("being migrated by") &&
                               Catch::Contains("pid " + std::to_string(daemon.pid())));
  CHECK(status_text->Wait() == 0);
  CHECK_THAT(status_text->Stdout(),
             Catch::Contains("current:    unknown") && !Catch::Contains("base (nothing applied)"));
  INFO(check_run.out << check_run.err);
  CHECK(check_run.exit_code == 4);
  CHECK_THAT(check_run.result().message(), Catch::Contains("being migrated"));
  INFO(log_run.out << log_run.err);
  CHECK(log_run.exit_code == 4);
  CHECK_THAT(log_run.result().message(), Catch::Contains("being migrated"));

  REQUIRE(upgrade.Wait() == 0);
  CHECK(testing::List(other.Migctl({"status"}).result().status().current()) ==
        std::vector<std::string>{"004_locking"});
}

void AgeFiles(const std::string& directory) {
  for (const auto& entry : fs::directory_iterator(directory)) {
    fs::last_write_time(entry.path(), fs::file_time_type::clock::now() - std::chrono::hours(1));
  }
}

std::string ScriptsLoadedAt(const Daemon& daemon) {
  MigctlRun status = daemon.Migctl({"status"});
  REQUIRE(status.exit_code == 0);
  return status.result().status().scripts_loaded_at();
}

TEST_CASE("the scripts directory is parsed again only when a file changed", "[daemon][reads]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(dir, {});
  AgeFiles(migrations);
  Daemon daemon(dir, "d", db.url(), migrations);
  const std::string first = ScriptsLoadedAt(daemon);
  REQUIRE_FALSE(first.empty());
  CHECK(daemon.Migctl({"check"}).exit_code == 3);
  CHECK(daemon.Migctl({"heads"}).exit_code == 0);
  CHECK(ScriptsLoadedAt(daemon) == first);  // unchanged files: no parse

  // A deployed revision is seen by the next request, without a restart.
  testing::WriteFile(migrations + "/004_more.sql",
                     std::string("-- revision: 004_more\n-- parents: ") + kHead +
                         "\n-- +upgrade\nCREATE TABLE more (id INTEGER);\n"
                         "-- +downgrade\nDROP TABLE more;\n");
  MigctlRun heads = daemon.Migctl({"heads"});
  REQUIRE(heads.exit_code == 0);
  CHECK(testing::List(heads.result().heads()) == std::vector<std::string>{"004_more"});
  const std::string second = ScriptsLoadedAt(daemon);
  CHECK(second != first);

  // An edit (same size, new mtime) is seen too; a removed file as well.
  AgeFiles(migrations);
  testing::WriteFile(migrations + "/004_more.sql",
                     std::string("-- revision: 004_more\n-- parents: ") + kHead +
                         "\n-- +upgrade\nCREATE TABLE mora (id INTEGER);\n"
                         "-- +downgrade\nDROP TABLE mora;\n");
  MigctlRun show = daemon.Migctl({"show", "004_more"});
  CHECK_THAT(show.result().revisions(0).upgrade_sql(), Catch::Contains("mora"));
  fs::remove(migrations + "/004_more.sql");
  CHECK(testing::List(daemon.Migctl({"heads"}).result().heads()) ==
        std::vector<std::string>{kHead});
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// Reads borrow kept connections (daemon/requests/reader_connections.h): one kept across a replaced
// or removed database file would go on reading the old file.
TEST_CASE("reads kept on an open connection follow a SQLite file replaced or removed",
          "[daemon][reads]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  auto current = [&] { return testing::List(daemon.Migctl({"current"}).result().current()); };
  for (int i = 0; i < 3; ++i) CHECK(current() == std::vector<std::string>{kHead});

  // Another database at 001 put in its place by rename (what a copy-and-swap restore does).
  SqliteDatabase other;
  Daemon other_daemon(dir, "other", other.url(), testing::SeedMigrationsDir());
  REQUIRE(other_daemon.Migctl({"upgrade", "001", "--no-backup"}).exit_code == 0);
  fs::rename(other.path(), db.path());
  CHECK(current() == std::vector<std::string>{"001_group_ai"});
  CHECK(daemon.Migctl({"status"}).result().status().pending() == 2);

  // Removed: it reads as empty (and is not created), as on a first read.
  fs::remove(db.path());
  CHECK(current().empty());
  CHECK_FALSE(fs::exists(db.path()));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("a kept PostgreSQL read session that the server ended is replaced", "[daemon][reads]") {
  PostgresDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  REQUIRE(daemon.Migctl({"status"}).exit_code == 0);
  // The daemon keeps its read session: ending it (a server restart, idle_session_timeout,
  // an administrator) must not fail the next requests.
  const Rows ended = db.Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
      " AND pid <> pg_backend_pid()");
  REQUIRE_FALSE(ended.empty());
  for (int i = 0; i < 3; ++i) {
    MigctlRun status = daemon.Migctl({"status"});
    CHECK(status.exit_code == 0);
    CHECK(status.result().status().error().empty());
    CHECK(testing::List(status.result().status().current()) == std::vector<std::string>{kHead});
  }
}

}  // namespace
}  // namespace migrationd
