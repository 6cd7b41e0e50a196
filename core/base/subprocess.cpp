#include "core/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace migrationd {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Reads both pipes until both close, so that neither child stream can fill up and block.
// `tick` runs at least every 100 ms (a cancel is noticed there).
template <typename Tick>
void Drain(int out_fd, int err_fd, std::string& out, std::string& err, Tick tick) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open_count = (out_fd >= 0) + (err_fd >= 0);
  if (out_fd < 0) fds[0].fd = -1;
  char buffer[8192];
  while (open_count > 0) {
    tick();
    if (poll(fds, 2, 100) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
}

}  // namespace

std::string FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string directories = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= directories.size()) {
    size_t end = directories.find(':', start);
    if (end == std::string::npos) end = directories.size();
    std::filesystem::path candidate =
        std::filesystem::path(directories.substr(start, end - start)) / program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& environment,
                                 const std::string& stdout_path,
                                 const std::function<bool()>& should_stop) {
  if (argv.empty()) return Status::InvalidArgument("no program to run");
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};  // the child writes errno here if execve fails
  if (pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(exec_pipe, O_CLOEXEC) != 0 ||
      (stdout_path.empty() && pipe2(out_pipe, O_CLOEXEC) != 0)) {
    return Status::Io(std::string("pipe: ") + std::strerror(errno));
  }
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]), err_read(err_pipe[0]), err_write(err_pipe[1]);
  Fd exec_read(exec_pipe[0]), exec_write(exec_pipe[1]);
  Fd out_file;
  if (!stdout_path.empty()) {
    out_file.reset(
        open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (out_file.get() < 0) {
      return Status::Io("cannot create " + stdout_path + ": " + std::strerror(errno));
    }
  }
  Fd dev_null(open("/dev/null", O_RDONLY | O_CLOEXEC));

  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string item = *entry;
    std::string key = item.substr(0, item.find('='));
    if (!environment.count(key)) env_strings.push_back(item);
  }
  for (const auto& [key, value] : environment) env_strings.push_back(key + "=" + value);
  std::vector<char*> env;
  env.reserve(env_strings.size() + 1);
  for (auto& item : env_strings) env.push_back(item.data());
  env.push_back(nullptr);
  std::vector<std::string> args_copy = argv;
  std::vector<char*> args;
  args.reserve(args_copy.size() + 1);
  for (auto& arg : args_copy) args.push_back(arg.data());
  args.push_back(nullptr);
  const int child_stdout = stdout_path.empty() ? out_write.get() : out_file.get();

  // fork + execve rather than posix_spawn: the child must ask for PR_SET_PDEATHSIG itself, so
  // that it dies with the daemon (a psql left running under PID 1 would commit a restore no
  // lock protects any more). Its own process group lets a cancel stop it and its children.
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Status::Io(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the daemon died before the line above
    if (dup2(dev_null.get(), STDIN_FILENO) < 0 || dup2(child_stdout, STDOUT_FILENO) < 0 ||
        dup2(err_write.get(), STDERR_FILENO) < 0) {
      _exit(127);
    }
    execve(args[0], args.data(), env.data());
    int error = errno;
    (void)!write(exec_write.get(), &error, sizeof(error));
    _exit(127);
  }
  out_write.reset();
  err_write.reset();
  exec_write.reset();
  out_file.reset();

  int exec_error = 0;
  ssize_t got = 0;
  do {
    got = read(exec_read.get(), &exec_error, sizeof(exec_error));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(exec_error))) {
    int ignored = 0;
    waitpid(pid, &ignored, 0);
    return Status::NotFound("cannot run " + argv[0] + ": " + std::strerror(exec_error));
  }

  ProcessResult result;
  bool stopped = false;
  Drain(out_read.get(), err_read.get(), result.stdout_text, result.stderr_text, [&] {
    if (!stopped && should_stop && should_stop()) {
      stopped = true;
      kill(-pid, SIGTERM);  // the whole group: pg_dump's own workers too
    }
  });
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::Io(std::string("waitpid: ") + std::strerror(errno));
  }
  if (stopped) return Status::Cancelled("cancelled: " + argv[0] + " was stopped");
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace migrationd
