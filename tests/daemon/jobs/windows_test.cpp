// Maintenance windows end to end: a real daemon with windows computed from the clock (in UTC,
// to the second), real migctl runs, the version rows and history in the real database.
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

constexpr const char* kHead = testing::kSeedHead;

// The UTC time of day `offset` seconds from now, as HH:MM:SS.
std::string UtcClock(std::chrono::seconds offset) {
  const std::time_t at =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm utc{};
  gmtime_r(&at, &utc);
  char text[16];
  std::strftime(text, sizeof(text), "%H:%M:%S", &utc);
  return text;
}

// A daily window from `from` to `to` seconds from now.
std::string WindowFromNow(int from, int to) {
  return UtcClock(std::chrono::seconds(from)) + ".." + UtcClock(std::chrono::seconds(to)) + " UTC";
}

std::vector<std::string> Current(const Daemon& daemon) {
  MigctlRun current = daemon.Migctl({"current"});
  REQUIRE(current.exit_code == 0);
  return testing::List(current.result().current());
}

TEMPLATE_TEST_CASE(
    "outside every window a schema change is refused with exit 8 and --force runs it",
    "[daemon][windows]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  // Opens in two hours, for an hour: closed now.
  const std::string window = WindowFromNow(2 * 3600, 3 * 3600);
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--maintenance-window", window});

  MigctlRun refused = daemon.Migctl({"upgrade"});
  CHECK(refused.exit_code == 8);
  CHECK_THAT(refused.result().message(), Catch::Contains("outside the maintenance windows (" +
                                                         window + "): the next one opens at"));
  CHECK_THAT(refused.result().message(),
             Catch::Contains("--in-window") && Catch::Contains("--force"));
  CHECK(Current(daemon).empty());
  for (const char* command : {"stamp", "downgrade"}) {
    CHECK(daemon.Migctl({command, "base"}).exit_code == 8);
  }
  CHECK(daemon.Migctl({"repair", "--reason", "x"}).exit_code == 8);

  // Previews and backups are not schema changes: any time.
  CHECK(daemon.Migctl({"upgrade", "--dry-run"}).exit_code == 0);
  MigctlRun backup = daemon.Migctl({"backup"});
  CHECK(backup.exit_code == 0);
  CHECK(daemon.Migctl({"backup", "--force"}).exit_code == 2);  // nothing to force

  MigctlRun status = daemon.Migctl({"status"});
  REQUIRE(status.exit_code == 0);
  CHECK_FALSE(status.result().status().window_open());
  CHECK(testing::List(status.result().status().maintenance_windows()) ==
        std::vector<std::string>{window});
  CHECK_FALSE(status.result().status().next_window_opens_at().empty());
  CHECK(status.result().status().window_closes_at().empty());

  MigctlRun forced = daemon.Migctl({"upgrade", "--force"});
  CHECK(forced.exit_code == 0);
  CHECK(Current(daemon) == std::vector<std::string>{kHead});
  CHECK(db.Query("SELECT revision, outcome, error FROM migrationd_history WHERE direction = "
                 "'force'") ==
        Rows{{"upgrade head", "success",
              "run outside the maintenance windows (" + window + ") with --force"}});
  MigctlRun log = daemon.Migctl({"log"});
  REQUIRE(log.exit_code == 0);
  bool logged = false;
  for (const auto& entry : log.result().log()) logged |= entry.direction() == "force";
  CHECK(logged);
}

TEST_CASE(
    "a job queued with --in-window runs when its window opens, status shows it and cancel removes "
    "it",
    "[daemon][windows]") {
  SqliteDatabase db;
  TempDir dir;
  // Opens in 6 seconds, for ten minutes.
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--maintenance-window", WindowFromNow(6, 600)});

  MigctlRun queued = daemon.Migctl({"upgrade", "--in-window"});
  REQUIRE(queued.exit_code == 0);
  CHECK_THAT(queued.result().message(), Catch::Contains("queued as job") &&
                                            Catch::Contains("runs when the maintenance window"));
  MigctlRun second = daemon.Migctl({"upgrade", "001", "--in-window"});
  REQUIRE(second.exit_code == 0);

  MigctlRun status = daemon.Migctl({"status"});
  REQUIRE(status.exit_code == 0);
  const auto& info = status.result().status();
  CHECK_FALSE(info.window_open());
  REQUIRE(info.waiting_size() == 2);
  CHECK(info.waiting(0).request() == "upgrade head");
  CHECK(info.waiting(0).scheduled_for() == info.next_window_opens_at());
  CHECK(daemon.Migctl({"status"}).out.find("waiting") != std::string::npos);

  // A job waiting for its window is in no one's way: a backup runs now.
  CHECK(daemon.Migctl({"backup"}).exit_code == 0);
  // With two waiting and none running, cancel needs the id.
  CHECK(daemon.Migctl({"cancel"}).exit_code == 2);
  MigctlRun cancelled = daemon.Migctl({"cancel", std::to_string(info.waiting(1).job_id())});
  CHECK(cancelled.exit_code == 0);
  CHECK_THAT(cancelled.result().message(), Catch::Contains("removed 'upgrade 001'"));
  CHECK(daemon.Migctl({"status"}).result().status().waiting_size() == 1);
  CHECK(Current(daemon).empty());

  // The window opens: the job runs, requested by the test's user.
  CHECK(testing::WaitForStatus(
      daemon.socket(),
      [](const proto::StatusInfo& s) {
        return s.current_size() == 1 && s.current(0) == kHead && !s.has_job();
      },
      30));
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE direction = 'upgrade' AND "
                 "outcome = 'success'") == Rows{{"4"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE direction = 'force'") ==
        Rows{{"0"}});
  CHECK_THAT(daemon.Log(), Catch::Contains("waits for the maintenance window"));
  CHECK(daemon.Migctl({"status"}).result().status().window_open());
}

TEST_CASE("a job that outlives its window stops between revisions, not inside one",
          "[daemon][windows]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kHead, 8)},
            {"005_after.sql",
             "-- revision: 005_after\n-- parents: 004_slow\n-- message: after\n"
             "-- +upgrade\nCREATE TABLE after_slow (id INTEGER);\n"
             "-- +downgrade\nDROP TABLE after_slow;\n"}});
  // Open since a minute ago, closes in 6 seconds: 004 runs past the close.
  Daemon daemon(dir, "d", db.url(), migrations, {"--maintenance-window", WindowFromNow(-60, 6)});

  MigctlRun upgrade = daemon.Migctl({"upgrade", "--no-backup"});
  CHECK(upgrade.exit_code == 8);
  CHECK_THAT(upgrade.result().message(),
             Catch::Contains("the maintenance window closed at") &&
                 Catch::Contains("stopped between revisions, before '005_after'"));
  // 004 was not cut short: it committed whole; 005 never started.
  CHECK(Current(daemon) == std::vector<std::string>{"004_slow"});
  CHECK(db.Query("SELECT count(*) FROM sqlite_master WHERE name = 'slow_marker'") == Rows{{"1"}});
  CHECK(db.Query("SELECT count(*) FROM sqlite_master WHERE name = 'after_slow'") == Rows{{"0"}});
  CHECK(db.Query("SELECT revision, outcome FROM migrationd_history ORDER BY id DESC LIMIT 1") ==
        Rows{{"005_after", "stopped"}});
}

TEST_CASE("a malformed maintenance window is refused at start with the column named",
          "[daemon][windows]") {
  TempDir dir;
  const std::string config = dir / "bad.conf";
  testing::WriteFile(config, "[migrationd]\ndatabase = sqlite://" + std::string(dir / "x.db") +
                                 "\nmigrations = " + testing::SeedMigrationsDir() +
                                 "\nmaintenance_window = Sat,Sun 02:00..04:00 UTC\n"
                                 "maintenance_window = Mon..Fri 22:00..2:00\n");
  testing::Process bad({testing::MigrationdBinary(), "--check-config", "--config", config},
                       dir / "bad");
  CHECK(bad.Wait() == 2);
  CHECK_THAT(bad.Stderr(),
             Catch::Contains(config + ":5") && Catch::Contains("column 17: '2:00' is not a time"));
  testing::Process flag({testing::MigrationdBinary(), "--check-config", "--database",
                         "sqlite://" + std::string(dir / "x.db"), "--migrations",
                         testing::SeedMigrationsDir(), "--maintenance-window", "Sat 02:00"},
                        dir / "flag");
  CHECK(flag.Wait() == 2);
  CHECK_THAT(flag.Stderr(), Catch::Contains("--maintenance-window") &&
                                Catch::Contains("column 10: expected '..'"));
}

}  // namespace
}  // namespace migrationd
