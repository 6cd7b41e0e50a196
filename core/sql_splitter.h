// Splits a section of SQL into statements, keeping the line each one starts on.
//
// Both engines run scripts statement by statement so that an error can name the statement's line
// in the file. The splitter understands what can hide a semicolon: '...' and "..." quotes,
// -- and /* */ comments (nested on PostgreSQL, as its scanner nests them), E'...' strings with
// backslash escapes, SQLite's [...] and `...` identifiers, PostgreSQL dollar quotes ($$ ... $$,
// $tag$ ... $tag$), and the BEGIN ... END bodies of CREATE TRIGGER / FUNCTION / PROCEDURE.
// Pure; thread-safe.
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

}  // namespace migrationd
