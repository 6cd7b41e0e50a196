// migctl's command line, defined once with CLI11: the parser, `--help` and the checks all come
// from the same definitions, so a flag a command does not take is an error naming it (never
// silently ignored) and the help cannot disagree with what is accepted.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "migrationd.pb.h"

namespace migrationd {

// The project version (CMakeLists.txt, `project(... VERSION ...)`), defined in command_line.cpp.
extern const char* const kMigctlVersion;
constexpr const char* kDefaultSocket = "/run/migrationd/migrationd.sock";
// How long migctl waits for a free connection when the daemon is at its connection limits.
inline constexpr std::chrono::milliseconds kBusyPatience{2000};

struct CommandLine {
  std::string command;                                  // "status", "upgrade", ...
  proto::Command request = proto::COMMAND_UNSPECIFIED;  // unspecified: a local command
  std::string socket;
  std::string database;  // -d/--database: which of the daemon's databases ("" : its only one)
  bool json = false;
  bool wait = false;
  bool dry_run = false;
  bool verbose = false;
  bool no_backup = false;
  bool from_other_database = false;
  bool force = false;      // run outside the maintenance windows
  bool in_window = false;  // queue for the next maintenance window
  bool apply = false;      // baseline: stamp the match
  bool schema = false;     // check: compare the schema too
  std::string from, to;    // verify: the range
  bool sql = false;        // upgrade/downgrade --sql: print the SQL offline
  bool atomic = false;     // upgrade/downgrade: one transaction for the plan
  std::string dialect;     // --sql: the engine to print for
  std::string label;
  std::string range;
  std::string message;
  std::string migrations;
  std::string id;
  bool autogenerate = false;                // revision: from a desired schema (runs migrationd)
  std::vector<std::string> from_databases;  // revision --autogenerate: one per engine
  std::string from_schema;                  // ... or a file of CREATE statements
  std::vector<std::string> renames;         // revision --autogenerate --rename
  std::string scratch_database;
  bool sql_only = false;  // revision --autogenerate: print, do not write
  bool online = false;    // revision --autogenerate: PostgreSQL's non-blocking forms
  std::string reason;
  bool all = false;             // lint: every revision
  bool fresh_backup = false;    // rehearse: on a backup taken now
  bool rehearse = false;        // upgrade: rehearse on a copy of the backup first
  std::string format = "text";  // lint: text, github or sarif
  uint32_t limit = 0;
  std::vector<std::string> arguments;  // the command's positional arguments
};

// What parsing decided: run `line`, or print `text` (help, version) and exit with `exit_code`,
// or fail with `error` (a usage error, exit 2).
struct ParsedCommandLine {
  enum class Outcome { kRun, kPrint, kUsageError } outcome = Outcome::kRun;
  CommandLine line;
  std::string text;
  std::string error;
};

ParsedCommandLine ParseCommandLine(int argc, const char* const* argv);

// The commands and the flags each takes, as the parser defines them (for the docs check).
struct CommandFlags {
  std::string command;
  std::vector<std::string> flags;  // long names, "--wait"; short-only ones as "-n"
};
std::vector<CommandFlags> DescribeCommands();

}  // namespace migrationd
