#include "daemon/autogenerate_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/engines/open_backend.h"
#include "core/generate/autogenerate.h"
#include "core/generate/desired_schema.h"
#include "core/scripts/new_revision.h"
#include "core/scripts/script_directory.h"
#include "daemon/config.h"
#include "daemon/requests/queries.h"
#include "migrationd.pb.h"
#include "proto/frame.h"

namespace migrationd {
namespace {

struct AutogenerateFlags {
  std::string migrations = "migrations";
  std::vector<std::string> from_databases;  // one per engine
  std::string from_schema;
  std::string dialect;
  std::string message;
  std::string id;
  std::string scratch_database;
  std::vector<std::string> renames;
  bool sql_only = false;
  bool online = false;
  bool json = false;
};

int Fail(const AutogenerateFlags& flags, const std::string& message, int code) {
  if (flags.json) {
    proto::Result result;
    result.set_code(code == 2   ? proto::INVALID_ARGUMENT
                    : code == 7 ? proto::INTEGRITY
                                : proto::FAILED);
    result.set_message(message);
    std::printf("{\"result\":%s}\n", ToJsonLine(result).c_str());
  }
  std::fprintf(stderr, "migctl: %s\n", message.c_str());
  return code;
}

Result<NormalizedSchema> ReadDesired(const DatabaseUrl& url) {
  auto backend = OpenBackendForReading(url);
  if (!backend.ok()) return backend.status();
  auto schema = (*backend)->ReadSchema();
  if (!schema.ok()) return schema.status().WithContext("reading " + url.Redacted());
  return schema;
}

// The engine and server a --from-schema file runs on: --dialect's (PostgreSQL: on the server
// of --scratch-database, which it then needs).
Result<DatabaseUrl> EngineOfSchemaFile(const AutogenerateFlags& flags) {
  if (flags.dialect == "postgresql") {
    if (flags.scratch_database.empty()) {
      return Status::InvalidArgument(
          "--from-schema --dialect postgresql needs --scratch-database URL: the server to run "
          "the file on (a scratch database is made there and dropped)");
    }
    auto url = DatabaseUrl::Parse(flags.scratch_database);
    if (!url.ok()) return url.status().WithContext("--scratch-database");
    if (url->dialect() != "postgresql") {
      return Status::InvalidArgument("--scratch-database must be a postgresql:// URL");
    }
    return url;
  }
  // SQLite: scratch databases are temporary files; the path is never opened.
  return DatabaseUrl::Parse("sqlite:///migrationd-from-schema.db");
}

// Every desired schema, one per engine, read. Usage errors are invalid arguments.
Result<std::vector<DesiredSchema>> ReadSources(const AutogenerateFlags& flags,
                                               const ScriptDirectory& scripts) {
  std::vector<DesiredSchema> sources;
  for (const auto& text : flags.from_databases) {
    auto url = DatabaseUrl::Parse(text);
    if (!url.ok()) return url.status().WithContext("--from-database");
    const bool postgres = url->dialect() == "postgresql";
    sources.push_back({*url, postgres ? flags.scratch_database : "", url->Redacted(), {}});
  }
  if (!flags.from_schema.empty()) {
    auto url = EngineOfSchemaFile(flags);
    if (!url.ok()) return url.status();
    sources.push_back({*url, "", flags.from_schema, {}});
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (sources[i].like.dialect() == sources[j].like.dialect()) {
        return Status::InvalidArgument("two desired schemas for " + sources[i].like.dialect() +
                                       " (" + sources[j].source + ", " + sources[i].source +
                                       "): give one per engine");
      }
    }
  }
  for (auto& source : sources) {
    MIGRATIOND_RETURN_IF_ERROR(scripts.CheckDialect(source.like.dialect()));
    auto schema = source.source == flags.from_schema && !flags.from_schema.empty()
                      ? ReadSchemaFile(flags.from_schema, source.like, flags.scratch_database)
                      : ReadDesired(source.like);
    if (!schema.ok()) return schema.status();
    source.schema = std::move(schema).value();
  }
  return sources;
}

void Report(const AutogenerateFlags& flags, const NewRevision& planned,
            const AutogenerateOutcome& outcome, bool written) {
  proto::GeneratedRevision report;
  if (written) report.set_path(planned.path);
  report.set_id(planned.id);
  for (const auto& difference : outcome.changes)
    FillSchemaChange(difference, *report.add_changes());
  for (const auto& item : outcome.todo) report.add_todo(item);
  for (const auto& loss : outcome.data_loss) report.add_data_loss(loss);
  for (const auto& hint : outcome.likely_renames) report.add_likely_renames(hint);
  for (const auto& order : outcome.column_order)
    FillSchemaChange(order, *report.add_column_order());
  if (flags.sql_only) report.set_script(outcome.script);
  if (flags.json) {
    proto::GeneratedRevisionLine line;
    *line.mutable_revision() = report;
    std::printf("%s\n", ToJsonLine(line).c_str());
    return;
  }
  if (flags.sql_only) {
    std::fputs(outcome.script.c_str(), stdout);
  } else if (written) {
    std::printf("created %s\n", planned.path.c_str());
  }
  FILE* summary = flags.sql_only ? stderr : stdout;
  for (const auto& difference : outcome.changes) {
    std::fprintf(summary, "  %s\n", difference.Describe().c_str());
  }
  for (const auto& loss : outcome.data_loss) {
    std::fprintf(summary, "downgrade loses data: %s\n", loss.c_str());
  }
  for (const auto& hint : outcome.likely_renames) {
    std::fprintf(stderr, "rename? %s\n", hint.c_str());
  }
  for (const auto& note : outcome.column_order_notes) std::fprintf(summary, "  %s\n", note.c_str());
  if (outcome.todo.empty()) {
    std::fprintf(summary,
                 "checked on a scratch database: the upgrade reaches the desired schema and the "
                 "downgrade gives the head's back\n");
  }
  for (const auto& item : outcome.todo) std::fprintf(stderr, "TODO: %s\n", item.c_str());
  if (!outcome.todo.empty()) {
    std::fprintf(stderr,
                 "migctl: %zu item(s) were not generated or not reached; the script %s them as "
                 "'-- TODO' lines: finish it by hand, then run 'migctl verify'\n",
                 outcome.todo.size(), written ? "lists" : "would list");
  }
}

}  // namespace

bool WantsAutogenerate(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--autogenerate") == 0) return true;
  }
  return false;
}

int RunAutogenerate(int argc, const char* const* argv) {
  CLI::App app(
      "migrationd --autogenerate: a new revision from a desired schema (what 'migctl "
      "revision --autogenerate' runs)",
      "migrationd");
  AutogenerateFlags flags;
  bool autogenerate = false;
  app.add_flag("--autogenerate", autogenerate, "this mode")->required();
  app.add_option("--migrations", flags.migrations, "the scripts directory")->type_name("DIR");
  app.add_option("--from-database", flags.from_databases,
                 "a database whose schema is the desired one (the application built it); once "
                 "per engine for a project on both")
      ->type_name("URL");
  auto* from_schema =
      app.add_option("--from-schema", flags.from_schema,
                     "CREATE statements of the desired schema (schema.sql, pg_dump -s, sqlite3 "
                     ".schema), run on a scratch database of --dialect")
          ->type_name("FILE");
  app.add_option("--dialect", flags.dialect,
                 "with --from-schema: sqlite (default) or postgresql (needs --scratch-database)")
      ->type_name("ENGINE")
      ->check(CLI::IsMember({"sqlite", "postgresql"}))
      ->needs(from_schema);
  app.add_option("-m,--message", flags.message, "one line: the script's message")
      ->type_name("MESSAGE")
      ->required();
  app.add_option("--id", flags.id, "the new revision's id (default: next number + slug)")
      ->type_name("ID");
  app.add_option("--scratch-database", flags.scratch_database,
                 "PostgreSQL: the server scratch databases are made on (default: the one of "
                 "--from-database)")
      ->type_name("URL");
  app.add_option("--rename", flags.renames,
                 "table:OLD=NEW or column:TABLE.OLD=NEW (TABLE as the desired schema names it): "
                 "RENAME instead of drop and add; repeatable")
      ->type_name("RENAME");
  app.add_flag("--sql-only", flags.sql_only, "print the script instead of writing it");
  app.add_flag("--online", flags.online,
               "PostgreSQL: the forms that do not block existing tables (CONCURRENTLY, NOT VALID "
               "then VALIDATE)");
  app.add_flag("--json", flags.json, "one JSON object: {\"revision\": {...}}");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& error) {
    return Fail(flags, std::string(error.what()) + " ('migctl revision --help' lists the options)",
                2);
  }
  if (flags.from_databases.empty() && flags.from_schema.empty()) {
    return Fail(flags, "revision --autogenerate needs --from-database URL or --from-schema FILE",
                2);
  }
  NewRevisionRequest request{flags.migrations, flags.message, flags.id};
  auto planned = PlanNewRevision(request);
  if (!planned.ok()) {
    const ErrorCode code = planned.status().code();
    return Fail(flags, planned.status().message(),
                code == ErrorCode::kInvalidArgument ? 2
                : code == ErrorCode::kIntegrity     ? 7
                                                    : 1);
  }
  auto scripts = ScriptDirectory::Load(flags.migrations);
  if (!scripts.ok()) return Fail(flags, scripts.status().message(), 1);
  auto sources = ReadSources(flags, *scripts);
  if (!sources.ok()) {
    return Fail(flags, sources.status().message(),
                sources.status().code() == ErrorCode::kInvalidArgument ? 2 : 1);
  }
  std::string described;
  for (const auto& source : *sources)
    described += (described.empty() ? "" : " and ") + source.source;
  AutogenerateRequest generate{planned->id,   planned->parents,
                               flags.message, std::move(sources).value(),
                               flags.renames, flags.online};
  auto outcome = Autogenerate(*scripts, generate);
  if (!outcome.ok()) {
    return Fail(flags, outcome.status().message(),
                outcome.status().code() == ErrorCode::kInvalidArgument ? 2 : 1);
  }
  if (outcome->script.empty()) {
    if (flags.json) {
      Report(flags, *planned, *outcome, false);
    } else {
      std::printf("no changes: %s has the schema of the scripts' head; nothing was written\n",
                  described.c_str());
      for (const auto& note : outcome->column_order_notes) std::printf("  %s\n", note.c_str());
    }
    return 0;
  }
  bool written = false;
  if (!flags.sql_only) {
    Status wrote = WriteNewScript(planned->path, outcome->script);
    if (!wrote.ok()) return Fail(flags, wrote.message(), 1);
    written = true;
  }
  Report(flags, *planned, *outcome, written);
  return outcome->todo.empty() ? 0 : 7;
}

}  // namespace migrationd
