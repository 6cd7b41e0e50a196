// Real processes for the end-to-end tests: migrationd daemons on temp sockets and migctl runs
// whose --json output is parsed back into protocol messages.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "migrationd.pb.h"
#include "tests/test_support.h"

namespace migrationd::testing {

struct MigctlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::vector<proto::ServerMessage> messages;  // parsed --json lines

  // The final result (fails the test if there is none).
  const proto::Result& result() const;
  std::vector<proto::Event> events() const;
};

// A child process with its stdout and stderr captured to files.
class Process {
 public:
  // Starts `argv` (argv[0] is a path). With `as_uid`, the child drops to that uid/gid first.
  Process(const std::vector<std::string>& argv, const std::string& output_prefix,
          std::optional<uid_t> as_uid = std::nullopt);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the exit; returns the exit code, or 128+signal.
  int Wait();
  bool Running();
  void Signal(int signal);
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
  std::string err_path_;
};

// Starts `migctl --socket SOCKET --json ARGS...` in the background (output under
// `output_prefix`); FinishMigctl waits for it and parses what it printed.
std::unique_ptr<Process> StartMigctl(const std::string& socket,
                                     const std::vector<std::string>& args,
                                     const std::string& output_prefix);
MigctlRun FinishMigctl(Process& process);

// Starts migctl and waits for it.
MigctlRun RunMigctl(const std::string& socket, std::vector<std::string> args,
                    std::optional<uid_t> as_uid = std::nullopt);
// Parses migctl --json output.
MigctlRun ParseMigctl(int exit_code, std::string out, std::string err);

class Daemon {
 public:
  // Starts migrationd on `socket` for `database_url` and waits until it answers. An empty
  // `database_url` leaves the database to a --config file in `extra_args`. A `wrapper` (e.g.
  // strace and its flags) runs the daemon as its last argument; pid() is then the wrapper's.
  Daemon(const TempDir& dir, const std::string& name, const std::string& database_url,
         const std::string& migrations, std::vector<std::string> extra_args = {},
         std::vector<std::string> wrapper = {});
  ~Daemon();
  const std::string& socket() const { return socket_; }
  pid_t pid() const { return process_->pid(); }
  MigctlRun Migctl(std::vector<std::string> args,
                   std::optional<uid_t> as_uid = std::nullopt) const {
    return RunMigctl(socket_, std::move(args), as_uid);
  }
  // SIGTERM and wait: the exit code.
  int Stop();
  void Kill();  // SIGKILL and wait
  std::string Log() const { return process_->Stderr(); }
  // The log once it contains `text` (the start-up check runs beside the first requests), or
  // as it is after `seconds`.
  std::string WaitForLog(const std::string& text, double seconds = 15) const;

 private:
  void KillWrappedDaemon();
  std::string socket_;
  std::unique_ptr<Process> process_;
  pid_t wrapped_daemon_ = -1;  // with a wrapper: the daemon's own pid (SO_PEERCRED)
};

// The pid of the process listening on a Unix socket (SO_PEERCRED of a connection), or -1.
pid_t ListenerPid(const std::string& socket_path);

// One SQLite statement that keeps the database's connection busy for about `seconds` (at least
// that on an idle machine, longer on a loaded one): a recursive count whose rate is measured by
// tests/sqlite_count_rate of the daemon's build (ASan and TSan run the count 4-6x slower).
std::string SqliteBusyStatement(double seconds);

// A revision (parent 003) whose upgrade creates table `slow_marker` and then computes for about
// `seconds` inside the same transaction, so that tests can act while it runs.
std::string SlowRevision(const std::string& id, const std::string& parent, int seconds);

// A linear chain of `count` revisions r0001..rNNNN in `dir`/generated (no seed), each creating
// one table and one index, as the benchmarks generate it. Returns the directory.
std::string GeneratedChain(const TempDir& dir, int count);

// Runs a file of SQL with the engine's own command-line client (sqlite3 -bail, psql with
// ON_ERROR_STOP), as an operator runs `migctl upgrade --sql`'s output; requires success.
void RunWithClient(const TempDir& dir, const std::string& url, const std::string& file);

// Polls `status --json` until `predicate` holds or `seconds` pass.
bool WaitForStatus(const std::string& socket,
                   const std::function<bool(const proto::StatusInfo&)>& predicate,
                   double seconds = 15);

// A repeated protobuf string field as a vector, for comparisons.
inline std::vector<std::string> List(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return {items.begin(), items.end()};
}

// A raw connection to a daemon's socket, for tests that speak the protocol byte by byte.
class RawClient {
 public:
  explicit RawClient(const std::string& path);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  void Send(const std::string& bytes);
  // Everything the daemon sends until it closes the connection (or 5 s pass).
  std::string ReadUntilClosed();
  // Reads one whole frame and parses it (fails the test on EOF or timeout).
  proto::ServerMessage ReadMessage();
  // Parses the first frame of `bytes` as a ServerMessage.
  static proto::ServerMessage FirstMessage(const std::string& bytes);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// The frame of a hello, and of a request, as migctl would send them.
std::string HelloFrame();
std::string RequestFrame(proto::Command command, uint64_t request_id);

// A process's resident memory in KiB, from /proc.
long ResidentKib(pid_t pid);

std::string MigrationdBinary();
std::string MigctlBinary();

}  // namespace migrationd::testing

namespace migrationd {
// The names nearly every end-to-end test file uses, declared once.
using testing::Daemon;
using testing::MigctlRun;
using testing::PostgresDatabase;
using testing::Rows;
using testing::SqliteDatabase;
using testing::TempDir;
}  // namespace migrationd
