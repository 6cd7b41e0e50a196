// DaemonConfig: everything migrationd is told at start, from an INI file and/or flags.
//
//   migrationd --config /etc/migrationd/migrationd.conf
//   migrationd --database URL --migrations DIR --socket PATH --backup-dir DIR
//
// Flags override the file. Errors name the file and line, or the flag. Plain value.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/backup/backup_store.h"
#include "core/base/maintenance_window.h"
#include "core/base/status.h"

namespace migrationd {

struct DaemonConfig {
  std::string database;    // URL (required)
  std::string migrations;  // scripts directory (required)
  std::string socket_path = "/run/migrationd/migrationd.sock";
  mode_t socket_mode = 0660;
  std::string socket_group;  // chgrp of the socket; empty: the daemon's group
  std::string backup_dir;    // empty: <sqlite dir>/backup/db_bak, or /var/lib/migrationd/backups
  std::string backup_format = "custom";     // PostgreSQL: custom (pg_dump -Fc) or plain
  std::string pg_bin_dir;                   // pg_dump/pg_restore/psql; "" = PATH
  int sqlite_backup_pages = 256;            // pages per online-backup step (writers wait a step)
  std::chrono::seconds backup_interval{0};  // scheduled backups (0: none)
  bool backup_catch_up = false;             // at start, take a scheduled backup that was missed
  // Retention per kind ("before-migrate", ...): count (0: unlimited) and age (0: unlimited).
  std::map<std::string, RetentionRule> retention = {
      {"before-migrate", {10, std::chrono::seconds(0)}},
      {"scheduled", {7, std::chrono::seconds(0)}},
      {"manual", {0, std::chrono::seconds(0)}},
      {"before-restore", {5, std::chrono::seconds(0)}},
  };
  std::vector<std::string> admin_groups;  // besides root and the daemon's own user
  int lock_wait_seconds = 60;             // --wait: how long to wait for another daemon's lock
  int shutdown_grace_seconds = 30;        // SIGTERM: let a running job finish this long
  // How long a migration statement waits for a table lock (PostgreSQL lock_timeout, SQLite's busy
  // timeout) before it is rolled back and retried: while it waits, every later query on that
  // table queues behind it, so short (docs/DESIGN_NOTES.md, "No lock queue").
  int lock_timeout_ms = 1000;
  int statement_timeout_ms = 0;  // PostgreSQL statement_timeout (0: none)
  int lock_retries = 5;          // attempts after a lock timeout, with doubling backoff
  // A migration statement waiting this long for a lock gets its blockers named (PostgreSQL).
  int blocker_report_after_ms = 200;
  // upgrade rehearses the pending revisions on a copy of its backup first: off, on.
  bool rehearse_before_upgrade = false;
  std::string log_level = "info";
  // At start: never (log the start-up check), empty (upgrade a database with no tables, no
  // backup), always (upgrade to head with the usual backup). Dev and CI use; default never.
  std::string auto_upgrade = "never";
  // Lint of the pending revisions before an upgrade: off, warn (default), refuse.
  std::string lint_on_upgrade = "warn";
  // Rows from which a size-dependent lint warning is an error (0: never).
  int lint_large_table = 1000000;
  // When schema changes may run (none: any time). Backups and cancels are never restricted.
  std::vector<MaintenanceWindow> maintenance_windows;
  // Where PostgreSQL scratch databases for the expected schema are created (a URL; empty: the
  // database's own server, which needs CREATEDB).
  std::string scratch_database;
  bool check_schema_at_start = false;  // log drift from the expected schema at start
  // Walks `verify` runs side by side, each on a scratch database of its own (0: one per core,
  // at most 4; core/run/expected_schema.h).
  int verify_workers = 0;
  // Control socket limits (see ServerLimits): a client cannot hold the daemon's resources.
  int max_connections = 64;           // the last eighth (at least one) only admins may take
  int max_connections_per_user = 16;  // for each user who is not an admin
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds frame_timeout{10};
  // Jobs that may wait (queued with --wait or --in-window) at once; more are refused.
  int max_queued_jobs = 100;
  // A daemon serving several databases ([database NAME] sections): this one's NAME, which
  // requests name (migctl --database) and log lines carry. "" for the one database of a
  // configuration without sections.
  std::string database_name;
  // Several databases: the backup directory was not set in this database's own section, so
  // NAME is appended to it (two databases never share one; ResolveBackupDirectory).
  bool backup_dir_per_database = false;
  // Where each setting was last given (key with '_': "/etc/m.conf:3" or "--migrations"), so
  // that a value found unusable later is reported where the operator can fix it.
  std::map<std::string, std::string> origins;

  // "fix 'migrations =' at /etc/m.conf:3", "fix --migrations", or "set --migrations or
  // 'migrations =' in the config" for a setting given nowhere.
  std::string WhereToFix(const std::string& key) const;
};

// Every setting as key (with '_') and value as the operator would write it; secrets in URLs
// are masked. For the reload log (what changed) and --check-config.
std::map<std::string, std::string> DescribeSettings(const DaemonConfig& config);

// Settings of the daemon process, not of one database: in [migrationd] only (a [database NAME]
// section that sets one is refused, naming its line).
bool IsProcessSetting(const std::string& key);

// Refuses two entries of `databases` that name one database (a SQLite file by its canonical
// path; PostgreSQL by hosts, ports and name), naming both lines: a daemon serves each once.
Status CheckDatabasesDistinct(const std::vector<DaemonConfig>& databases);

// Parses the command line (and the --config file it names). `help` is set for --help.
struct ParsedArgs {
  // The process's settings (socket, limits, admins, log level); without [database NAME]
  // sections also the one database's.
  DaemonConfig config;
  // What the daemon serves: `config` alone without sections; else one per [database NAME]
  // section, in the file's order: [migrationd]'s settings as defaults, the section's on top,
  // then the flags (which apply to every database).
  std::vector<DaemonConfig> databases;
  bool help = false;
  bool version = false;
  bool check_config = false;  // --check-config: validate, report, exit
  bool verify = false;        // --verify: round trips on scratch databases, report, exit
};
Result<ParsedArgs> ParseDaemonArgs(int argc, const char* const* argv);

// --help: generated from the same definitions the parser uses.
std::string DaemonUsage();
extern const char* const kMigrationdVersion;

// "30s", "15m", "6h", "2d" or plain seconds.
Result<std::chrono::seconds> ParseDuration(const std::string& text);

}  // namespace migrationd
