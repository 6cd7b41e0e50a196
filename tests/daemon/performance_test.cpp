// Behaviour the performance work rests on, never a timing: what the daemon costs the database
// per revision (commits, WAL flushes), and how it answers while it is still loading.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::PrivateCluster;
using testing::Process;

// A settled cluster-wide counter: pg_stat_wal takes a backend's figures when it ends (or is
// idle for a second), so read until two reads half a second apart agree.
int64_t SettledCounter(PrivateCluster& cluster, const std::string& sql) {
  std::string last = cluster.Query(sql).at(0).at(0);
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::string now = cluster.Query(sql).at(0).at(0);
    if (now == last) break;
    last = now;
  }
  return std::stoll(last);
}

struct WalFigures {
  int64_t commits = 0;  // COMMIT records written (pg_walinspect)
  int64_t syncs = 0;    // WAL flushes to disk (pg_stat_wal.wal_sync)
};

TEST_CASE("a PostgreSQL upgrade commits and flushes WAL once per revision",
          "[daemon][performance]") {
  // A cluster of the test's own: pg_stat_wal counts the whole cluster, the shared one runs
  // other tests (and fsync=off, which counts no flush). Autovacuum off: no commit but ours.
  PrivateCluster cluster({"fsync=on", "autovacuum=off"});
  cluster.Query("CREATE EXTENSION pg_walinspect");
  TempDir dir;
  const std::string migrations = testing::GeneratedChain(dir, 31);
  Daemon daemon(dir, "d", cluster.url(), migrations);

  std::string lsn = cluster.Query("SELECT pg_current_wal_flush_lsn()").at(0).at(0);
  auto upgrade = [&](const std::string& target) {
    const int64_t syncs_before = SettledCounter(cluster, "SELECT wal_sync FROM pg_stat_wal");
    REQUIRE(daemon.Migctl({"upgrade", target, "--no-backup"}).exit_code == 0);
    WalFigures figures;
    figures.syncs = SettledCounter(cluster, "SELECT wal_sync FROM pg_stat_wal") - syncs_before;
    const std::string now = cluster.Query("SELECT pg_current_wal_flush_lsn()").at(0).at(0);
    figures.commits = std::stoll(
        cluster
            .Query("SELECT count(*) FROM pg_get_wal_records_info('" + lsn + "', '" + now +
                   "') WHERE resource_manager = 'Transaction' AND record_type = 'COMMIT'")
            .at(0)
            .at(0));
    lsn = now;
    return figures;
  };
  // The first job also creates the version tables. After it, a job's fixed cost (the lock
  // holder's row, written and deleted) cancels out between a job of 5 revisions and one of 25:
  // what is left is the cost of 20 revisions.
  const WalFigures first = upgrade("r0001");
  const WalFigures five = upgrade("r0006");
  const WalFigures twenty_five = upgrade("r0031");
  // The first job's extra commits: the lock holder's table, then the three version tables in
  // one transaction (before: one commit per table, four in all).
  const int64_t fixed = five.commits - 5;
  INFO("first job of 1 revision: " << first.commits << " commits, fixed cost " << fixed);
  CHECK(first.commits - fixed - 1 == 2);
  CHECK(cluster.Query("SELECT count(*) FROM migrationd_history WHERE outcome = 'success'") ==
        Rows{{"31"}});
  INFO("commits: " << five.commits << " for 5 revisions, " << twenty_five.commits
                   << " for 25; WAL flushes: " << five.syncs << " and " << twenty_five.syncs);
  CHECK(twenty_five.commits - five.commits == 20);
  // A flush per commit (before: two per revision, 40 here); the WAL writer may add or save
  // one now and then.
  CHECK(twenty_five.syncs - five.syncs >= 18);
  CHECK(twenty_five.syncs - five.syncs <= 24);
}

TEST_CASE("a PostgreSQL upgrade does not ask its lock session before every revision",
          "[daemon][performance][lock]") {
  // The lock session is asked only when its socket shows that the server may have ended it,
  // and at least once a second; the job's other round trips carry the revision's label.
  // pg_stat_statements counts every statement each session runs.
  PrivateCluster cluster(
      {"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"});
  cluster.Query("CREATE EXTENSION pg_stat_statements");
  TempDir dir;
  Daemon daemon(dir, "d", cluster.url(), testing::GeneratedChain(dir, 40));
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  CHECK(cluster.Query("SELECT count(*) FROM migrationd_history WHERE outcome = 'success'") ==
        Rows{{"40"}});
  const int64_t asked = std::stoll(
      cluster
          .Query("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE"
                 " 'SELECT pg_backend_pid()%'")
          .at(0)
          .at(0));
  INFO("the lock session was asked " << asked << " times in a job of 40 revisions that took "
                                     << seconds << " s");
  CHECK(asked <= seconds + 1);
}

TEST_CASE("status answers while the daemon is still loading 10,000 revisions, and says so",
          "[daemon][performance]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::GeneratedChain(dir, 10'000);
  // The harness returns once `status` answers: during the parse, at this size.
  Daemon daemon(dir, "d", db.url(), migrations);
  MigctlRun early = daemon.Migctl({"status"});
  REQUIRE(early.exit_code == 0);
  CHECK(early.result().status().loading());
  CHECK_THAT(early.result().message(), Catch::Contains("still loading the scripts"));
  CHECK(early.result().status().current_size() == 0);

  // Once loaded, the same request has the revisions.
  REQUIRE(testing::WaitForStatus(
      daemon.socket(),
      [](const proto::StatusInfo& status) {
        return !status.loading() && status.pending() == 10'000;
      },
      60));
  MigctlRun loaded = daemon.Migctl({"status"});
  CHECK_FALSE(loaded.result().status().loading());
  CHECK(testing::List(loaded.result().status().heads()) == std::vector<std::string>{"r10000"});
}

// Events of fast revisions travel in batches (up to 10 ms apart): every one must still arrive,
// in order, before the result.
TEST_CASE("a plan of 100 fast revisions reports every revision in order before its result",
          "[daemon][performance][protocol]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::GeneratedChain(dir, 100));
  MigctlRun run = daemon.Migctl({"upgrade", "--no-backup"});
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.messages.back().has_result());
  std::vector<std::string> seen;
  for (const auto& event : run.events()) {
    if (event.kind() == proto::REVISION_STARTED) seen.push_back("start " + event.revision());
    if (event.kind() == proto::REVISION_FINISHED) seen.push_back("done " + event.revision());
  }
  std::vector<std::string> expected;
  for (int i = 1; i <= 100; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "r%04d", i);
    expected.push_back(std::string("start ") + id);
    expected.push_back(std::string("done ") + id);
  }
  CHECK(seen == expected);
}

// ... and an event followed by nothing for a while (a long revision) is not held back.
TEST_CASE("the start of a long revision reaches the client while it runs",
          "[daemon][performance][protocol]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", testing::kSeedHead, 4)}});
  Daemon daemon(dir, "d", db.url(), migrations);
  Process running(
      {testing::MigctlBinary(), "--socket", daemon.socket(), "--json", "upgrade", "--no-backup"},
      dir / "running");
  REQUIRE(testing::WaitForStatus(daemon.socket(), [](const proto::StatusInfo& status) {
    return status.has_job() && status.job().revision() == "004_slow";
  }));
  bool seen = false;
  for (int i = 0; i < 20 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    seen = running.Stdout().find("\"004_slow\"") != std::string::npos;
  }
  CHECK(seen);
  // Still running: the event came from the batch timer, not from the end of the job.
  CHECK(daemon.Migctl({"status"}).result().status().has_job());
  CHECK(running.Wait() == 0);
}

// The syncs a traced daemon made, by the path strace names for each descriptor.
std::map<std::string, int> SyncsByPath(const std::string& trace) {
  std::map<std::string, int> syncs;
  const std::string text = testing::ReadFile(trace);
  static const std::regex kSync(R"(f(?:data)?sync\(\d+<([^>]*)>\) = 0)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kSync);
       it != std::sregex_iterator(); ++it) {
    ++syncs[(*it)[1].str()];
  }
  return syncs;
}

TEST_CASE(
    "a SQLite revision syncs its journal's directory once per journal file and not at every commit",
    "[daemon][performance][sqlite]") {
  // TRUNCATE keeps the journal file between commits; SQLite still synced its directory at every
  // commit (five syncs per revision against the sqlite3 shell's four in DELETE mode). The
  // journal, the database and the truncation keep their syncs (synchronous FULL).
  SqliteDatabase db;
  TempDir dir;
  const std::string trace = dir / "syncs.trace";
  Daemon daemon(dir, "d", db.url(), testing::GeneratedChain(dir, 20), {},
                {"/usr/bin/strace", "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", trace});
  // strace names files by their canonical paths; the database file does not exist yet.
  const std::filesystem::path path(db.path());
  const std::string directory = std::filesystem::canonical(path.parent_path()).string();
  const std::string file = directory + "/" + path.filename().string();
  const std::string journal = file + "-journal";

  REQUIRE(daemon.Migctl({"upgrade", "r0010", "--no-backup"}).exit_code == 0);
  auto syncs = SyncsByPath(trace);
  CHECK(syncs[directory] == 1);
  CHECK(syncs[journal] >= 3 * 10);  // written, header, truncated: per revision
  CHECK(syncs[file] >= 10);

  // A connection in DELETE mode (the application's default) removes the journal at its commit;
  // the next one is a new file, whose directory is synced again, once.
  db.Exec("CREATE TABLE application_data (id INTEGER PRIMARY KEY)");
  REQUIRE_FALSE(std::filesystem::exists(journal));
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  syncs = SyncsByPath(trace);
  CHECK(syncs[directory] == 2);
  CHECK(syncs[journal] >= 3 * 20);
  CHECK(syncs[file] >= 20);
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"r0020"}});
  CHECK(db.Query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 't%'") ==
        Rows{{"20"}});
}

// The requests a traced daemon sent to PostgreSQL (libpq sends with sendto; answers to migctl
// go out with sendmsg).
int PostgresSends(const std::string& trace) {
  const std::string text = testing::ReadFile(trace);
  int sends = 0;
  for (size_t at = text.find("sendto("); at != std::string::npos;
       at = text.find("sendto(", at + 1)) {
    ++sends;
  }
  return sends;
}

TEST_CASE("a PostgreSQL revision costs one round trip per statement and one more",
          "[daemon][performance]") {
  // psql running a revision by hand sends BEGIN, each statement, its version UPDATE and COMMIT:
  // statements + 3. A step sends BEGIN with the step lock, the guard on the version rows and
  // the first statement together, then each other statement, then the version rows, the
  // history row and COMMIT together: statements + 1 (before: the version read went with BEGIN
  // on its own, statements + 2; before that, statements + 3).
  PostgresDatabase db;
  TempDir dir;
  const std::string trace = dir / "sends.trace";
  Daemon daemon(dir, "d", db.url(), testing::GeneratedChain(dir, 31), {},
                {"/usr/bin/strace", "-f", "-qq", "-e", "trace=sendto", "-o", trace});
  // The first job also creates the version tables. A job's fixed cost (the lock, the plan's
  // reads) cancels out between a job of 5 revisions and one of 25.
  REQUIRE(daemon.Migctl({"upgrade", "r0001", "--no-backup"}).exit_code == 0);
  int before = PostgresSends(trace);
  REQUIRE(daemon.Migctl({"upgrade", "r0006", "--no-backup"}).exit_code == 0);
  const int five = PostgresSends(trace) - before;
  before = PostgresSends(trace);
  REQUIRE(daemon.Migctl({"upgrade", "r0031", "--no-backup"}).exit_code == 0);
  const int twenty_five = PostgresSends(trace) - before;
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"r0031"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE outcome = 'success'") ==
        Rows{{"31"}});
  // Each generated revision has two statements (a table and an index): 3 requests each. The
  // lock session is asked at most once a second, which a slow machine may add.
  INFO("requests to the server: " << five << " for 5 revisions, " << twenty_five << " for 25");
  CHECK(twenty_five - five <= 20 * 3 + 3);
}

TEST_CASE("an idle daemon makes no system call once its answers are out", "[daemon][performance]") {
  // The issue's rule (0 wake-ups in 30 s idle), with the timer that hands memory back a second
  // after the last answer: it fires once and is not armed again until the next request.
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::GeneratedChain(dir, 50));
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  for (int i = 0; i < 20; ++i) REQUIRE(daemon.Migctl({"history"}).exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the trim's second, and more

  const std::string trace = dir / "idle.trace";
  Process strace({"/usr/bin/strace", "-f", "-qq", "-p", std::to_string(daemon.pid()), "-o", trace},
                 dir / "strace");
  std::this_thread::sleep_for(std::chrono::seconds(5));
  strace.Signal(SIGINT);
  strace.Wait();
  // A call that was waiting when strace attached shows as "<unfinished ...>", and again as
  // "<detached ...>" when it leaves; any other line is a wake-up.
  std::istringstream lines(testing::ReadFile(trace));
  std::vector<std::string> wakeups;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("<unfinished ...>") == std::string::npos &&
        line.find("<detached ...>") == std::string::npos && !line.empty()) {
      wakeups.push_back(line);
    }
  }
  INFO(testing::ReadFile(trace));
  CHECK(wakeups.empty());
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
}

}  // namespace
}  // namespace migrationd
