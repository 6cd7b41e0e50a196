// RunProcess: runs a program with an argument vector (fork + execve, never a shell), with
// extra environment variables, and returns its exit status and stderr. The child runs in a
// process group of its own and is killed (SIGKILL) when the thread that started it dies with
// the daemon, so no pg_dump, pg_restore or psql outlives the daemon's authority.
//
// Used for pg_dump, pg_restore and psql: credentials go in `environment` (PGPASSWORD), never in
// `argv`, so they do not show in /proc/*/cmdline. Thread-safe (no shared state).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace migrationd {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string stdout_text;
  std::string stderr_text;
};

// `argv[0]` is the program's path. stdin is /dev/null. stdout is captured unless
// `stdout_path` is given, in which case it goes to that file (created 0600, truncated).
// `should_stop` is polled every 100 ms: true sends SIGTERM to the child's process group and
// the call returns Cancelled once it has exited.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& environment = {},
                                 const std::string& stdout_path = "",
                                 const std::function<bool()>& should_stop = {});

// The path of `program` found in $PATH, or "" if there is none.
std::string FindInPath(const std::string& program);

}  // namespace migrationd
