// Signals do what operators expect: SIGHUP re-reads the configuration and never ends the
// daemon (mid-migration included); Ctrl-C on migctl leaves the job running and says so.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::Process;

constexpr const char* kHead = testing::kSeedHead;

void WriteConfig(const std::string& path, const std::string& db_url, const std::string& extra) {
  testing::WriteFile(path, "[migrationd]\ndatabase = " + db_url + "\n" + extra);
}

bool LogContains(const Daemon& daemon, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    if (daemon.Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_CASE("SIGHUP mid-migration re-reads the configuration and the migration finishes",
          "[daemon][signals]") {
  if (geteuid() != 0) FAIL("this test switches uid and needs root (CI runs as root)");
  SqliteDatabase db;
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  const std::string config = dir / "migrationd.conf";
  WriteConfig(config, db.url(), "log_level = info\n");
  std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kHead, 2)}});
  Daemon daemon(dir, "d", "", migrations, {"--config", config, "--socket-mode", "0666"});
  CHECK(daemon.Migctl({"backup"}, 65534).exit_code == 6);  // not an admin yet

  Process upgrade({testing::MigctlBinary(), "--socket", daemon.socket(), "upgrade"},
                  dir / "upgrade");
  REQUIRE(testing::WaitForStatus(daemon.socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().revision() == "004_slow";
  }));
  WriteConfig(config, db.url(),
              "log_level = debug\nadmin_groups = nogroup\nsocket_group = nogroup\n"
              "lock_timeout = 100\n");
  REQUIRE(kill(daemon.pid(), SIGHUP) == 0);
  // Every setting that changed, with its old and new value.
  CHECK(LogContains(daemon,
                    "reload: applied 3 change(s): admin_groups (unset) -> nogroup; lock_timeout "
                    "1000 -> 100; log_level info -> debug"));
  CHECK(LogContains(daemon,
                    "'socket_group' changed ((unset) -> nogroup); it takes effect at the next "
                    "restart"));
  CHECK(upgrade.Wait() == 0);
  // log_level = debug gives debug lines: the job's steps and the connections.
  CHECK(LogContains(daemon, "debug job"));
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
  CHECK(LogContains(daemon, "debug connection from root"));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
  // The new admin group is in force.
  CHECK(daemon.Migctl({"backup"}, 65534).exit_code == 0);

  // A broken file is refused; the daemon keeps the configuration it runs with.
  testing::WriteFile(config, "[migrationd]\nno_such_key = 1\n");
  REQUIRE(kill(daemon.pid(), SIGHUP) == 0);
  CHECK(LogContains(daemon, "reload (SIGHUP) refused"));
  CHECK(LogContains(daemon, "no_such_key"));
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
  CHECK(daemon.Migctl({"backup"}, 65534).exit_code == 0);
}

TEST_CASE("a FIFO or a directory as the configuration is refused by name, on SIGHUP too",
          "[daemon][signals]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string config = dir / "migrationd.conf";
  WriteConfig(config, db.url(), "");
  Daemon daemon(dir, "d", "", testing::SeedMigrationsDir(), {"--config", config});

  // Swapped for a FIFO nobody writes: the reload must not block the daemon in open().
  REQUIRE(unlink(config.c_str()) == 0);
  REQUIRE(mkfifo(config.c_str(), 0600) == 0);
  REQUIRE(kill(daemon.pid(), SIGHUP) == 0);
  CHECK(LogContains(daemon, "reload (SIGHUP) refused"));
  CHECK_THAT(daemon.Log(), Catch::Contains(config) && Catch::Contains("not a regular file"));
  CHECK(daemon.Migctl({"status"}).exit_code == 0);  // answered: the main thread is free

  // A directory at start: said so, not "no database".
  const std::string directory = dir / "conf.d";
  REQUIRE(mkdir(directory.c_str(), 0700) == 0);
  Process started({testing::MigrationdBinary(), "--config", directory, "--socket", dir / "e.sock"},
                  dir / "e");
  CHECK(started.Wait() == 2);
  CHECK_THAT(started.Stderr(), Catch::Contains(directory) && Catch::Contains("is a directory"));
  CHECK_THAT(started.Stderr(), !Catch::Contains("no database"));
}

TEST_CASE("an unknown log level is refused at start with the accepted values",
          "[daemon][signals]") {
  SqliteDatabase db;
  TempDir dir;
  Process daemon(
      {testing::MigrationdBinary(), "--database", db.url(), "--migrations",
       testing::SeedMigrationsDir(), "--socket", dir / "d.sock", "--log-level", "verbose"},
      dir / "d");
  CHECK(daemon.Wait() == 2);
  CHECK_THAT(daemon.Stderr(), Catch::Contains("'verbose' is unknown") &&
                                  Catch::Contains("trace, debug, info, warn, error"));
}

TEST_CASE("Ctrl-C on migctl leaves the job running in the daemon and says how to stop it",
          "[daemon][signals]") {
  SqliteDatabase db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kHead, 1)}});
  Daemon daemon(dir, "d", db.url(), migrations);
  Process upgrade({testing::MigctlBinary(), "--socket", daemon.socket(), "upgrade"},
                  dir / "upgrade");
  REQUIRE(testing::WaitForStatus(daemon.socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().revision() == "004_slow";
  }));
  upgrade.Signal(SIGINT);
  CHECK(upgrade.Wait() == 130);
  CHECK_THAT(upgrade.Stderr(), Catch::Contains("the job continues in migrationd") &&
                                   Catch::Contains("migctl cancel"));
  // The daemon finishes the job.
  INFO("daemon log:\n" << daemon.Log());
  // Generous: under TSan's malloc interception the 1 s revision takes about 12 s.
  CHECK(testing::WaitForStatus(
      daemon.socket(),
      [](const proto::StatusInfo& status) { return !status.has_job() && status.pending() == 0; },
      120));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
}

}  // namespace
}  // namespace migrationd
