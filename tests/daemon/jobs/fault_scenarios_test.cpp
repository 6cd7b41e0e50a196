// Faults from outside the daemon: SIGKILL at random moments of a long upgrade, the PostgreSQL
// server restarted under it, a full disk under the SQLite database, a lock holder frozen with
// SIGSTOP. After each: no half-applied revision, no revision applied twice, every attempt in
// the history, and the next upgrade finishes the job.
//
// MIGRATIOND_KILL_TRIALS sets the SIGKILL trials per engine (CI: 6; `scripts/faults` runs 200).
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::List;
using testing::Process;

using testing::kSeedHead;

std::string ChainId(int i) {
  char id[32];
  std::snprintf(id, sizeof(id), "2%02d_step", i);
  return id;
}

// `count` revisions after the seed's head; each creates a table and fills it a little, so a
// revision takes a few milliseconds: a random kill lands inside one as often as between two.
std::string Chain(const TempDir& dir, int count) {
  std::vector<std::pair<std::string, std::string>> extra;
  std::string parent = kSeedHead;
  for (int i = 1; i <= count; ++i) {
    std::string id = ChainId(i);
    extra.emplace_back(
        id + ".sql",
        "-- revision: " + id + "\n-- parents: " + parent + "\n-- +upgrade\nCREATE TABLE t_" + id +
            " (id INTEGER PRIMARY KEY, v TEXT);\n"
            "-- +upgrade sqlite\nCREATE TABLE t_" +
            id +
            " (id INTEGER PRIMARY KEY, v TEXT);\n"
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)"
            " INSERT INTO t_" +
            id +
            " SELECT x, 'row' FROM c;\n"
            "-- +upgrade postgresql\nCREATE TABLE t_" +
            id +
            " (id INTEGER PRIMARY KEY, v TEXT);\n"
            "INSERT INTO t_" +
            id +
            " SELECT g, 'row' FROM generate_series(1, 2000) g;\n"
            "-- +downgrade\nDROP TABLE t_" +
            id + ";\n");
    parent = id;
  }
  return testing::SeedMigrationsPlus(dir, extra);
}

// The database is exactly at some revision of the chain: the version row, the tables and the
// history agree, and nothing was applied twice. Returns how many chain revisions are applied.
int CheckConsistent(testing::TestDatabase& db, int count) {
  Rows version = db.Query("SELECT revision FROM migrationd_version");
  REQUIRE(version.size() == 1);
  int applied = 0;
  for (int i = 1; i <= count; ++i) {
    if (version[0][0] >= ChainId(i) && version[0][0].starts_with("2")) applied = i;
  }
  auto tables = db.TableColumns();
  // Successful upgrades minus successful downgrades: 1 for an applied revision, else 0.
  std::map<std::string, std::string> net;
  for (const auto& row :
       db.Query("SELECT revision, sum(CASE direction WHEN 'upgrade' THEN 1 ELSE -1 END) FROM"
                " migrationd_history WHERE outcome = 'success' AND direction IN ('upgrade',"
                " 'downgrade') GROUP BY revision")) {
    net[row[0]] = row[1];
  }
  for (int i = 1; i <= count; ++i) {
    INFO("revision " << ChainId(i) << ", database at " << version[0][0]);
    CHECK(tables.count("t_" + ChainId(i)) == (i <= applied ? 1u : 0u));
    CHECK((net.count(ChainId(i)) ? net[ChainId(i)] : "0") == (i <= applied ? "1" : "0"));
    if (i <= applied) {
      CHECK(db.Query("SELECT count(*) FROM t_" + ChainId(i)) == Rows{{"2000"}});
    }
  }
  return applied;
}

int KillTrials() {
  const char* text = std::getenv("MIGRATIOND_KILL_TRIALS");
  return text != nullptr ? std::max(1, std::atoi(text)) : 6;
}

TEMPLATE_TEST_CASE("SIGKILL at random moments of a 50-revision upgrade never half-applies",
                   "[daemon][faults][kill]", SqliteDatabase, PostgresDatabase) {
  constexpr int kCount = 50;
  TestType db;
  TempDir dir;
  std::string migrations = Chain(dir, kCount);
  {
    Daemon first(dir, "first", db.url(), migrations);
    REQUIRE(first.Migctl({"upgrade", kSeedHead, "--no-backup"}).exit_code == 0);
  }
  // Kills land within the time a whole upgrade takes here (measured once): a fixed range
  // let a fast machine finish all 50 revisions before every kill.
  int upgrade_ms = 0;
  {
    Daemon timing(dir, "timing", db.url(), migrations);
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(timing.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
    upgrade_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - started)
                                      .count());
    REQUIRE(timing.Migctl({"downgrade", kSeedHead, "--no-backup"}).exit_code == 0);
  }
  std::mt19937 random(static_cast<unsigned>(std::random_device{}()));
  const int trials = KillTrials();
  int killed_mid_job = 0;
  for (int trial = 0; trial < trials; ++trial) {
    Daemon daemon(dir, "t" + std::to_string(trial), db.url(), migrations);
    if (CheckConsistent(db, kCount) == kCount) {
      REQUIRE(daemon.Migctl({"downgrade", kSeedHead, "--no-backup", "--wait"}).exit_code == 0);
    }
    Process upgrade(
        {testing::MigctlBinary(), "--socket", daemon.socket(), "upgrade", "--no-backup", "--wait"},
        dir / ("upgrade" + std::to_string(trial)));
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(5, std::max(10, upgrade_ms))(random)));
    daemon.Kill();
    if (upgrade.Wait() == 5) ++killed_mid_job;
    // The database is whole (the next daemon waits for the server to notice the death and
    // release the lock: --wait below).
    CheckConsistent(db, kCount);
  }
  INFO(killed_mid_job << " of " << trials << " kills landed while the upgrade ran");
  CHECK(killed_mid_job > 0);
  Daemon last(dir, "last", db.url(), migrations);
  MigctlRun finish = last.Migctl({"upgrade", "--no-backup", "--wait"});
  INFO(finish.out << finish.err);
  CHECK(finish.exit_code == 0);
  CHECK(CheckConsistent(db, kCount) == kCount);
}

TEST_CASE("PostgreSQL restarted mid-upgrade: the attempt is in history, the next one finishes",
          "[daemon][faults][postgresql]") {
  testing::PrivateCluster cluster;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kSeedHead, 3)}});
  Daemon daemon(dir, "d", cluster.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", kSeedHead, "--no-backup"}).exit_code == 0);
  Process upgrade(
      {testing::MigctlBinary(), "--socket", daemon.socket(), "--json", "upgrade", "--no-backup"},
      dir / "upgrade");
  REQUIRE(testing::WaitForStatus(daemon.socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().revision() == "004_slow";
  }));
  cluster.Restart();
  int code = upgrade.Wait();
  INFO("daemon log:\n" << daemon.Log());
  MigctlRun failed = testing::ParseMigctl(code, upgrade.Stdout(), upgrade.Stderr());
  CHECK(failed.exit_code == 1);
  CHECK(cluster.Query("SELECT revision FROM migrationd_version") == Rows{{kSeedHead}});
  CHECK(cluster.Query("SELECT count(*) FROM pg_tables WHERE tablename = 'slow_marker'") ==
        Rows{{"0"}});

  // The daemon survived the server's restart and finishes the job on the next request.
  MigctlRun again = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(cluster.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
  // The failed attempt is in the history, written on a new connection once the server was back.
  CHECK_THAT(failed.result().message(), Catch::Contains("004_slow"));
  CHECK(cluster.Query("SELECT outcome FROM migrationd_history WHERE revision = '004_slow'"
                      " ORDER BY id") == Rows{{"failed"}, {"success"}});
}

TEST_CASE("a full disk under the SQLite database fails the revision cleanly",
          "[daemon][faults][disk]") {
  TempDir dir;
  const std::string small = dir / "small";
  fs::create_directory(small);
  REQUIRE(mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m,mode=0700") == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};
  const std::string db_path = small + "/app.db";
  // A revision that needs far more than the 1 MiB the file system has.
  std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_big.sql", std::string("-- revision: 004_big\n-- parents: ") + kSeedHead +
                                "\n-- +upgrade\nCREATE TABLE big (v TEXT);\n"
                                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
                                " WHERE x < 5000) INSERT INTO big SELECT hex(randomblob(500))"
                                " FROM c;\n-- +downgrade\nDROP TABLE big;\n"}});
  Daemon daemon(dir, "d", "sqlite://" + db_path, migrations);
  REQUIRE(daemon.Migctl({"upgrade", kSeedHead, "--no-backup"}).exit_code == 0);

  MigctlRun full = daemon.Migctl({"upgrade", "--no-backup"});
  CHECK(full.exit_code == 1);
  CHECK_THAT(full.result().message(), Catch::Contains("004_big") && Catch::Contains("rolled back"));
  MigctlRun current = daemon.Migctl({"current"});
  CHECK(current.exit_code == 0);
  CHECK(List(current.result().current()) == std::vector<std::string>{kSeedHead});
  CHECK(daemon.Migctl({"check"}).exit_code == 3);  // pending, not damaged
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
}

TEMPLATE_TEST_CASE("a lock holder frozen with SIGSTOP keeps its lock, nobody migrates around it",
                   "[daemon][faults][lock]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kSeedHead, 2)}});
  Daemon frozen(dir, "frozen", db.url(), migrations);
  Daemon other(dir, "other", db.url(), migrations, {"--lock-wait", "2"});
  REQUIRE(frozen.Migctl({"upgrade", kSeedHead, "--no-backup"}).exit_code == 0);
  Process upgrade({testing::MigctlBinary(), "--socket", frozen.socket(), "upgrade", "--no-backup"},
                  dir / "upgrade");
  REQUIRE(testing::WaitForStatus(frozen.socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().revision() == "004_slow";
  }));
  REQUIRE(kill(frozen.pid(), SIGSTOP) == 0);
  MigctlRun refused = other.Migctl({"upgrade", "--wait", "--no-backup"});
  CHECK(refused.exit_code == 4);
  CHECK_THAT(refused.result().message(), Catch::Contains("migration lock is held"));
  REQUIRE(kill(frozen.pid(), SIGCONT) == 0);
  CHECK(upgrade.Wait() == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE revision = '004_slow'") ==
        Rows{{"1"}});
}

}  // namespace
}  // namespace migrationd
