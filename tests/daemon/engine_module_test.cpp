// PostgreSQL support is a module the programs load on first use (core/db/engine_module.h): a daemon
// for SQLite never maps libpq, one for PostgreSQL does, and a program whose module is missing says
// which file to install instead of failing obscurely.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <type_traits>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

// Whether process `pid` maps a file whose path contains `name`.
bool Maps(pid_t pid, const std::string& name) {
  return testing::ReadFile("/proc/" + std::to_string(pid) + "/maps").find(name) !=
         std::string::npos;
}

TEMPLATE_TEST_CASE("a daemon loads PostgreSQL's client libraries only for PostgreSQL",
                   "[daemon][performance][modules]", SqliteDatabase, PostgresDatabase) {
  const bool postgres = std::is_same_v<TestType, PostgresDatabase>;
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsPlus(dir, {}));
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  REQUIRE(daemon.Migctl({"check"}).exit_code == 0);
  REQUIRE(daemon.Migctl({"backup"}).exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{testing::kSeedHead}});
  CHECK(Maps(daemon.pid(), "lib/migrationd/postgres.so") == postgres);
  CHECK(Maps(daemon.pid(), "libpq.so") == postgres);
  CHECK(Maps(daemon.pid(), "libpqxx") == postgres);
}

TEST_CASE("a program without its PostgreSQL module names the file to install",
          "[daemon][modules]") {
  // The daemon copied alone into a bin/ directory: no ../lib/migrationd/postgres.so beside it.
  PostgresDatabase db;
  TempDir dir;
  std::filesystem::create_directory(dir / "bin");
  const std::string lonely = dir / "bin/migrationd";
  std::filesystem::copy_file(testing::MigrationdBinary(), lonely);
  const std::string migrations = testing::SeedMigrationsPlus(dir, {});
  const std::string expected_path = (dir.path() / "lib/migrationd/postgres.so").string();

  testing::Process verify({lonely, "--verify", "--database", db.url(), "--migrations", migrations},
                          dir / "verify");
  CHECK(verify.Wait() == 1);
  CHECK_THAT(verify.Stderr(), Catch::Contains("PostgreSQL support cannot be loaded") &&
                                  Catch::Contains(expected_path) &&
                                  Catch::Contains("install the migrationd package again"));

  // A daemon started anyway keeps answering, and refuses what needs the database with the
  // same message.
  const std::string socket = dir / "d.sock";
  testing::Process daemon({lonely, "--database", db.url(), "--migrations", migrations, "--socket",
                           socket, "--backup-dir", dir / "backups"},
                          dir / "d");
  for (int i = 0; i < 500 && access(socket.c_str(), F_OK) != 0; ++i) {
    REQUIRE(daemon.Running());
    usleep(10'000);
  }
  MigctlRun upgrade = testing::RunMigctl(socket, {"upgrade", "--no-backup"});
  CHECK(upgrade.exit_code != 0);
  CHECK_THAT(upgrade.err + upgrade.out, Catch::Contains("PostgreSQL support cannot be loaded") &&
                                            Catch::Contains(expected_path));
  CHECK(daemon.Running());
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait() == 0);
}

}  // namespace
}  // namespace migrationd
