// Clients that try to exhaust the daemon: the file-descriptor limit, thousands of half-sent
// frames, a client that pipelines without reading, replies larger than a frame. The daemon
// must stay small and quiet and keep answering everyone else.
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "proto/frame.h"
#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::Process;
using testing::RawClient;

// Memory bounds are for the daemon's own buffers. An ASan build keeps freed memory in quarantine
// and maps shadow memory, so its RSS grows several times as much for the same work.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssScale = 4;
#else
constexpr long kRssScale = 1;
#endif

// CPU seconds (user + system) a process has used, from /proc.
double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(field);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Raises this process's descriptor limit so the test itself can open many connections.
void AllowDescriptors(rlim_t wanted) {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &limit) == 0);
  REQUIRE(limit.rlim_cur >= wanted);
}

std::string Header(uint32_t length) {
  std::string header(4, '\0');
  for (int i = 0; i < 4; ++i) {
    header[static_cast<size_t>(i)] = static_cast<char>(length >> (24 - 8 * i));
  }
  return header;
}

TEST_CASE("at the descriptor limit the daemon neither spins nor floods its log",
          "[daemon][faults][limits]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string socket = dir / "d.sock";
  // migrationd under a limit of 64 descriptors, with room for more connections than that.
  Process daemon({"/usr/bin/prlimit", "--nofile=64", "--", testing::MigrationdBinary(),
                  "--database", db.url(), "--migrations", testing::SeedMigrationsDir(), "--socket",
                  socket, "--backup-dir", dir / "backups", "--max-connections", "500"},
                 dir / "d");
  REQUIRE(testing::WaitForStatus(socket, [](const proto::StatusInfo&) { return true; }));

  std::vector<std::unique_ptr<RawClient>> hogs;
  for (int i = 0; i < 100; ++i) hogs.push_back(std::make_unique<RawClient>(socket));
  double cpu_before = CpuSeconds(daemon.pid());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  double cpu_used = CpuSeconds(daemon.pid()) - cpu_before;
  CHECK(cpu_used < 0.5);  // a spinning accept loop burns a whole core
  CHECK(std::filesystem::file_size(dir / "d.err") < 20'000);

  // Once the hogs go, everyone is served again.
  hogs.clear();
  CHECK(testing::WaitForStatus(
      socket, [](const proto::StatusInfo&) { return true; }, 20));
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait() == 0);
}

TEST_CASE("connections beyond the cap are refused with a reply", "[daemon][faults][limits]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--max-connections", "4"});
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>(daemon.socket()));
    held.back()->Send(testing::HelloFrame());
    CHECK(held.back()->ReadMessage().has_hello());
  }
  RawClient extra(daemon.socket());
  proto::ServerMessage refused = RawClient::FirstMessage(extra.ReadUntilClosed());
  CHECK(refused.result().code() == proto::BUSY);
  CHECK_THAT(refused.result().message(), Catch::Contains("max_connections"));
  // migctl waits up to 2 s for a free connection, then says why it could not have one.
  const auto started = std::chrono::steady_clock::now();
  MigctlRun busy = daemon.Migctl({"status"});
  CHECK(busy.exit_code == 4);
  CHECK_THAT(busy.err, Catch::Contains("max_connections"));
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(1500));
  // A connection freed while it waits serves it: a hundred health checks at one moment are
  // answered, not refused (in CI, 100 concurrent `status` calls met the cap of 64).
  Process waiting({testing::MigctlBinary(), "--socket", daemon.socket(), "status"},
                  dir / "waiting");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  held.pop_back();
  CHECK(waiting.Wait() == 0);
  held.clear();
  CHECK(testing::WaitForStatus(daemon.socket(), [](const proto::StatusInfo&) { return true; }));
}

TEST_CASE("1,500 clients announcing a 1 MiB frame and sending nothing cost little and time out",
          "[daemon][faults][limits]") {
  AllowDescriptors(4096);
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--max-connections", "2000", "--frame-timeout", "3s"});
  long rss_before = testing::ResidentKib(daemon.pid());
  std::vector<std::unique_ptr<RawClient>> halves;
  for (int i = 0; i < 1500; ++i) {
    halves.push_back(std::make_unique<RawClient>(daemon.socket()));
    halves.back()->Send(testing::HelloFrame() + Header(1 << 20) + "x");
  }
  // Everyone else is still answered while they hang.
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
  long rss_during = testing::ResidentKib(daemon.pid());
  INFO("RSS before " << rss_before << " KiB, with 1,500 half frames " << rss_during << " KiB");
  CHECK(rss_during - rss_before < 100 * 1024 * kRssScale);  // announced: 1.5 GB
  // The frame timeout closes them: each reads EOF after its hello reply.
  for (auto& half : halves) {
    std::string got = half->ReadUntilClosed();
    CHECK(RawClient::FirstMessage(got).has_hello());
  }
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
  CHECK_THAT(daemon.Log(), Catch::Contains("an unfinished frame"));
}

TEST_CASE(
    "a client that pipelines requests without reading cannot grow the daemon or delay "
    "others",
    "[daemon][faults][limits]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  long rss_before = testing::ResidentKib(daemon.pid());
  RawClient greedy(daemon.socket());
  greedy.Send(testing::HelloFrame());
  CHECK(greedy.ReadMessage().has_hello());
  // 20,000 `history` requests in a row, none of the replies read.
  std::string burst;
  for (uint64_t i = 1; i <= 20000; ++i) burst += testing::RequestFrame(proto::HISTORY, i);
  std::thread writer([&] {
    // The daemon stops reading once the replies back up: this send blocks part-way.
    timeval timeout{8, 0};
    setsockopt(greedy.fd(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    (void)send(greedy.fd(), burst.data(), burst.size(), MSG_NOSIGNAL);
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto asked = std::chrono::steady_clock::now();
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
  CHECK(waited < 3);  // a liveness bound: before, others waited 51 s
  long rss_during = testing::ResidentKib(daemon.pid());
  INFO("RSS before " << rss_before << " KiB, during " << rss_during << " KiB");
  CHECK(rss_during - rss_before < 50 * 1024 * kRssScale);
  writer.join();
  // The greedy client still gets its answers, in order, when it reads them.
  for (uint64_t i = 1; i <= 5; ++i) CHECK(greedy.ReadMessage().result().request_id() == i);
}

TEST_CASE("replies larger than a frame reach the client whole", "[daemon][faults][limits]") {
  SqliteDatabase db;
  TempDir dir;
  // A script of about 3 MiB of SQL in one revision.
  std::string big =
      "-- revision: 004_big\n-- parents: 003_add_script_version_management\n"
      "-- +upgrade\nCREATE TABLE big (id INTEGER, filler TEXT);\n";
  for (int i = 0; i < 3000; ++i) {
    big +=
        "INSERT INTO big VALUES (" + std::to_string(i) + ", '" + std::string(1000, 'x') + "');\n";
  }
  big += "-- +downgrade\nDROP TABLE big;\n";
  std::string migrations = testing::SeedMigrationsPlus(dir, {{"004_big.sql", big}});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "003", "--no-backup"}).exit_code == 0);

  MigctlRun dry = daemon.Migctl({"upgrade", "--dry-run"});
  CHECK(dry.exit_code == 0);
  REQUIRE(dry.result().plan_size() == 1);
  CHECK(dry.result().plan(0).statements_size() == 3001);
  MigctlRun show = daemon.Migctl({"show", "004_big"});
  CHECK(show.exit_code == 0);
  REQUIRE(show.result().revisions_size() == 1);
  CHECK(show.result().revisions(0).upgrade_sql().size() > 3'000'000);

  // 6,000 history rows.
  db.Exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)"
      " INSERT INTO migrationd_history (revision, direction, checksum, started_at, finished_at,"
      " duration_ms, outcome, heads_after) SELECT '003_add_script_version_management', 'stamp',"
      " 'x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1, 'success',"
      " '003_add_script_version_management' FROM n");
  MigctlRun log = daemon.Migctl({"log"});
  CHECK(log.exit_code == 0);
  CHECK(log.result().log_size() >= 6004);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// Root once queued 5,000 --in-window jobs in 0.4 s, duplicates included, all kept.
TEST_CASE("waiting jobs are bounded, and the same request twice is one job", "[daemon][limits]") {
  SqliteDatabase db;
  TempDir dir;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const std::string closed = std::string(kDays[(utc.tm_wday + 2) % 7]) + " 02:00..03:00 UTC";
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--maintenance-window", closed, "--max-queued-jobs", "3"});
  std::vector<uint64_t> ids;
  for (const char* target : {"001", "002", "head"}) {
    MigctlRun queued = daemon.Migctl({"upgrade", target, "--in-window"});
    REQUIRE(queued.exit_code == 0);
    REQUIRE(daemon.Migctl({"status"}).result().status().waiting_size() ==
            static_cast<int>(ids.size()) + 1);
    ids.push_back(daemon.Migctl({"status"}).result().status().waiting().rbegin()->job_id());
  }
  // The same request again: the job already queued, nothing new.
  MigctlRun again = daemon.Migctl({"upgrade", "002", "--in-window"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.result().message(),
             Catch::Contains("already queued as job " + std::to_string(ids[1])) &&
                 Catch::Contains("nothing new was queued"));
  // A fourth distinct one is over the bound.
  MigctlRun over = daemon.Migctl({"stamp", "001", "--in-window"});
  CHECK(over.exit_code == 4);
  CHECK_THAT(over.result().message(),
             Catch::Contains("3 jobs are already waiting (max_queued_jobs = 3)") &&
                 Catch::Contains("nothing was queued"));
  CHECK(daemon.Migctl({"status"}).result().status().waiting_size() == 3);
  // Removing one makes room.
  CHECK(daemon.Migctl({"cancel", std::to_string(ids[0])}).exit_code == 0);
  CHECK(daemon.Migctl({"stamp", "001", "--in-window"}).exit_code == 0);
}

// verify and baseline build scratch databases (on PostgreSQL, CREATE DATABASE on the server):
// a user who is not an admin could start them without end.
TEST_CASE("scratch work runs one at a time, one per user who is not an admin", "[daemon][limits]") {
  if (geteuid() != 0) FAIL("this test switches uid and needs root (CI runs as root)");
  SqliteDatabase db;
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql", testing::SlowRevision("004_slow", testing::kSeedHead, 1)}});
  Daemon daemon(dir, "d", db.url(), migrations, {"--socket-mode", "0666"});
  const uid_t nobody = 65534;
  testing::Process first({testing::MigctlBinary(), "--socket", daemon.socket(), "verify"},
                         dir / "first", nobody);
  const std::string started = "scratch work 'verify' (request 1) starts";
  REQUIRE(daemon.WaitForLog(started).find(started) != std::string::npos);
  // The same user's second one is refused at once.
  MigctlRun second = daemon.Migctl({"verify"}, nobody);
  CHECK(second.exit_code == 4);
  CHECK_THAT(second.result().message(), Catch::Contains("of yours is already running"));
  // An admin's waits its turn; a third request, anyone's, is over the bound.
  testing::Process admin({testing::MigctlBinary(), "--socket", daemon.socket(), "baseline"},
                         dir / "admin");
  const std::string waiting = "scratch work 'baseline' for root";
  REQUIRE(daemon.WaitForLog(waiting).find("(2 of 2 running") != std::string::npos);
  MigctlRun third = daemon.Migctl({"verify"}, 65533);
  CHECK(third.exit_code == 4);
  CHECK_THAT(third.result().message(), Catch::Contains("another is waiting"));
  // Meanwhile status answers everyone.
  CHECK(daemon.Migctl({"status"}, nobody).exit_code == 0);
  CHECK(first.Wait() == 0);
  CHECK(admin.Wait() == 0);
  // Done: the gate is open again.
  CHECK(daemon.Migctl({"verify", "--to", "001"}, nobody).exit_code == 0);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// As `nobody` on a 0666 socket, ~70 connections with unfinished frames kept root's `status` at
// "max_connections" for as long as they were held; 1,500 made 100 of 100 concurrent `status`
// calls fail. Now the last eighth of the connections is kept for admins and one user who is not
// an admin holds at most max_connections_per_user.
TEST_CASE("a user who is not an admin cannot keep an admin out with stalled connections",
          "[daemon][limits]") {
  if (geteuid() != 0) FAIL("this test switches uid and needs root (CI runs as root)");
  AllowDescriptors(4096);
  SqliteDatabase db;
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  // Default connection limits; the stalled frames are kept for the whole test (a slow build
  // must not see them closed by frame_timeout before nobody's bound is checked).
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--socket-mode", "0666", "--frame-timeout", "300s"});
  // The flood, from a child running as nobody: 1,500 connections, each a hello and the start
  // of a 1 MiB frame, then nothing. Only syscalls after the fork.
  const std::string flood = testing::HelloFrame() + Header(1 << 20) + "x";
  const std::string socket = daemon.socket();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket.c_str(), sizeof(address.sun_path) - 1);
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(1);
    for (int i = 0; i < 1500; ++i) {
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0) break;
      if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
        (void)send(fd, flood.data(), flood.size(), MSG_NOSIGNAL);
      }
    }
    if (write(ready[1], "x", 1) != 1) _exit(1);
    for (;;) pause();
  }
  close(ready[1]);
  char byte = 0;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  struct KillChild {
    pid_t pid;
    ~KillChild() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } kill_child{child};

  // 100 concurrent `status` calls by root: every one answered.
  std::vector<std::unique_ptr<Process>> calls;
  for (int i = 0; i < 100; ++i) {
    calls.push_back(std::make_unique<Process>(
        std::vector<std::string>{testing::MigctlBinary(), "--socket", socket, "status"},
        dir / ("status" + std::to_string(i))));
  }
  int answered = 0;
  std::string first_refusal;  // what a call that failed said, to tell a refusal from a timeout
  for (auto& call : calls) {
    const bool ok = call->Wait() == 0;
    answered += ok ? 1 : 0;
    if (!ok && first_refusal.empty()) first_refusal = call->Stderr() + call->Stdout();
  }
  INFO("first failed call: " << first_refusal);
  CHECK(answered == 100);
  // Another user who is not an admin is served too; nobody is at its own bound.
  CHECK(daemon.Migctl({"status"}, 65533).exit_code == 0);
  MigctlRun more = daemon.Migctl({"status"}, 65534);
  CHECK(more.exit_code == 4);
  CHECK_THAT(more.err, Catch::Contains("max_connections_per_user"));
}

}  // namespace
}  // namespace migrationd
