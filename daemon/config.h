// DaemonConfig: everything migrationd is told at start, from an INI file and/or flags.
//
//   migrationd --config /etc/migrationd/migrationd.conf
//   migrationd --database URL --migrations DIR --socket PATH --backup-dir DIR
//
// Flags override the file. Errors name the file and line, or the flag. Plain value.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/status.h"

namespace migrationd {

struct DaemonConfig {
  std::string database;    // URL (required)
  std::string migrations;  // scripts directory (required)
  std::string socket_path = "/run/migrationd/migrationd.sock";
  mode_t socket_mode = 0660;
  std::string socket_group;               // chgrp of the socket; empty: the daemon's group
  std::string backup_dir;                 // used by backups (not yet implemented)
  std::vector<std::string> admin_groups;  // besides root and the daemon's own user
  int lock_wait_seconds = 60;             // --wait: how long to wait for another daemon's lock
  int shutdown_grace_seconds = 30;        // SIGTERM: let a running job finish this long
  int lock_timeout_ms = 5000;             // PostgreSQL lock_timeout for a migration's DDL
  int statement_timeout_ms = 0;           // PostgreSQL statement_timeout (0: none)
  int lock_retries = 5;                   // attempts after a lock timeout, with doubling backoff
  std::string log_level = "info";
};

// Parses the command line (and the --config file it names). `help` is set for --help.
struct ParsedArgs {
  DaemonConfig config;
  bool help = false;
  bool version = false;
};
Result<ParsedArgs> ParseDaemonArgs(int argc, const char* const* argv);

extern const char* const kDaemonUsage;

}  // namespace migrationd
