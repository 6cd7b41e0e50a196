#include "daemon/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "core/base/regular_file.h"
#include "core/db/database_url.h"
#include "core/scripts/script.h"

namespace migrationd {

// From CMakeLists.txt's project(... VERSION ...), the one place the version is written.
const char* const kMigrationdVersion = MIGRATIOND_VERSION;

namespace {

// Every setting, as a flag (`--backup-dir`) and a config key (`backup_dir`). The daemon's
// --help is generated from this table, and the parser accepts exactly these flags.
struct Setting {
  const char* flag;
  const char* value;  // the value's name in --help
  const char* help;
};

constexpr Setting kSettings[] = {
    {"database", "URL", "sqlite:///abs/path.db, sqlite://rel.db, postgresql://... (required)"},
    {"migrations", "DIR", "the migration scripts (required)"},
    {"socket", "PATH", "control socket (default /run/migrationd/migrationd.sock)"},
    {"socket-mode", "OCTAL", "socket file mode (default 0660)"},
    {"socket-group", "NAME", "socket file group (default: the daemon's)"},
    {"backup-dir", "DIR",
     "where backups go (default: $STATE_DIRECTORY/backups under systemd; else <sqlite "
     "dir>/backup/db_bak, /var/lib/migrationd/backups for PostgreSQL)"},
    {"backup-format", "F", "PostgreSQL: custom (default) or plain"},
    {"pg-bin-dir", "DIR",
     "where pg_dump, pg_restore, psql are (default: PATH, then the newest "
     "/usr/lib/postgresql/N/bin)"},
    {"sqlite-backup-pages", "N", "pages per SQLite online-backup step (default 256)"},
    {"backup-interval", "D", "scheduled backups every D (30s, 15m, 6h, 1d; default: none)"},
    {"backup-catch-up", "BOOL", "true: at start, take a scheduled backup missed while down"},
    {"retain-before-migrate-count", "N", "keep N before-migrate backups (default 10; 0: all)"},
    {"retain-scheduled-count", "N", "keep N scheduled backups (default 7)"},
    {"retain-manual-count", "N", "keep N manual backups (default 0: all)"},
    {"retain-before-restore-count", "N", "keep N before-restore backups (default 5)"},
    {"retain-before-migrate-age", "D", "delete before-migrate backups older than D"},
    {"retain-scheduled-age", "D", "delete scheduled backups older than D"},
    {"retain-manual-age", "D", "delete manual backups older than D"},
    {"retain-before-restore-age", "D", "delete before-restore backups older than D"},
    {"admin-group", "NAME", "a group allowed to change the database (repeatable)"},
    {"lock-wait", "SECONDS", "longest wait for another daemon's lock with --wait (default 60)"},
    {"shutdown-grace", "SECONDS", "on SIGTERM, let a running job finish this long (default 30)"},
    {"lock-timeout", "MS",
     "how long a migration statement waits for a table lock before it is retried (default "
     "1000)"},
    {"statement-timeout", "MS", "PostgreSQL statement_timeout for migrations (default 0: none)"},
    {"lock-retries", "N", "retries of a revision that hit the lock timeout (default 5)"},
    {"blocker-report-after", "MS",
     "name the sessions blocking a migration statement's lock after it waited this long "
     "(default 200)"},
    {"rehearse-before-upgrade", "on|off",
     "on: every upgrade first rehearses its revisions on a copy of its backup (default off)"},
    {"log-level", "LEVEL", "trace, debug, info, warn, error, critical, off (default info)"},
    {"auto-upgrade", "POLICY",
     "at start: never (default), empty (upgrade a database that has no tables, no backup), "
     "always (upgrade to head with the usual backup; for dev and CI)"},
    {"maintenance-window", "SPEC",
     "when schema changes may run: [WEEKDAYS] HH:MM..HH:MM [UTC], e.g. 'Sat,Sun 02:00..04:00 "
     "UTC' (repeatable; default: any time)"},
    {"scratch-database", "URL",
     "PostgreSQL server for the scratch databases that build the expected schema (default: the "
     "database's own; the role needs CREATEDB)"},
    {"check-schema-at-start", "BOOL", "true: at start, log any drift from the expected schema"},
    {"verify-workers", "N",
     "walks verify runs side by side, each on a scratch database of its own (default 0: one "
     "per core, at most 4)"},
    {"max-connections", "N",
     "clients served at once; more are refused; the last eighth is kept for admins (default 64)"},
    {"max-connections-per-user", "N",
     "connections one user who is not an admin may hold at once (default 16)"},
    {"idle-timeout", "D", "close a connection silent this long between requests (default 60s)"},
    {"frame-timeout", "D", "close a connection that leaves a frame unfinished (default 10s)"},
    {"max-queued-jobs", "N",
     "jobs that may wait at once (--wait, --in-window); more are refused (default 100)"},
    {"lint-on-upgrade", "MODE",
     "lint the pending revisions before an upgrade: off, warn (the findings in the upgrade's "
     "output and the log; default) or refuse (an unsuppressed error stops the upgrade before "
     "its backup, exit 7)"},
    {"lint-large-table", "ROWS",
     "a table with at least this many rows makes a size-dependent lint warning an error "
     "(default 1000000; 0: never)"},
};

// The parser for the flags above; each value lands in `flags` in command-line order.
void DefineDaemonFlags(CLI::App& app, std::string& config_file,
                       std::vector<std::pair<std::string, std::string>>& flags, bool& check_config,
                       bool& verify) {
  app.description(
      "migrationd: the schema-migration daemon. Runs in the foreground and logs to stderr. "
      "Flags override the config file, an INI file with a [migrationd] section whose keys are "
      "the flags' names with '_' for '-'.");
  app.set_version_flag("--version", "migrationd " + std::string(kMigrationdVersion));
  app.add_option("--config", config_file, "the configuration file")->type_name("FILE");
  app.add_flag("--verify", verify,
               "verify the scripts' round trips and exit (no socket, the database is not "
               "touched): each revision upgraded, downgraded and upgraded again on a scratch "
               "database made on --database's server (PostgreSQL) or in TMPDIR (SQLite); 0 when "
               "every schema matched, 7 naming the first revision that did not, 1 on an error");
  app.add_flag("--check-config", check_config,
               "check the configuration (file and flags), print what it says and exit: 0 when "
               "usable, 2 naming the file, line and key otherwise");
  for (const auto& setting : kSettings) {
    const std::string key = setting.flag;
    CLI::Option* option = app.add_option("--" + key, setting.help)->type_name(setting.value);
    option->each([&flags, key](const std::string& value) { flags.emplace_back(key, value); });
    // A repeated flag: the last one wins (a wrapper may append to a unit's command line),
    // except --admin-group and --maintenance-window, which add one each time.
    const bool adds = key == "admin-group" || key == "maintenance-window";
    option->multi_option_policy(adds ? CLI::MultiOptionPolicy::TakeAll
                                     : CLI::MultiOptionPolicy::TakeLast);
  }
}

// A setting's key as the file writes it (flags use '-').
std::string Underscored(std::string key) {
  for (char& c : key) c = c == '-' ? '_' : c;
  return key;
}

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") + 1 - begin);
}

Status ParseInt(const std::string& value, int& out, const std::string& where) {
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (error != std::errc() || end != value.data() + value.size() || out < 0) {
    return Status::InvalidArgument(where + ": '" + value + "' is not a non-negative integer");
  }
  return Status::Ok();
}

// Applies one setting by its key (file keys use '_', flags '-'; both are accepted here).
Status Apply(DaemonConfig& config, std::string key, const std::string& value,
             const std::string& where) {
  key = Underscored(std::move(key));
  config.origins[key] = where;
  if (key == "database") {
    config.database = value;
  } else if (key == "migrations") {
    config.migrations = value;
  } else if (key == "socket") {
    config.socket_path = value;
  } else if (key == "socket_mode") {
    unsigned mode = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), mode, 8);
    if (error != std::errc() || end != value.data() + value.size() || mode > 0777) {
      return Status::InvalidArgument(where + ": socket mode '" + value +
                                     "' is not an octal mode such as 0660");
    }
    config.socket_mode = static_cast<mode_t>(mode);
  } else if (key == "socket_group") {
    config.socket_group = value;
  } else if (key == "backup_dir") {
    config.backup_dir = value;
  } else if (key == "admin_group") {
    config.admin_groups.push_back(value);
  } else if (key == "admin_groups") {
    size_t pos = 0;
    while (pos <= value.size()) {
      size_t comma = value.find(',', pos);
      if (comma == std::string::npos) comma = value.size();
      if (std::string group = Trim(value.substr(pos, comma - pos)); !group.empty()) {
        config.admin_groups.push_back(group);
      }
      pos = comma + 1;
    }
  } else if (key == "lock_wait") {
    return ParseInt(value, config.lock_wait_seconds, where);
  } else if (key == "shutdown_grace") {
    return ParseInt(value, config.shutdown_grace_seconds, where);
  } else if (key == "lock_timeout") {
    return ParseInt(value, config.lock_timeout_ms, where);
  } else if (key == "statement_timeout") {
    return ParseInt(value, config.statement_timeout_ms, where);
  } else if (key == "backup_format") {
    if (value != "custom" && value != "plain") {
      return Status::InvalidArgument(where + ": backup_format must be custom or plain");
    }
    config.backup_format = value;
  } else if (key == "pg_bin_dir") {
    config.pg_bin_dir = value;
  } else if (key == "sqlite_backup_pages") {
    return ParseInt(value, config.sqlite_backup_pages, where);
  } else if (key == "backup_interval") {
    auto interval = ParseDuration(value);
    if (!interval.ok()) return interval.status().WithContext(where);
    config.backup_interval = *interval;
  } else if (key == "backup_catch_up") {
    if (value != "true" && value != "false") {
      return Status::InvalidArgument(where + ": backup_catch_up must be true or false");
    }
    config.backup_catch_up = value == "true";
  } else if (key.starts_with("retain_") && (key.ends_with("_count") || key.ends_with("_age"))) {
    // retain_before_migrate_count, retain_scheduled_age, ...
    bool count = key.ends_with("_count");
    std::string kind = key.substr(7, key.size() - 7 - (count ? 6 : 4));
    for (char& c : kind) c = c == '_' ? '-' : c;
    if (!config.retention.count(kind)) {
      return Status::InvalidArgument(where + ": unknown backup kind '" + kind +
                                     "' (before_migrate, scheduled, manual, before_restore)");
    }
    if (count) return ParseInt(value, config.retention[kind].count, where);
    auto age = ParseDuration(value);
    if (!age.ok()) return age.status().WithContext(where);
    config.retention[kind].max_age = *age;
  } else if (key == "lock_retries") {
    return ParseInt(value, config.lock_retries, where);
  } else if (key == "blocker_report_after") {
    return ParseInt(value, config.blocker_report_after_ms, where);
  } else if (key == "rehearse_before_upgrade") {
    if (value != "on" && value != "off") {
      return Status::InvalidArgument(where + ": rehearse_before_upgrade must be on or off, not '" +
                                     value + "'");
    }
    config.rehearse_before_upgrade = value == "on";
  } else if (key == "log_level") {
    static const char* const kLevels[] = {"trace", "debug",    "info", "warn",
                                          "error", "critical", "off"};
    if (std::find(std::begin(kLevels), std::end(kLevels), value) == std::end(kLevels)) {
      return Status::InvalidArgument(where + ": log level '" + value +
                                     "' is unknown; use trace, debug, info, warn, error, "
                                     "critical or off");
    }
    config.log_level = value;
  } else if (key == "auto_upgrade") {
    if (value != "never" && value != "empty" && value != "always") {
      return Status::InvalidArgument(
          where + ": auto_upgrade must be never, empty or always, not '" + value + "'");
    }
    config.auto_upgrade = value;
  } else if (key == "lint_on_upgrade") {
    if (value != "off" && value != "warn" && value != "refuse") {
      return Status::InvalidArgument(
          where + ": lint_on_upgrade must be off, warn or refuse, not '" + value + "'");
    }
    config.lint_on_upgrade = value;
  } else if (key == "lint_large_table") {
    return ParseInt(value, config.lint_large_table, where);
  } else if (key == "maintenance_window") {
    auto window = MaintenanceWindow::Parse(value);
    if (!window.ok()) return window.status().WithContext(where);
    config.maintenance_windows.push_back(std::move(window).value());
  } else if (key == "scratch_database") {
    if (CarriesSecret(value) && where.starts_with("--")) {
      return Status::InvalidArgument(where +
                                     " carries a password, which every user can read "
                                     "with ps; use a PGPASSFILE or the config file");
    }
    config.scratch_database = value;
  } else if (key == "check_schema_at_start") {
    if (value != "true" && value != "false") {
      return Status::InvalidArgument(where + ": check_schema_at_start must be true or false");
    }
    config.check_schema_at_start = value == "true";
  } else if (key == "max_connections") {
    MIGRATIOND_RETURN_IF_ERROR(ParseInt(value, config.max_connections, where));
    if (config.max_connections < 1) {
      return Status::InvalidArgument(where + ": max_connections must be at least 1");
    }
  } else if (key == "verify_workers") {
    MIGRATIOND_RETURN_IF_ERROR(ParseInt(value, config.verify_workers, where));
    if (config.verify_workers < 0 || config.verify_workers > 64) {
      return Status::InvalidArgument(where + ": verify_workers must be 0 (one per core) to 64");
    }
  } else if (key == "max_connections_per_user") {
    MIGRATIOND_RETURN_IF_ERROR(ParseInt(value, config.max_connections_per_user, where));
    if (config.max_connections_per_user < 1) {
      return Status::InvalidArgument(where + ": max_connections_per_user must be at least 1");
    }
  } else if (key == "max_queued_jobs") {
    MIGRATIOND_RETURN_IF_ERROR(ParseInt(value, config.max_queued_jobs, where));
    if (config.max_queued_jobs < 1) {
      return Status::InvalidArgument(where + ": max_queued_jobs must be at least 1");
    }
  } else if (key == "idle_timeout" || key == "frame_timeout") {
    auto timeout = ParseDuration(value);
    if (!timeout.ok()) return timeout.status().WithContext(where);
    if (timeout->count() < 1) return Status::InvalidArgument(where + ": must be at least 1s");
    (key == "idle_timeout" ? config.idle_timeout : config.frame_timeout) = *timeout;
  } else {
    return Status::InvalidArgument(where + ": unknown setting '" + key +
                                   "'; 'migrationd --help' lists them");
  }
  return Status::Ok();
}

// A password may live in the config file only if no one but the daemon's user can read it.
Status CheckSecretFile(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0)
    return Status::NotFound("cannot read config file '" + path + "'");
  if (info.st_uid != geteuid() || (info.st_mode & 077) != 0) {
    return Status::PermissionDenied(
        path +
        " holds a database password but is readable by others or not owned by the "
        "daemon's user (uid " +
        std::to_string(geteuid()) +
        "); chown it to that user and "
        "chmod 0600 it, or keep the password in a PGPASSFILE");
  }
  return Status::Ok();
}

// The configuration file's text. Opened non-blocking and required to be a regular file: a FIFO
// would hang the daemon's main thread (on SIGHUP, answering nothing) in open() or read().
Result<std::string> ReadConfigFile(const std::string& path) {
  constexpr size_t kMaxConfigBytes = size_t{1} << 20;
  RegularFileRead read = ReadRegularFile(path, 0, kMaxConfigBytes);
  if (read.error != 0 && read.mode == 0) {
    return Status::NotFound("cannot read config file '" + path + "': " + std::strerror(read.error));
  }
  std::string problem;
  if (read.error != 0) {
    problem = std::strerror(read.error);
  } else if (S_ISDIR(read.mode)) {
    problem = "it is a directory; give the file inside it";
  } else if (!read.regular) {
    problem = "it is not a regular file (a FIFO, socket or device); give a plain file";
  } else if (read.too_large) {
    problem = "it is larger than 1 MiB, which no configuration is";
  }
  if (!problem.empty()) {
    return Status::InvalidArgument("cannot use config file '" + path + "': " + problem);
  }
  return std::move(read.text);
}

// One `key = value` line of the config file.
struct FileSetting {
  std::string key, value, where;
};
// A [database NAME] section.
struct DatabaseSection {
  std::string name, where;
  std::vector<FileSetting> settings;
};
struct ConfigFile {
  std::vector<FileSetting> daemon;  // [migrationd] (and lines before any section)
  std::vector<DatabaseSection> databases;
};

// Letters, digits, '_' and '-', as revision labels: the name goes into requests, log lines and
// backup directory names.
bool IsDatabaseName(const std::string& name) {
  return !name.empty() && name.size() <= 63 &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_' || c == '-'; });
}

Status StartSection(const std::string& header, const std::string& where, ConfigFile& file,
                    std::vector<FileSetting>*& into) {
  if (header == "migrationd") {
    into = &file.daemon;
    return Status::Ok();
  }
  const std::string kDatabase = "database";
  if (!header.starts_with(kDatabase) || header.size() == kDatabase.size() ||
      (header[kDatabase.size()] != ' ' && header[kDatabase.size()] != '\t')) {
    return Status::ParseError(where + ": unknown section [" + header +
                              "]; settings go in [migrationd], and each database of a daemon "
                              "that serves several in [database NAME]");
  }
  const std::string name = Trim(header.substr(kDatabase.size()));
  if (!IsDatabaseName(name)) {
    return Status::ParseError(where + ": database name '" + name +
                              "' must be 1 to 63 letters, digits, '_' or '-'");
  }
  for (const auto& section : file.databases) {
    if (section.name == name) {
      return Status::ParseError(where + ": [database " + name + "] again; the first is at " +
                                section.where);
    }
  }
  file.databases.push_back({name, where, {}});
  into = &file.databases.back().settings;
  return Status::Ok();
}

Result<ConfigFile> LoadFile(const std::string& path) {
  auto text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  ConfigFile file;
  std::vector<FileSetting>* into = &file.daemon;
  while (std::getline(in, line)) {
    ++number;
    std::string where = path + ":" + std::to_string(number);
    // Values become paths and URLs handed on as C strings: a NUL would cut them short.
    if (line.find('\0') != std::string::npos) {
      return Status::ParseError(where + ": a NUL byte; the file must be plain text");
    }
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return Status::ParseError(where + ": unterminated section header");
      MIGRATIOND_RETURN_IF_ERROR(
          StartSection(Trim(line.substr(1, line.size() - 2)), where, file, into));
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return Status::ParseError(where + ": expected 'key = value'");
    }
    into->push_back({Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)), where});
  }
  return file;
}

// What tells two databases apart: a SQLite file's canonical path; a PostgreSQL URI's hosts,
// ports and database name as written (not its user or parameters). "" if the URL is unusable
// (the daemon reports that itself).
std::string DatabaseIdentity(const std::string& text) {
  auto url = DatabaseUrl::Parse(text);
  if (!url.ok()) return "";
  if (url->dialect() == kDialectSqlite) {
    std::error_code error;
    return "sqlite:" + std::filesystem::weakly_canonical(url->target(), error).string();
  }
  auto uri = PostgresUri::Parse(text);
  return uri ? "postgresql:" + uri->location : "";
}

// One database of a file with [database NAME] sections: the [migrationd] settings and the
// flags in `base`, its section's settings on top, then the flags again (they override files).
Result<DaemonConfig> SectionDatabase(
    const DaemonConfig& base, const DatabaseSection& section,
    const std::vector<std::pair<std::string, std::string>>& flags) {
  DaemonConfig config = base;
  config.database_name = section.name;
  // Windows add up within one place; a section's own windows replace [migrationd]'s.
  if (std::any_of(section.settings.begin(), section.settings.end(), [](const FileSetting& s) {
        return Underscored(s.key) == "maintenance_window";
      })) {
    config.maintenance_windows.clear();
  }
  for (const auto& setting : section.settings) {
    if (IsProcessSetting(Underscored(setting.key))) {
      return Status::InvalidArgument(setting.where + ": '" + setting.key +
                                     "' is a setting of the daemon, not of one database; put it "
                                     "in [migrationd]");
    }
    MIGRATIOND_RETURN_IF_ERROR(Apply(config, setting.key, setting.value, setting.where));
  }
  const bool own_backup_dir =
      std::any_of(section.settings.begin(), section.settings.end(),
                  [](const FileSetting& s) { return Underscored(s.key) == "backup_dir"; });
  for (const auto& [key, value] : flags) {
    if (!IsProcessSetting(Underscored(key))) {
      MIGRATIOND_RETURN_IF_ERROR(Apply(config, key, value, "--" + key));
    }
  }
  config.backup_dir_per_database =
      !own_backup_dir || config.origins["backup_dir"].starts_with("--");
  auto missing = [&section](const std::string& line, const std::string& also) {
    return Status::InvalidArgument("[database " + section.name + "] (" + section.where +
                                   ") names no " + line.substr(0, line.find(' ')) + ": add '" +
                                   line + "' to that section" + also);
  };
  if (config.database.empty()) return missing("database = URL", "");
  if (config.migrations.empty()) {
    return missing("migrations = DIR", " (or to [migrationd], for every database)");
  }
  return config;
}

}  // namespace

// Two sections naming one database would be two job queues and two backup directories for it.
Status CheckDatabasesDistinct(const std::vector<DaemonConfig>& databases) {
  for (size_t i = 0; i < databases.size(); ++i) {
    const std::string identity = DatabaseIdentity(databases[i].database);
    for (size_t j = 0; j < i && !identity.empty(); ++j) {
      if (DatabaseIdentity(databases[j].database) != identity) continue;
      return Status::InvalidArgument(databases[i].origins.at("database") + ": [database " +
                                     databases[i].database_name + "] is the database [database " +
                                     databases[j].database_name + "] names (" +
                                     databases[j].origins.at("database") +
                                     "); a daemon serves each database once: remove one section");
    }
  }
  return Status::Ok();
}

bool IsProcessSetting(const std::string& key) {
  static const std::set<std::string> kProcess = {
      "socket",         "socket_mode",     "socket_group",
      "admin_group",    "admin_groups",    "log_level",
      "shutdown_grace", "max_connections", "max_connections_per_user",
      "idle_timeout",   "frame_timeout"};
  return kProcess.count(key) != 0;
}

std::map<std::string, std::string> DescribeSettings(const DaemonConfig& config) {
  auto url = [](const std::string& text) -> std::string {
    if (text.empty()) return "";
    auto parsed = DatabaseUrl::Parse(text);
    return parsed.ok() ? parsed->Redacted() : "(not a usable URL)";
  };
  auto seconds = [](std::chrono::seconds value) { return std::to_string(value.count()) + "s"; };
  auto join = [](const auto& items, auto text) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + text(item);
    return joined;
  };
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(config.socket_mode));
  std::map<std::string, std::string> settings = {
      {"database", url(config.database)},
      {"migrations", config.migrations},
      {"socket", config.socket_path},
      {"socket_mode", mode},
      {"socket_group", config.socket_group},
      {"backup_dir", config.backup_dir},
      {"backup_format", config.backup_format},
      {"pg_bin_dir", config.pg_bin_dir},
      {"sqlite_backup_pages", std::to_string(config.sqlite_backup_pages)},
      {"backup_interval",
       config.backup_interval.count() == 0 ? "none" : seconds(config.backup_interval)},
      {"backup_catch_up", config.backup_catch_up ? "true" : "false"},
      {"admin_groups", join(config.admin_groups, [](const std::string& g) { return g; })},
      {"lock_wait", std::to_string(config.lock_wait_seconds)},
      {"shutdown_grace", std::to_string(config.shutdown_grace_seconds)},
      {"lock_timeout", std::to_string(config.lock_timeout_ms)},
      {"blocker_report_after", std::to_string(config.blocker_report_after_ms)},
      {"rehearse_before_upgrade", config.rehearse_before_upgrade ? "on" : "off"},
      {"statement_timeout", std::to_string(config.statement_timeout_ms)},
      {"lock_retries", std::to_string(config.lock_retries)},
      {"log_level", config.log_level},
      {"auto_upgrade", config.auto_upgrade},
      {"lint_on_upgrade", config.lint_on_upgrade},
      {"lint_large_table", std::to_string(config.lint_large_table)},
      {"maintenance_window",
       join(config.maintenance_windows, [](const MaintenanceWindow& w) { return w.spec; })},
      {"scratch_database", url(config.scratch_database)},
      {"check_schema_at_start", config.check_schema_at_start ? "true" : "false"},
      {"verify_workers", std::to_string(config.verify_workers)},
      {"max_connections", std::to_string(config.max_connections)},
      {"idle_timeout", seconds(config.idle_timeout)},
      {"frame_timeout", seconds(config.frame_timeout)},
      {"max_queued_jobs", std::to_string(config.max_queued_jobs)},
      {"max_connections_per_user", std::to_string(config.max_connections_per_user)},
  };
  for (const auto& [kind, rule] : config.retention) {
    std::string key = "retain_" + kind;
    for (char& c : key) c = c == '-' ? '_' : c;
    settings[key + "_count"] = std::to_string(rule.count);
    settings[key + "_age"] = rule.max_age.count() == 0 ? "none" : seconds(rule.max_age);
  }
  return settings;
}

std::string DaemonConfig::WhereToFix(const std::string& key) const {
  std::string flag = "--" + key;
  for (char& c : flag) c = c == '_' ? '-' : c;
  auto origin = origins.find(key);
  if (origin == origins.end()) {
    return "set " + flag + " or '" + key + " =' in the config";
  }
  if (origin->second.starts_with("--")) return "fix " + flag;
  return "fix '" + key + " =' at " + origin->second;
}

Result<std::chrono::seconds> ParseDuration(const std::string& text) {
  static const std::map<char, long> kUnits = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  std::string digits = text;
  long unit = 1;
  if (!digits.empty() && kUnits.count(digits.back())) {
    unit = kUnits.at(digits.back());
    digits.pop_back();
  }
  long value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value < 0) {
    return Status::InvalidArgument("'" + text + "' is not a duration such as 30s, 15m, 6h or 1d");
  }
  return std::chrono::seconds(value * unit);
}

std::string DaemonUsage() {
  CLI::App app("", "migrationd");
  std::string config_file;
  std::vector<std::pair<std::string, std::string>> flags;
  bool check_config = false;
  bool verify = false;
  DefineDaemonFlags(app, config_file, flags, check_config, verify);
  return app.help();
}

Result<ParsedArgs> ParseDaemonArgs(int argc, const char* const* argv) {
  ParsedArgs parsed;
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_file;
  CLI::App app("", "migrationd");
  DefineDaemonFlags(app, config_file, flags, parsed.check_config, parsed.verify);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.help = true;
    return parsed;
  } catch (const CLI::CallForVersion&) {
    parsed.version = true;
    return parsed;
  } catch (const CLI::ParseError& error) {
    return Status::InvalidArgument(std::string(error.what()) +
                                   " ('migrationd --help' lists the options)");
  }
  ConfigFile file;
  if (!config_file.empty()) {
    auto loaded = LoadFile(config_file);
    if (!loaded.ok()) return loaded.status();
    file = std::move(loaded).value();
    for (const auto& setting : file.daemon) {
      MIGRATIOND_RETURN_IF_ERROR(Apply(parsed.config, setting.key, setting.value, setting.where));
    }
  }
  const bool sections = !file.databases.empty();
  for (const auto& [key, value] : flags) {
    // Every user sees a process's arguments (ps, /proc/PID/cmdline).
    if (key == "database" && CarriesSecret(value)) {
      return Status::InvalidArgument(
          "--database carries a password, which every user on this host can read with ps; "
          "put it in a PGPASSFILE (libpq's ~/.pgpass format) or in the config file's "
          "'database =' (mode 0600, owned by the daemon's user), and pass the URL without it");
    }
    if (key == "database" && sections) {
      return Status::InvalidArgument(
          "--database cannot be used with the [database NAME] sections of " + config_file +
          ": each section names its database");
    }
    // With sections, a database's flag applies to each database, after its section.
    if (sections && !IsProcessSetting(Underscored(key))) continue;
    MIGRATIOND_RETURN_IF_ERROR(Apply(parsed.config, key, value, "--" + key));
  }
  if (sections) {
    if (!parsed.config.database.empty()) {
      return Status::InvalidArgument(parsed.config.origins["database"] +
                                     ": 'database =' in [migrationd] beside [database NAME] "
                                     "sections would serve a database without a name; move it "
                                     "into a [database NAME] section");
    }
    for (const auto& section : file.databases) {
      auto database = SectionDatabase(parsed.config, section, flags);
      if (!database.ok()) return database.status();
      parsed.databases.push_back(std::move(database).value());
    }
    MIGRATIOND_RETURN_IF_ERROR(CheckDatabasesDistinct(parsed.databases));
  }
  bool secrets = CarriesSecret(parsed.config.scratch_database);
  for (const auto& database : parsed.databases) {
    secrets =
        secrets || CarriesSecret(database.database) || CarriesSecret(database.scratch_database);
  }
  if (!config_file.empty() && (secrets || CarriesSecret(parsed.config.database))) {
    MIGRATIOND_RETURN_IF_ERROR(CheckSecretFile(config_file));
  }
  if (sections) return parsed;
  // With a config file in use, the setting belongs there.
  auto missing = [&config_file](const char* what, const char* key, const char* value) {
    if (config_file.empty()) {
      return Status::InvalidArgument(std::string("no ") + what + ": give --" + key + " " + value +
                                     " or use --config FILE with '" + key + " = " + value + "'");
    }
    return Status::InvalidArgument(std::string("no ") + what + ": " + config_file + " has no '" +
                                   key + " =' line in [migrationd]; add '" + key + " = " + value +
                                   "' there");
  };
  if (parsed.config.database.empty()) return missing("database", "database", "URL");
  if (parsed.config.migrations.empty()) {
    return missing("migrations directory", "migrations", "DIR");
  }
  parsed.databases.push_back(parsed.config);
  return parsed;
}

}  // namespace migrationd
