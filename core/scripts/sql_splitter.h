// Splits a section of SQL into statements, keeping the line each one starts on.
//
// Both engines run scripts statement by statement so that an error can name the statement's line
// in the file. Each engine's text is split by that engine's own lexer: PostgreSQL's grammar and
// scanner (libpg_query), SQLite's sqlite3_complete(). They know everything that can hide a
// semicolon, present and future. SplitPortably is migrationd's own lexer, used where no engine
// is named and as the last resort for text PostgreSQL's scanner rejects: it knows '...' and
// "..." quotes, -- and /* */ comments (nested on PostgreSQL), E'...' strings, SQLite's [...] and
// `...` identifiers, dollar quotes, and the BEGIN/CASE ... END bodies of CREATE TRIGGER /
// FUNCTION / PROCEDURE. Pure; thread-safe (libpg_query keeps per-thread memory).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace migrationd {

struct SqlStatement {
  std::string text;  // without the terminating semicolon, trimmed
  int line = 0;      // line in the file where the statement starts
};

// `first_line` is the file line on which `sql` starts. Empty statements (";;", comments only)
// are dropped.
// `dialect` ("sqlite", "postgresql"; "" for the common lexing of both) decides whether block
// comments nest.
std::vector<SqlStatement> SplitSqlStatements(std::string_view sql, int first_line,
                                             std::string_view dialect = "");
std::vector<SqlStatement> SplitPortably(std::string_view sql, int first_line,
                                        std::string_view dialect = "");

}  // namespace migrationd
