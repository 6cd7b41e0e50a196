#include "core/generate/desired_schema.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "core/run/scratch_walk.h"
#include "core/scripts/sql_splitter.h"

namespace migrationd {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// psql's meta-commands (\connect, \restrict, \set ...) blanked, keeping the line numbers.
std::string WithoutMetaCommands(const std::string& text) {
  std::istringstream lines(text);
  std::string kept, line;
  while (std::getline(lines, line)) {
    const size_t first = line.find_first_not_of(" \t");
    kept += (first != std::string::npos && line[first] == '\\' ? "" : line) + "\n";
  }
  return kept;
}

// Ownership is not schema (and the owner may not exist where the scratch database is); SQLite's
// own tables cannot be created by hand (`.schema` prints sqlite_sequence).
bool Skipped(const std::string& statement) {
  const std::string lower = Lower(statement);
  if (lower.rfind("alter ", 0) == 0 && lower.find(" owner to ") != std::string::npos) return true;
  return lower.rfind("create table sqlite_", 0) == 0 ||
         lower.rfind("create table if not exists sqlite_", 0) == 0;
}

}  // namespace

Result<NormalizedSchema> ReadSchemaFile(const std::string& path, const DatabaseUrl& like,
                                        const std::string& scratch_server) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto scratch = OpenScratch(like, scratch_server);
  if (!scratch.ok()) return scratch.status();
  Backend& db = *scratch->backend;
  for (const auto& statement :
       SplitSqlStatements(WithoutMetaCommands(text.str()), 1, like.dialect())) {
    if (Skipped(statement.text)) continue;
    if (Status ran = db.Execute(statement.text); !ran.ok()) {
      return Status::InvalidArgument(path + ":" + std::to_string(statement.line) + ": " +
                                     ran.message() +
                                     " (the --from-schema file runs on an empty scratch "
                                     "database of the engine; fix the statement and run again)");
    }
  }
  // pg_dump's files empty the search_path; the reader names objects as a fresh session does.
  if (like.dialect() == "postgresql") MIGRATIOND_RETURN_IF_ERROR(db.Execute("RESET ALL"));
  return db.ReadSchema();
}

}  // namespace migrationd
