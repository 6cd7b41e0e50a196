#include "tests/daemon/daemon_harness.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "proto/frame.h"
#include "tests/sqlite_count.h"

namespace migrationd::testing {

RawClient::RawClient(const std::string& path) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  timeval timeout{5, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
}

RawClient::~RawClient() { close(fd_); }

void RawClient::Send(const std::string& bytes) {
  REQUIRE(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(bytes.size()));
}

std::string RawClient::ReadUntilClosed() {
  std::string all;
  char buffer[4096];
  while (true) {
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    all.append(buffer, static_cast<size_t>(n));
  }
  return all;
}

proto::ServerMessage RawClient::ReadMessage() {
  auto read_exactly = [&](char* out, size_t size) {
    size_t done = 0;
    while (done < size) {
      ssize_t n = recv(fd_, out + done, size - done, 0);
      REQUIRE(n > 0);
      done += static_cast<size_t>(n);
    }
  };
  std::array<uint8_t, kFrameHeaderBytes> header{};
  read_exactly(reinterpret_cast<char*>(header.data()), header.size());
  std::string payload(DecodeFrameLength(header), '\0');
  read_exactly(payload.data(), payload.size());
  proto::ServerMessage message;
  REQUIRE(message.ParseFromString(payload));
  return message;
}

proto::ServerMessage RawClient::FirstMessage(const std::string& bytes) {
  REQUIRE(bytes.size() >= kFrameHeaderBytes);
  std::array<uint8_t, kFrameHeaderBytes> header{};
  std::memcpy(header.data(), bytes.data(), header.size());
  uint32_t length = DecodeFrameLength(header);
  REQUIRE(bytes.size() >= kFrameHeaderBytes + length);
  proto::ServerMessage message;
  REQUIRE(message.ParseFromString(bytes.substr(kFrameHeaderBytes, length)));
  return message;
}

std::string HelloFrame() {
  proto::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(kProtocolVersion);
  return EncodeFrame(hello);
}

std::string RequestFrame(proto::Command command, uint64_t request_id) {
  proto::ClientMessage message;
  message.mutable_request()->set_command(command);
  message.mutable_request()->set_request_id(request_id);
  return EncodeFrame(message);
}

long ResidentKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

// MIGRATIOND_TEST_BIN_DIR runs the tests against other builds of the programs (the TSan
// build of scripts/sanitize) without building the tests again.
std::string MigrationdBinary() {
  const char* dir = std::getenv("MIGRATIOND_TEST_BIN_DIR");
  return dir != nullptr ? std::string(dir) + "/daemon/migrationd" : MIGRATIOND_BIN;
}
std::string MigctlBinary() {
  const char* dir = std::getenv("MIGRATIOND_TEST_BIN_DIR");
  return dir != nullptr ? std::string(dir) + "/client/migctl" : MIGCTL_BIN;
}

const proto::Result& MigctlRun::result() const {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->has_result()) return it->result();
  }
  FAIL("migctl printed no result; exit " << exit_code << "\nstdout: " << out
                                         << "\nstderr: " << err);
  static proto::Result none;
  return none;
}

std::vector<proto::Event> MigctlRun::events() const {
  std::vector<proto::Event> events;
  for (const auto& message : messages) {
    if (message.has_event()) events.push_back(message.event());
  }
  return events;
}

MigctlRun ParseMigctl(int exit_code, std::string out, std::string err) {
  MigctlRun run{exit_code, std::move(out), std::move(err), {}};
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{' || line.starts_with("{\"client_error\"") ||
        line.starts_with("{\"revision\"")) {
      continue;
    }
    proto::ServerMessage message;
    auto status = google::protobuf::util::JsonStringToMessage(line, &message);
    if (!status.ok()) FAIL("unparsable --json line: " << line);
    run.messages.push_back(std::move(message));
  }
  return run;
}

Process::Process(const std::vector<std::string>& argv, const std::string& output_prefix,
                 std::optional<uid_t> as_uid)
    : out_path_(output_prefix + ".out"), err_path_(output_prefix + ".err") {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // Temporary files (SQLite scratch databases) go in the test's own directory: a daemon killed
  // mid-build (every Daemon ends with SIGKILL) cannot leave one in /tmp. Under systemd,
  // PrivateTmp does the same for a killed migrationd. Not for another uid, which cannot write
  // there. Built before the fork: the child of a threaded test only calls async-signal-safe code.
  const std::string tmpdir =
      "TMPDIR=" + std::filesystem::path(output_prefix).parent_path().string();
  std::vector<char*> environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    if (std::strncmp(*variable, "TMPDIR=", 7) != 0) environment.push_back(*variable);
  }
  environment.push_back(const_cast<char*>(tmpdir.c_str()));
  environment.push_back(nullptr);
  // fork + execve rather than posix_spawn: the child may have to drop to another uid first.
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    if (as_uid) {
      if (setgroups(0, nullptr) != 0 || setgid(*as_uid) != 0 || setuid(*as_uid) != 0) _exit(120);
    }
    execve(args[0], args.data(), as_uid ? environ : environment.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!status_) {
    Signal(SIGKILL);
    Wait();
  }
}

int Process::Wait() {
  if (!status_) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
  }
  return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : 128 + WTERMSIG(*status_);
}

bool Process::Running() {
  if (status_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

void Process::Signal(int signal) {
  if (!status_) kill(pid_, signal);
}

std::string Process::Stdout() const { return ReadFile(out_path_); }
std::string Process::Stderr() const { return ReadFile(err_path_); }

MigctlRun RunMigctl(const std::string& socket, std::vector<std::string> args,
                    std::optional<uid_t> as_uid) {
  static std::atomic<int> counter{0};
  TempDir out;
  chmod(out.path().c_str(), 0777);
  std::vector<std::string> argv = {MigctlBinary(), "--socket", socket, "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  Process process(argv, out / ("migctl" + std::to_string(counter++)), as_uid);
  int code = process.Wait();
  return ParseMigctl(code, process.Stdout(), process.Stderr());
}

Daemon::Daemon(const TempDir& dir, const std::string& name, const std::string& database_url,
               const std::string& migrations, std::vector<std::string> extra_args,
               std::vector<std::string> wrapper)
    : socket_(dir / (name + ".sock")) {
  std::vector<std::string> argv = {
      MigrationdBinary(), "--migrations",           migrations, "--socket", socket_,
      "--backup-dir",     dir / (name + "-backups")};
  if (!database_url.empty()) {
    argv.insert(argv.end(), {"--database", database_url});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.insert(argv.begin(), wrapper.begin(), wrapper.end());
  process_ = std::make_unique<Process>(argv, dir / name);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) FAIL("migrationd exited at start:\n" << process_->Stderr());
    if (access(socket_.c_str(), F_OK) == 0 && RunMigctl(socket_, {"databases"}).exit_code == 0) {
      if (!wrapper.empty()) wrapped_daemon_ = ListenerPid(socket_);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  FAIL("migrationd did not answer on " << socket_ << ":\n" << process_->Stderr());
}

Daemon::~Daemon() { Kill(); }

int Daemon::Stop() {
  process_->Signal(SIGTERM);
  const int code = process_->Wait();
  KillWrappedDaemon();
  return code;
}

void Daemon::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait();
  KillWrappedDaemon();
}

void Daemon::KillWrappedDaemon() {
  // A wrapper killed with SIGKILL (strace) does not pass it on: the daemon would live on,
  // reparented to PID 1, after the test. It is not our child, so wait for it by polling.
  if (wrapped_daemon_ <= 0) return;
  kill(wrapped_daemon_, SIGKILL);
  for (int i = 0; i < 200 && kill(wrapped_daemon_, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  wrapped_daemon_ = -1;
}

pid_t ListenerPid(const std::string& socket_path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
  ucred peer{};
  socklen_t length = sizeof peer;
  const bool known =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0;
  close(fd);
  return known ? peer.pid : -1;
}

namespace {

// The count's rate in the daemon's build (its directory's sqlite_count_rate), measured once.
long SqliteCountRate() {
  static const long rate = [] {
    const char* dir = std::getenv("MIGRATIOND_TEST_BIN_DIR");
    const std::string tool =
        dir != nullptr ? std::string(dir) + "/tests/sqlite_count_rate" : SQLITE_COUNT_RATE_BIN;
    TempDir out;
    Process measure({tool}, out / "rate");
    const int code = measure.Wait();
    const long measured = code == 0 ? std::atol(measure.Stdout().c_str()) : 0;
    if (measured <= 0) {
      throw std::runtime_error(tool + " measured no rate (exit " + std::to_string(code) +
                               "): build it with the daemon");
    }
    return measured;
  }();
  return rate;
}

}  // namespace

std::string SqliteBusyStatement(double seconds) {
  // 1.5x: a short measurement on a busy machine reads low (here from 2.7 to 5.4 million rows a
  // second in three runs), and a statement must last at least what the test asks.
  return RecursiveCount(
      std::max(1000L, static_cast<long>(1.5 * static_cast<double>(SqliteCountRate()) * seconds)));
}

std::string SlowRevision(const std::string& id, const std::string& parent, int seconds) {
  // A recursive count keeps SQLite busy; PostgreSQL simply sleeps. Both run inside the
  // migration's transaction, after the CREATE.
  return "-- revision: " + id + "\n-- parents: " + parent + "\n-- message: slow on purpose\n" +
         "-- +upgrade sqlite\nCREATE TABLE slow_marker (id INTEGER);\n" +
         SqliteBusyStatement(seconds) + "\n" +
         "-- +upgrade postgresql\nCREATE TABLE slow_marker (id INTEGER);\nSELECT pg_sleep(" +
         std::to_string(seconds) + ");\n" + "-- +downgrade\nDROP TABLE slow_marker;\n";
}

std::unique_ptr<Process> StartMigctl(const std::string& socket,
                                     const std::vector<std::string>& args,
                                     const std::string& output_prefix) {
  std::vector<std::string> argv = {MigctlBinary(), "--socket", socket, "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Process>(argv, output_prefix);
}

MigctlRun FinishMigctl(Process& process) {
  const int exit_code = process.Wait();  // before its output is read
  return ParseMigctl(exit_code, process.Stdout(), process.Stderr());
}

std::string Daemon::WaitForLog(const std::string& text, double seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::string log = Log();
  while (log.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    log = Log();
  }
  return log;
}

std::string GeneratedChain(const TempDir& dir, int count) {
  const std::filesystem::path migrations = dir / "generated";
  std::filesystem::create_directories(migrations);
  std::string parent;
  for (int i = 1; i <= count; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "r%04d", i);
    const std::string n = id + 1;
    WriteFile(migrations / (std::string(id) + ".sql"),
              "-- revision: " + std::string(id) + "\n-- parents: " + parent +
                  "\n-- +upgrade\nCREATE TABLE t" + n + " (id INTEGER PRIMARY KEY, v TEXT);\n" +
                  "CREATE INDEX t" + n + "_v ON t" + n + " (v);\n-- +downgrade\nDROP TABLE t" + n +
                  ";\n");
    parent = id;
  }
  return migrations.string();
}

void RunWithClient(const TempDir& dir, const std::string& url, const std::string& file) {
  const bool sqlite = url.starts_with("sqlite://");
  Process client(
      sqlite ? std::vector<std::string>{"/usr/bin/sqlite3", "-bail", url.substr(9), ".read " + file}
             : std::vector<std::string>{"/usr/bin/psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", url,
                                        "-f", file},
      dir / "client");
  const int code = client.Wait();
  INFO(client.Stdout() << client.Stderr());
  REQUIRE(code == 0);
}

bool WaitForStatus(const std::string& socket,
                   const std::function<bool(const proto::StatusInfo&)>& predicate, double seconds) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    MigctlRun run = RunMigctl(socket, {"status"});
    if (run.exit_code == 0 && predicate(run.result().status())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace migrationd::testing
