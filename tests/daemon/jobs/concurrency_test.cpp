// One migration at a time: many clients on one daemon, two daemons on one database, and a daemon
// killed in the middle of a migration. Real processes, real databases.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::List;
using testing::Process;

constexpr const char* kHead = testing::kSeedHead;

// The seed chain plus a slow fifth revision, in `dir`/migrations.
std::string SlowMigrations(const TempDir& dir, int seconds) {
  return testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", kHead, seconds)}});
}

// Starts `migctl upgrade` on `daemon` and returns once 004_slow has started: the client's own
// REVISION_STARTED event (flushed line by line with --json), not a status poll, which under CI
// load once never caught a 1 s revision in 15 s.
std::unique_ptr<Process> StartSlowUpgrade(const Daemon& daemon, const TempDir& dir) {
  auto running =
      std::make_unique<Process>(std::vector<std::string>{testing::MigctlBinary(), "--socket",
                                                         daemon.socket(), "--json", "upgrade"},
                                dir / "running");
  const auto started = [&running] {
    return running->Stdout().find(
               R"("kind":"REVISION_STARTED","revision":"004_slow","direction":"upgrade")") !=
           std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!started() && running->Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!started()) {
    const bool still_running = running->Running();
    if (still_running) running->Signal(SIGKILL);
    const int code = running->Wait();
    FAIL("004_slow never started; migctl upgrade "
         << (still_running ? "was still running" : "exited " + std::to_string(code)) << ":\n"
         << running->Stdout() << running->Stderr());
  }
  return running;
}

// How many successful upgrades each revision has in the history table.
Rows UpgradeCounts(testing::TestDatabase& db) {
  return db.Query(
      "SELECT revision, count(*) FROM migrationd_history WHERE direction = 'upgrade'"
      " AND outcome = 'success' GROUP BY revision ORDER BY revision");
}

const Rows kEachOnce = {{"000_initial_base", "1"},
                        {"001_group_ai", "1"},
                        {"002_add_indexes", "1"},
                        {kHead, "1"},
                        {"004_slow", "1"}};

// Starts `count` migctl processes at once against `socket` and returns their runs.
std::vector<MigctlRun> StartTogether(const std::vector<std::string>& sockets, int count,
                                     const std::vector<std::string>& args, const TempDir& dir) {
  std::vector<std::unique_ptr<Process>> processes;
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> argv = {testing::MigctlBinary(), "--socket",
                                     sockets[static_cast<size_t>(i) % sockets.size()], "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    processes.push_back(std::make_unique<Process>(argv, dir / ("client" + std::to_string(i))));
  }
  std::vector<MigctlRun> runs;
  for (auto& process : processes) {
    int code = process->Wait();
    runs.push_back(testing::ParseMigctl(code, process->Stdout(), process->Stderr()));
  }
  return runs;
}

TEMPLATE_TEST_CASE("32 clients upgrading at once: the chain is applied exactly once",
                   "[daemon][concurrency]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), SlowMigrations(dir, 1));

  std::vector<MigctlRun> runs = StartTogether({daemon.socket()}, 32, {"upgrade"}, dir);
  int applied = 0, busy = 0, nothing = 0;
  for (const auto& run : runs) {
    INFO(run.out << run.err);
    REQUIRE((run.exit_code == 0 || run.exit_code == 4));
    if (run.exit_code == 4) {
      ++busy;
      CHECK(run.result().code() == proto::BUSY);
      CHECK(run.result().holder().held());
      CHECK(run.result().holder().request() == "upgrade head");
    } else if (run.result().message().find("nothing to do") != std::string::npos) {
      ++nothing;
    } else {
      ++applied;
    }
  }
  CHECK(applied == 1);
  CHECK(busy >= 1);  // the slow revision keeps the job running while the others arrive
  CHECK(applied + busy + nothing == 32);
  CHECK(UpgradeCounts(db) == kEachOnce);

  // With --wait everyone queues and finishes; there is nothing left to do.
  REQUIRE(daemon.Migctl({"downgrade", "-1"}).exit_code == 0);
  std::vector<MigctlRun> waiting = StartTogether({daemon.socket()}, 8, {"upgrade", "--wait"}, dir);
  int reapplied = 0;
  for (const auto& run : waiting) {
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    if (run.result().message().find("nothing to do") == std::string::npos) ++reapplied;
  }
  CHECK(reapplied == 1);
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE revision = '004_slow' AND "
                 "direction = 'upgrade'") == Rows{{"2"}});
}

// A revision whose only statement is harmless, with the given parents.
std::string EmptyRevision(const std::string& id, const std::string& parents) {
  return "-- revision: " + id + "\n-- parents: " + parents + "\n-- +upgrade\nSELECT 1;\n" +
         "-- +downgrade\nSELECT 1;\n";
}

TEST_CASE("two heads whose order differs in the database's collation merge like any others",
          "[daemon][concurrency]") {
  // ICU's en-US sorts 'a_b' before 'aB', bytes the other way round: the step's re-read of the
  // version rows (exactly once) must not take the database's order for a different set.
  PostgresDatabase db("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
  REQUIRE(db.Query("SELECT string_agg(r, ',' ORDER BY r) FROM (VALUES ('aB'), ('a_b')) v(r)") ==
          Rows{{"a_b,aB"}});
  TempDir dir;
  std::string migrations =
      testing::SeedMigrationsPlus(dir, {{"aB.sql", EmptyRevision("aB", kHead)},
                                        {"a_b.sql", EmptyRevision("a_b", kHead)},
                                        {"merged.sql", EmptyRevision("merged", "aB a_b")}});
  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun upgraded = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(upgraded.out << upgraded.err);
  CHECK(upgraded.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"merged"}});
  // Back past the merge: the second step starts from both heads again.
  MigctlRun back = daemon.Migctl({"downgrade", "-2", "--no-backup"});
  INFO(back.out << back.err);
  CHECK(back.exit_code == 0);
  CHECK(db.Query("SELECT count(*) FROM migrationd_version") == Rows{{"1"}});
}

TEMPLATE_TEST_CASE("two daemons on one database never migrate at the same time",
                   "[daemon][concurrency]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = SlowMigrations(dir, 2);
  Daemon first(dir, "first", db.url(), migrations);
  Daemon second(dir, "second", db.url(), migrations);

  // Start an upgrade on the first; while it runs, the second sees the holder.
  Process running({testing::MigctlBinary(), "--socket", first.socket(), "--json", "upgrade"},
                  dir / "running");
  REQUIRE(testing::WaitForStatus(second.socket(), [](const proto::StatusInfo& status) {
    return status.lock().held() && status.lock().revision() == "004_slow";
  }));
  MigctlRun seen = second.Migctl({"status"});
  const proto::LockHolder& holder = seen.result().status().lock();
  CHECK(holder.daemon_pid() == first.pid());
  CHECK(holder.request() == "upgrade head");
  CHECK(holder.uid() == getuid());
  CHECK_FALSE(holder.since().empty());

  MigctlRun refused = second.Migctl({"upgrade"});
  CHECK(refused.exit_code == 4);
  CHECK_THAT(refused.result().message(), Catch::Contains("migration lock is held"));
  MigctlRun waited = second.Migctl({"upgrade", "--wait"});
  CHECK(waited.exit_code == 0);
  CHECK_THAT(waited.result().message(), Catch::Contains("nothing to do"));
  CHECK(running.Wait() == 0);
  CHECK(UpgradeCounts(db) == kEachOnce);

  // Both at once from the start.
  REQUIRE(first.Migctl({"downgrade", "base"}).exit_code == 0);
  std::vector<MigctlRun> both =
      StartTogether({first.socket(), second.socket()}, 2, {"upgrade", "--wait"}, dir);
  CHECK(both[0].exit_code == 0);
  CHECK(both[1].exit_code == 0);
  CHECK(db.Query("SELECT revision, count(*) FROM migrationd_history WHERE direction = 'upgrade'"
                 " GROUP BY revision HAVING count(*) <> 2")
            .empty());
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
  CHECK_FALSE(second.Migctl({"status"}).result().status().lock().held());
}

TEMPLATE_TEST_CASE("a daemon killed mid-migration leaves nothing half-applied",
                   "[daemon][concurrency]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = SlowMigrations(dir, 3);
  {
    Daemon daemon(dir, "victim", db.url(), migrations);
    REQUIRE(daemon.Migctl({"upgrade", kHead}).exit_code == 0);
    auto running = StartSlowUpgrade(daemon, dir);
    daemon.Kill();
    CHECK(running->Wait() == 5);  // the client lost its daemon
  }
  // The kernel (flock) or the server (advisory lock) released the lock with the process.
  Daemon restarted(dir, "restarted", db.url(), migrations);
  MigctlRun status = restarted.Migctl({"status"});
  CHECK_FALSE(status.result().status().lock().held());
  CHECK(List(status.result().status().current()) == std::vector<std::string>{kHead});
  CHECK(db.TableColumns().count("slow_marker") == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});

  MigctlRun up = restarted.Migctl({"upgrade"});
  CHECK(up.exit_code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
  CHECK(db.TableColumns().count("slow_marker") == 1);
}

TEST_CASE("cancel stops a running migration and rolls its revision back", "[daemon][concurrency]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), SlowMigrations(dir, 10));
  REQUIRE(daemon.Migctl({"upgrade", kHead}).exit_code == 0);
  auto running = StartSlowUpgrade(daemon, dir);
  CHECK(daemon.Migctl({"cancel"}).exit_code == 0);
  CHECK(running->Wait() == 1);
  CHECK_THAT(running->Stdout(),
             Catch::Contains("cancelled") && Catch::Contains("cancel asked by root (uid 0"));
  // The history row of the cancelled revision names who cancelled it too.
  const Rows cancelled = db.Query(
      "SELECT error FROM migrationd_history WHERE revision = '004_slow' AND outcome = 'failed'");
  REQUIRE(cancelled.size() == 1);
  CHECK_THAT(cancelled[0][0], Catch::Contains("cancel asked by root (uid 0"));
  CHECK(db.TableColumns().count("slow_marker") == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
}

TEST_CASE("SIGTERM lets a running migration finish within the grace period",
          "[daemon][concurrency]") {
  SqliteDatabase db;
  TempDir dir;
  // A grace far beyond the revision's 2 s: under TSan the revision runs about 8 times slower
  // (3 s did not finish within a grace of 20). The test takes only as long as the revision.
  Daemon daemon(dir, "d", db.url(), SlowMigrations(dir, 2), {"--shutdown-grace", "120"});
  auto running = StartSlowUpgrade(daemon, dir);
  CHECK(daemon.Stop() == 0);
  const int code = running->Wait();
  INFO("migctl upgrade said: " << running->Stdout() << running->Stderr());
  CHECK(code == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_slow"}});
  CHECK_FALSE(std::filesystem::exists(daemon.socket()));
}

TEST_CASE("SIGTERM past the grace period cancels the migration", "[daemon][concurrency]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), SlowMigrations(dir, 10), {"--shutdown-grace", "0"});
  REQUIRE(daemon.Migctl({"upgrade", kHead}).exit_code == 0);
  auto running = StartSlowUpgrade(daemon, dir);
  CHECK(daemon.Stop() == 0);
  CHECK(running->Wait() == 1);
  CHECK(db.TableColumns().count("slow_marker") == 0);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// Live traffic holding a lock on `users`: an open transaction that has read the table.
class TrafficOnUsers {
 public:
  explicit TrafficOnUsers(PostgresDatabase& db) : connection_(db.url()), tx_(connection_) {
    tx_.exec("SELECT count(*) FROM users");
  }
  void Finish() { tx_.commit(); }

 private:
  pqxx::connection connection_;
  pqxx::work tx_;
};

TEST_CASE("a migration blocked by live traffic times out, rolls back and retries",
          "[daemon][concurrency][postgresql]") {
  PostgresDatabase db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_nickname.sql", std::string("-- revision: 004_nickname\n-- parents: ") + kHead +
                                     "\n-- +upgrade\nALTER TABLE users ADD COLUMN nickname TEXT;\n"
                                     "-- +downgrade\nALTER TABLE users DROP COLUMN nickname;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--lock-timeout", "200", "--lock-retries", "3"});
  REQUIRE(daemon.Migctl({"upgrade", kHead}).exit_code == 0);

  SECTION("the traffic ends: a retry succeeds") {
    TrafficOnUsers traffic(db);
    // The traffic ends once the migration has timed out at least once (its failed attempt is
    // in the history), so that the retry is what succeeds.
    std::thread finisher([&] {
      for (int i = 0; i < 400; ++i) {
        if (db.Query("SELECT count(*) FROM migrationd_history WHERE revision = '004_nickname'"
                     " AND outcome = 'failed'") != Rows{{"0"}}) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      traffic.Finish();
    });
    MigctlRun run = daemon.Migctl({"upgrade"});
    finisher.join();
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    bool told = false;
    for (const auto& event : run.events()) {
      told =
          told || (event.kind() == proto::LOG_LINE &&
                   event.message().find("timed out waiting for a table lock") != std::string::npos);
    }
    CHECK(told);
    CHECK(db.Query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'"
                   " AND column_name = 'nickname'") == Rows{{"1"}});
    Rows attempts = db.Query(
        "SELECT outcome FROM migrationd_history WHERE revision = "
        "'004_nickname' ORDER BY id");
    REQUIRE(attempts.size() >= 2);
    CHECK(attempts.front() == std::vector<std::string>{"failed"});
    CHECK(attempts.back() == std::vector<std::string>{"success"});
  }
  SECTION("the traffic never ends: busy, nothing changed") {
    TrafficOnUsers traffic(db);
    MigctlRun run = daemon.Migctl({"upgrade"});
    CHECK(run.exit_code == 4);
    CHECK_THAT(run.result().message(),
               Catch::Contains("gave up after 4 attempts") && Catch::Contains("lock timeout"));
    traffic.Finish();
    CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{kHead}});
  }
}

}  // namespace
}  // namespace migrationd
