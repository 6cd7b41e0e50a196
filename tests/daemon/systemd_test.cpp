// migrationd under systemd, without systemd as PID 1: the units pass `systemd-analyze verify`
// and their exposure is measured; the notify protocol is spoken to a datagram socket the test
// owns (READY=1 only once the socket answers, STATUS= during a job, WATCHDOG=1, STOPPING=1);
// socket activation through `systemd-socket-activate`; `--check-config`.
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::Process;

// The units with ExecStart= pointing at the built binary (verify checks it is executable).
std::string UnitsFor(const TempDir& dir) {
  const std::string units = dir / "units";
  fs::create_directories(units);
  for (const char* name : {"migrationd.service", "migrationd.socket", "migrationd@.service"}) {
    std::string text = testing::ReadFile(std::string(MIGRATIOND_SOURCE_DIR "/systemd/") + name);
    text = std::regex_replace(text, std::regex("/usr/bin/migrationd"), testing::MigrationdBinary());
    testing::WriteFile(units + "/" + name, text);
  }
  fs::copy_file(units + "/migrationd@.service", units + "/migrationd@app.service");
  return units;
}

TEST_CASE("the units pass systemd-analyze verify and the service's exposure is 2.0 or lower",
          "[systemd]") {
  TempDir dir;
  const std::string units = UnitsFor(dir);
  Process verify({"/usr/bin/systemd-analyze", "verify", "--man=no", units + "/migrationd.service",
                  units + "/migrationd.socket", units + "/migrationd@app.service"},
                 dir / "verify");
  CHECK(verify.Wait() == 0);
  INFO(verify.Stdout() << verify.Stderr());
  CHECK(verify.Stderr().empty());  // warnings (an unknown key) go there too

  Process security(
      {"/usr/bin/systemd-analyze", "security", "--offline=true", units + "/migrationd.service"},
      dir / "security");
  security.Wait();
  std::smatch level;
  const std::string report = security.Stdout();
  REQUIRE(
      std::regex_search(report, level, std::regex(R"(Overall exposure level for \S+: ([0-9.]+))")));
  const double exposure = std::stod(level[1]);
  std::printf("systemd-analyze security --offline=true migrationd.service: %.1f\n", exposure);
  CHECK(exposure <= 2.0);
}

// A datagram socket standing in for systemd's notify socket, read all the time as systemd
// reads it.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    timeval timeout{0, 50'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    reader_ = std::thread([this] {
      char buffer[4096];
      while (!stop_) {
        ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
        if (n <= 0) continue;
        std::lock_guard lock(mutex_);
        messages_.emplace_back(buffer, static_cast<size_t>(n));
      }
    });
  }
  ~NotifySocket() {
    stop_ = true;
    reader_.join();
    close(fd_);
  }
  // The first message after the last one returned that contains `wanted`, within `seconds`;
  // "" if none came.
  std::string Until(const std::string& wanted, double seconds = 10) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mutex_);
        for (; next_ < messages_.size(); ++next_) {
          if (messages_[next_].find(wanted) != std::string::npos) return messages_[next_++];
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }
  size_t Count(const std::string& wanted) {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(
        std::count_if(messages_.begin(), messages_.end(),
                      [&](const auto& m) { return m.find(wanted) != std::string::npos; }));
  }

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> messages_;  // guarded by mutex_
  size_t next_ = 0;
  std::thread reader_;
};

TEST_CASE("under Type=notify the daemon reports ready, its jobs, watchdog pings and stopping",
          "[systemd]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir, {{"004_slow.sql",
             testing::SlowRevision("004_slow", "003_add_script_version_management", 1)}});
  NotifySocket notify(dir / "notify");
  const std::string socket = dir / "d.sock";
  Process daemon({"/usr/bin/env", "NOTIFY_SOCKET=" + std::string(dir / "notify"),
                  "WATCHDOG_USEC=400000", testing::MigrationdBinary(), "--database", db.url(),
                  "--migrations", migrations, "--socket", socket, "--backup-dir", dir / "backups"},
                 dir / "d");
  const std::string ready = notify.Until("READY=1");
  INFO(daemon.Stderr());
  REQUIRE_FALSE(ready.empty());
  CHECK_THAT(ready, Catch::Contains("STATUS=idle"));
  // Ready means ready: the control socket answers at once.
  CHECK(testing::RunMigctl(socket, {"status"}).exit_code == 0);
  // Pings at half of WatchdogSec=: several within a second.
  const size_t pings_before = notify.Count("WATCHDOG=1");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(notify.Count("WATCHDOG=1") >= pings_before + 3);

  Process upgrade({testing::MigctlBinary(), "--socket", socket, "upgrade", "--no-backup"},
                  dir / "upgrade");
  CHECK_THAT(notify.Until("STATUS=running"), Catch::Contains("upgrade head"));
  CHECK(upgrade.Wait() == 0);
  CHECK_THAT(notify.Until("STATUS=idle; last job"), Catch::Contains("succeeded"));
  daemon.Signal(SIGTERM);
  CHECK_FALSE(notify.Until("STOPPING=1").empty());
  CHECK(daemon.Wait() == 0);
}

TEST_CASE("socket activation: the daemon serves on the inherited socket and leaves it in place",
          "[systemd]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string socket = dir / "activated.sock";
  Process daemon({"/usr/bin/systemd-socket-activate", "-l", socket, testing::MigrationdBinary(),
                  "--database", db.url(), "--migrations", testing::SeedMigrationsDir(), "--socket",
                  dir / "not-this-one.sock", "--backup-dir", dir / "backups"},
                 dir / "d");
  // systemd-socket-activate starts the daemon on the first connection; migctl retries.
  MigctlRun status;
  for (int attempt = 0; attempt < 100 && status.exit_code != 0; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = testing::RunMigctl(socket, {"status"});
  }
  INFO(daemon.Stderr());
  REQUIRE(status.exit_code == 0);
  CHECK(testing::RunMigctl(socket, {"upgrade", "--no-backup"}).exit_code == 0);
  CHECK_FALSE(fs::exists(dir / "not-this-one.sock"));
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait() == 0);
  CHECK(fs::exists(socket));  // systemd's socket: the daemon does not remove it
  CHECK_THAT(daemon.Stderr(), Catch::Contains("on the socket systemd passed"));
}

TEST_CASE("migrationd --check-config validates without starting, naming the file, line and key",
          "[systemd]") {
  TempDir dir;
  const std::string good = dir / "good.conf";
  testing::WriteFile(good, "[migrationd]\ndatabase = sqlite://" + std::string(dir / "db.sqlite") +
                               "\nmigrations = " + testing::SeedMigrationsDir() +
                               "\nsocket = " + std::string(dir / "s.sock") + "\n");
  Process ok({testing::MigrationdBinary(), "--check-config", "--config", good}, dir / "ok");
  CHECK(ok.Wait() == 0);
  CHECK_THAT(ok.Stdout(), Catch::Contains("configuration OK") &&
                              Catch::Contains("003_add_script_version_management"));
  CHECK_FALSE(fs::exists(dir / "s.sock"));
  CHECK_FALSE(fs::exists(dir / "db.sqlite"));
  struct Case {
    std::string text;
    std::string named;
  };
  for (const Case& c :
       {Case{"[migrationd]\ndatabase = sqlite:///x.db\nmigratoins = m\n", "bad.conf:3"},
        Case{"[migrationd]\nmigrations = /tmp\n", "no database"},
        Case{"[migrationd]\ndatabase = sqlite:///x.db\nmigrations = /m\nlog_level = loud\n",
             "bad.conf:4"},
        Case{"[migrationd]\ndatabase = mysql://x\nmigrations = " + testing::SeedMigrationsDir() +
                 "\n",
             "database"}}) {
    testing::WriteFile(dir / "bad.conf", c.text);
    Process bad({testing::MigrationdBinary(), "--check-config", "--config", dir / "bad.conf"},
                dir / "bad");
    INFO(c.text);
    CHECK(bad.Wait() == 2);
    CHECK_THAT(bad.Stderr(), Catch::Contains(c.named));
  }
}

TEST_CASE("check-config names the line of a migrations directory that is missing", "[systemd]") {
  TempDir dir;
  const std::string conf = dir / "m.conf";
  auto check = [&](const std::string& text) {
    testing::WriteFile(conf, text);
    Process run({testing::MigrationdBinary(), "--check-config", "--config", conf}, dir / "run");
    REQUIRE(run.Wait() == 2);
    return run.Stderr();
  };
  const std::string database = "[migrationd]\ndatabase = sqlite:///tmp/x.db\n";
  // A directory that is not there: the line that set it, not a flag.
  const std::string missing =
      check(database + "\nmigrations = " + std::string(dir / "nope") + "\n");
  CHECK_THAT(missing, Catch::Contains("does not exist") &&
                          Catch::Contains("fix 'migrations =' at " + conf + ":4"));
  CHECK_THAT(missing, !Catch::Contains("--migrations"));
  // No such line: the file it belongs in.
  const std::string absent = check(database);
  CHECK_THAT(absent, Catch::Contains(conf + " has no 'migrations =' line") &&
                         Catch::Contains("add 'migrations = DIR' there"));
  CHECK_THAT(absent, !Catch::Contains("--migrations"));
  // Given as a flag, the flag is what to fix.
  testing::WriteFile(conf, database);
  Process flag({testing::MigrationdBinary(), "--check-config", "--config", conf, "--migrations",
                dir / "nope"},
               dir / "flag");
  REQUIRE(flag.Wait() == 2);
  CHECK_THAT(flag.Stderr(), Catch::Contains("fix --migrations"));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("under the journal each log line starts with its syslog priority and no timestamp",
          "[systemd]") {
  testing::TempDir dir;
  // The Process opens this file with O_TRUNC: same inode, so its device:inode is known now.
  const std::string err = dir / "d.err";
  testing::WriteFile(err, "");
  struct stat info {};
  REQUIRE(stat(err.c_str(), &info) == 0);
  const std::string stream = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
  const std::string socket = dir / "d.sock";
  testing::Process daemon(
      {"/usr/bin/env", "JOURNAL_STREAM=" + stream, testing::MigrationdBinary(), "--database",
       "sqlite://" + std::string(dir / "missing.db"), "--migrations", testing::SeedMigrationsDir(),
       "--socket", socket, "--backup-dir", dir / "backups"},
      dir / "d");
  for (int i = 0; i < 200 && testing::RunMigctl(socket, {"status"}).exit_code != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait() == 0);
  const std::string log = daemon.Stderr();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("\n<4>the SQLite database") &&
                      Catch::StartsWith("<6>migrationd ") && Catch::Contains("\n<6>request 1"));
  CHECK_THAT(log, !Catch::Contains("Z info") && !Catch::Contains("Z warning"));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("a service manager that stops reading never holds up the daemon", "[systemd]") {
  testing::SqliteDatabase db;
  testing::TempDir dir;
  // Bound, never read: its queue fills after a few pings, and sd_notify() would then block.
  const std::string path = dir / "stalled";
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  const std::string socket_path = dir / "d.sock";
  testing::Process daemon(
      {"/usr/bin/env", "NOTIFY_SOCKET=" + path, "WATCHDOG_USEC=20000", testing::MigrationdBinary(),
       "--database", db.url(), "--migrations", testing::SeedMigrationsDir(), "--socket",
       socket_path, "--backup-dir", dir / "backups"},
      dir / "d");
  for (int i = 0; i < 200 && testing::RunMigctl(socket_path, {"status"}).exit_code != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // well over a queue of pings
  // Before the sender thread this job never ended: its STATUS= blocked the job thread.
  CHECK(testing::RunMigctl(socket_path, {"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(testing::RunMigctl(socket_path, {"status"}).exit_code == 0);
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait() == 0);
  close(fd);
}

}  // namespace
}  // namespace migrationd
