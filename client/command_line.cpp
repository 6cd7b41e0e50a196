#include "client/command_line.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <limits>

namespace migrationd {

// From CMakeLists.txt's project(... VERSION ...), the one place the version is written.
const char* const kMigctlVersion = MIGRATIOND_VERSION;

namespace {

constexpr const char* kExitCodes =
    "Exit codes: 0 ok, 1 failed, 2 usage, 3 not at head, 4 busy or conflict, 5 daemon "
    "unreachable, 6 permission denied, 7 integrity error, 8 outside the maintenance window.";

// A row of the command table: adding a command is adding a row (and its flags in AddFlags).
struct CommandSpec {
  const char* name;
  proto::Command request;  // COMMAND_UNSPECIFIED: local
  const char* help;
};

constexpr CommandSpec kCommands[] = {
    {"status", proto::STATUS, "daemon, database, revisions, lock, running job, backups"},
    {"current", proto::CURRENT, "the database's current revision(s)"},
    {"heads", proto::HEADS, "the scripts' head revision(s)"},
    {"history", proto::HISTORY, "the revisions, newest first, marked head/current/pending"},
    {"show", proto::SHOW, "one revision: fields, state and SQL"},
    {"check", proto::CHECK, "exit 0 at head, 3 if revisions are pending, 7 on integrity problems"},
    {"log", proto::LOG, "the audit trail: upgrades, downgrades, stamps, repairs, restores"},
    {"upgrade", proto::UPGRADE,
     "back up, then apply revisions up to TARGET: head (default), heads, +N, a revision"},
    {"downgrade", proto::DOWNGRADE,
     "back up, then roll back to TARGET: -N, a revision or unique prefix, base"},
    {"stamp", proto::STAMP,
     "set the version rows to REV (base, head, heads, a revision) "
     "without running SQL"},
    {"backup", proto::BACKUP, "take a verified manual backup now"},
    {"backups", proto::BACKUPS, "list this database's backups: kind, revision, size, age"},
    {"restore", proto::RESTORE,
     "back up the current state, then restore backup ID (data and revision)"},
    {"repair", proto::REPAIR,
     "accept edited applied scripts: record their new checksums and why (admins)"},
    {"resume", proto::RESUME,
     "run the remaining statements of a half-applied 'transaction: none' revision"},
    {"baseline", proto::BASELINE,
     "which revision's schema the database has (--apply: record it as its revision)"},
    {"verify", proto::VERIFY,
     "on a scratch database: upgrade, downgrade and upgrade again each revision; the schemas "
     "must match"},
    {"lint", proto::LINT,
     "what the pending revisions do to production: locks, rewrites, refusals, breaking changes "
     "(exit 7 on an error)"},
    {"rehearse", proto::REHEARSE,
     "run the pending revisions on a scratch copy of the newest backup and report what each "
     "statement did (time, locks, rewrites, rows); the database is not changed"},
    {"databases", proto::DATABASES,
     "the databases this daemon serves: name, URL, scripts, backups, running job"},
    {"cancel", proto::CANCEL,
     "stop the running job (its current revision rolls back), or remove a waiting one"},
    {"revision", proto::COMMAND_UNSPECIFIED,
     "write a new revision file whose parent is the current head (local, no daemon)"},
};

// A positive whole number that fits `uint32_t`: `-n -5` and `-n lots` are usage errors.
CLI::Validator PositiveNumber() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        uint32_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
            value == 0) {
          return "needs a positive whole number, not '" + text + "'";
        }
        return "";
      },
      "N>0");
}

void AddWait(CLI::App& command, CommandLine& line) {
  command.add_flag("--wait", line.wait,
                   "queue behind a running job (and wait up to lock_wait for another daemon's "
                   "lock) instead of exit 4");
}

void AddDryRun(CLI::App& command, CommandLine& line, const char* what) {
  command.add_flag("--dry-run", line.dry_run, what);
}

// Schema changes run only inside the daemon's maintenance windows (when it has any).
void AddWindowFlags(CLI::App& command, CommandLine& line) {
  auto* force =
      command.add_flag("--force", line.force,
                       "outside the maintenance windows: run now anyway (recorded in the history)");
  auto* in_window = command.add_flag(
      "--in-window", line.in_window,
      "outside the maintenance windows: queue the job in the daemon for the next window and "
      "return at once ('migctl status' shows it, 'migctl cancel ID' removes it)");
  force->excludes(in_window);
}

// The flags and arguments each command takes; nothing else is accepted for it.
void AddFlags(CLI::App& command, CommandLine& line) {
  const std::string name = command.get_name();
  if (name == "history") {
    command.add_flag("-v,--verbose", line.verbose,
                     "parents, children, path, transaction mode, checksum, when applied");
    command
        .add_option("-r,--rev-range", line.range,
                    "only revisions between FROM and TO (either may be empty, base, head)")
        ->type_name("FROM:TO");
  } else if (name == "show") {
    command.add_option("REV", line.arguments, "a revision id or unique prefix")
        ->required()
        ->expected(1);
  } else if (name == "log") {
    command.add_option("-n", line.limit, "only the newest N entries")
        ->type_name("N")
        ->check(PositiveNumber());
  } else if (name == "upgrade" || name == "downgrade") {
    auto* target = command.add_option(
        "TARGET", line.arguments,
        name == "upgrade" ? "head (default), heads, +N, a revision id or unique prefix"
                          : "-N, a revision id or unique prefix, base");
    target->expected(1);
    if (name == "downgrade") target->required();
    AddWait(command, line);
    AddDryRun(command, line, "print the plan with every statement and its line; change nothing");
    AddWindowFlags(command, line);
    command.add_flag("--no-backup", line.no_backup,
                     "skip the backup before migrating (recorded in every history row)");
    command.add_flag("--atomic", line.atomic,
                     "run the whole plan in one transaction: all of it or nothing (refused for "
                     "'transaction: none' revisions)");
    if (name == "upgrade") {
      command.add_flag("--rehearse", line.rehearse,
                       "first run the revisions on a scratch copy of the backup just taken; "
                       "upgrade only if that passed (the report comes with the result)");
    }
    auto* sql = command.add_flag(
        "--sql", line.sql,
        "print the SQL instead, from the scripts alone (no daemon, no database): TARGET is "
        "[FROM:]TO (downgrade: FROM:TO), with the version-table statements and transactions");
    command.add_option("--dialect", line.dialect, "with --sql: sqlite or postgresql")
        ->type_name("ENGINE")
        ->check(CLI::IsMember({"sqlite", "postgresql"}))
        ->needs(sql);
    command
        .add_option("--migrations", line.migrations,
                    "with --sql: the scripts directory (default $MIGCTL_MIGRATIONS, else "
                    "./migrations)")
        ->type_name("DIR")
        ->needs(sql);
    sql->needs("--dialect");
  } else if (name == "resume") {
    AddWait(command, line);
    AddDryRun(command, line, "print the statements that would run; change nothing");
    AddWindowFlags(command, line);
    command.add_flag("--no-backup", line.no_backup,
                     "skip the backup before resuming (recorded in the history row)");
  } else if (name == "stamp") {
    command.add_option("REV", line.arguments, "base, head, heads, a revision id or prefix")
        ->required()
        ->expected(1);
    AddWait(command, line);
    AddDryRun(command, line, "show the version rows before and after; change nothing");
    AddWindowFlags(command, line);
  } else if (name == "backup") {
    command.add_option("--label", line.label, "letters, digits and _ for the file name")
        ->type_name("L");
    AddWait(command, line);
    AddDryRun(command, line, "check the directory and tools and name the file; write nothing");
  } else if (name == "restore") {
    command.add_option("ID", line.arguments, "a backup id from 'migctl backups'")
        ->required()
        ->expected(1);
    command.add_flag("--from-other-database", line.from_other_database,
                     "accept a backup taken from another database (recorded in history)");
    AddWait(command, line);
    AddDryRun(command, line, "check the backup (sha256, database) and say what would happen");
    AddWindowFlags(command, line);
  } else if (name == "repair") {
    command.add_option("REV", line.arguments, "applied revisions to accept (default: all changed)");
    command.add_option("--reason", line.reason, "why the scripts changed (required, recorded)")
        ->type_name("TEXT");
    AddWait(command, line);
    AddDryRun(command, line, "list the checksums that would be recorded; change nothing");
    AddWindowFlags(command, line);
  } else if (name == "check") {
    command.add_flag("--schema", line.schema,
                     "also compare the live schema with the one the scripts produce at the "
                     "database's revision (drift: exit 7, each difference listed)");
  } else if (name == "baseline") {
    command
        .add_option("REV", line.arguments,
                    "with --apply: the revision to record when several have the database's "
                    "schema (a tie: the later ones change only data); it must be one of them")
        ->expected(0, 1);
    command.add_flag("--apply", line.apply,
                     "stamp the matching revision (refused when none matches exactly, or when "
                     "several do and REV does not name one; recorded with the schema's "
                     "fingerprint)");
    AddWait(command, line);
    AddDryRun(command, line, "with --apply: say what would be stamped; change nothing");
    AddWindowFlags(command, line);
  } else if (name == "verify") {
    command.add_option("--from", line.from, "the first revision to verify (default: the base)")
        ->type_name("REV");
    command.add_option("--to", line.to, "the last revision to verify (default: the head)")
        ->type_name("REV");
  } else if (name == "lint") {
    command
        .add_option("TARGET", line.arguments,
                    "lint the revisions an upgrade to TARGET would run (default head), "
                    "with the live tables' sizes")
        ->expected(1);
    command
        .add_option("-r,--rev-range", line.range,
                    "lint these revisions instead (static: each as if the ones before it were "
                    "applied)")
        ->type_name("FROM:TO");
    command.add_flag("--all", line.all, "lint every revision (static, as a range)");
    command.add_option("--format", line.format, "text (default), github or sarif")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "github", "sarif"}));
  } else if (name == "rehearse") {
    command
        .add_option("TARGET", line.arguments,
                    "rehearse the revisions an upgrade to TARGET would run (default: heads)")
        ->expected(1);
    command.add_flag("--fresh-backup", line.fresh_backup,
                     "take a backup now and rehearse on it (default: the newest backup)");
    command.add_flag("--atomic", line.atomic,
                     "as 'upgrade --atomic' runs them: the whole plan in one transaction, every "
                     "lock held until the last revision commits");
    AddWait(command, line);
  } else if (name == "cancel") {
    command
        .add_option("JOB", line.arguments,
                    "a job id from 'migctl status' (default: the running job, else the only "
                    "waiting one)")
        ->expected(1);
  } else if (name == "revision") {
    command.add_option("-m,--message", line.message, "one line: the script's message")
        ->required()
        ->type_name("MESSAGE");
    command
        .add_option("--migrations", line.migrations,
                    "the scripts directory (default $MIGCTL_MIGRATIONS, else ./migrations)")
        ->type_name("DIR");
    command.add_option("--id", line.id, "the new revision's id (default: next number + slug)")
        ->type_name("ID");
    command.add_flag("--autogenerate", line.autogenerate,
                     "generate the upgrade and downgrade from the difference between the "
                     "scripts' head and the schema of --from-database, checked on a scratch "
                     "database before it is written (runs 'migrationd --autogenerate': "
                     "$MIGCTL_MIGRATIOND, else the one beside migctl, else PATH)");
    command
        .add_option("--from-database", line.from_databases,
                    "with --autogenerate: a database with the desired schema (the one the "
                    "application built, e.g. its create_all); once per engine for a project on "
                    "both, and the revision gets both engines' sections")
        ->type_name("URL");
    command
        .add_option("--from-schema", line.from_schema,
                    "with --autogenerate: a file of CREATE statements with the desired schema "
                    "(schema.sql, pg_dump -s, sqlite3 .schema), run on a scratch database")
        ->type_name("FILE");
    command
        .add_option("--dialect", line.dialect,
                    "with --autogenerate --from-schema: sqlite (default) or postgresql")
        ->type_name("ENGINE")
        ->check(CLI::IsMember({"sqlite", "postgresql"}));
    command
        .add_option("--scratch-database", line.scratch_database,
                    "with --autogenerate, PostgreSQL: the server to make scratch databases on "
                    "(default: that of --from-database)")
        ->type_name("URL");
    command
        .add_option("--rename", line.renames,
                    "with --autogenerate: table:OLD=NEW or column:TABLE.OLD=NEW (TABLE as the "
                    "desired schema names it) is a RENAME, not a drop and an add; repeatable")
        ->type_name("RENAME");
    command.add_flag("--online", line.online,
                     "with --autogenerate, PostgreSQL: on existing tables the forms that do not "
                     "block the application (CREATE INDEX CONCURRENTLY in a 'transaction: none' "
                     "revision, NOT VALID then VALIDATE, SET NOT NULL through a validated check)");
    command.add_flag("--sql-only", line.sql_only,
                     "with --autogenerate: print the script (summary on stderr), write nothing");
  }
}

void Define(CLI::App& app, CommandLine& line) {
  app.description("migctl: the client of migrationd, the database schema-migration service.");
  app.footer(std::string("The socket is --socket, else $MIGCTL_SOCKET, else ") + kDefaultSocket +
             ". A daemon serving several databases needs --database NAME (or "
             "$MIGCTL_DATABASE); 'migctl databases' lists them.\n'migctl COMMAND --help' describes "
             "one command.\n" +
             kExitCodes);
  app.set_version_flag("--version", std::string("migctl ") + kMigctlVersion);
  app.add_option("--socket", line.socket, "the daemon's control socket")->type_name("PATH");
  app.add_option("-d,--database", line.database,
                 "which of the daemon's databases (a [database NAME] of its configuration; "
                 "default $MIGCTL_DATABASE; none for a daemon with one database)")
      ->type_name("NAME");
  app.add_flag("--json", line.json, "one JSON object per line: every event, then the result");
  app.require_subcommand(0, 1);
  for (const auto& spec : kCommands) {
    CLI::App* command = app.add_subcommand(spec.name, spec.help);
    // Global flags may follow the command: `migctl status --json`.
    command->fallthrough();
    command->footer(kExitCodes);
    AddFlags(*command, line);
  }
}

// CLI11 says "The following argument was not expected: --dry-run"; name the command too.
std::string Explain(const CLI::Error& error, const CLI::App& app) {
  std::string message = error.what();
  const auto selected = app.get_subcommands();
  if (selected.empty()) return message + " ('migctl --help' lists the commands and options)";
  const std::string name = selected.front()->get_name();
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    const size_t colon = message.find(": ");
    const std::string what = colon == std::string::npos ? message : message.substr(colon + 2);
    return what + ": not an option or argument of '" + name + "'; nothing was done ('migctl " +
           name + " --help' lists what it takes)";
  }
  return message + " ('migctl " + name + " --help' describes it)";
}

}  // namespace

ParsedCommandLine ParseCommandLine(int argc, const char* const* argv) {
  ParsedCommandLine parsed;
  CLI::App app("", "migctl");
  Define(app, parsed.line);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.outcome = ParsedCommandLine::Outcome::kPrint;
    parsed.text = app.help();
    return parsed;
  } catch (const CLI::CallForVersion& version) {
    parsed.outcome = ParsedCommandLine::Outcome::kPrint;
    parsed.text = std::string(version.what()) + "\n";
    return parsed;
  } catch (const CLI::ParseError& error) {
    parsed.outcome = ParsedCommandLine::Outcome::kUsageError;
    parsed.error = Explain(error, app);
    return parsed;
  }
  const auto selected = app.get_subcommands();
  if (selected.empty()) {
    parsed.outcome = ParsedCommandLine::Outcome::kUsageError;
    parsed.error = "no command given\n" + app.help();
    return parsed;
  }
  parsed.line.command = selected.front()->get_name();
  for (const auto& spec : kCommands) {
    if (parsed.line.command == spec.name) parsed.line.request = spec.request;
  }
  if (parsed.line.sql && parsed.line.json) {
    // What --sql prints is SQL for psql or sqlite3; lines of it are not JSON.
    parsed.outcome = ParsedCommandLine::Outcome::kUsageError;
    parsed.error =
        "--sql and --json do not go together: --sql prints SQL to pipe into psql or "
        "sqlite3; drop --json";
  }
  return parsed;
}

std::vector<CommandFlags> DescribeCommands() {
  CommandLine unused;
  CLI::App app("", "migctl");
  Define(app, unused);
  std::vector<CommandFlags> commands;
  auto flags_of = [](const CLI::App& of) {
    std::vector<std::string> flags;
    for (const CLI::Option* option : of.get_options()) {
      if (option->get_positional()) continue;
      flags.push_back(option->get_lnames().empty() ? "-" + option->get_snames().front()
                                                   : "--" + option->get_lnames().front());
    }
    return flags;
  };
  commands.push_back({"", flags_of(app)});
  for (const CLI::App* command : app.get_subcommands({})) {
    commands.push_back({command->get_name(), flags_of(*command)});
  }
  return commands;
}

}  // namespace migrationd
