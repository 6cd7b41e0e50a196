// The form in which two PostgreSQL definitions that the server treats as the same compare equal,
// whatever path created them (the DDL as written, or a pg_dump replayed).
//
// The server's deparsers print what is stored, and what is stored depends on the path: the
// expression `status IN ('a', 'b')` on a varchar column is stored as a cast of the whole array,
// `ARRAY['a'::varchar, 'b'::varchar]::text[]`; pg_dump prints exactly that, and the restoring
// server folds the cast into the elements: `ARRAY['a'::varchar::text, 'b'::varchar::text]`.
// Every check, default, generated column, index predicate and view with such a list then read
// as drift after any dump and restore. Canonicalize parses a definition with libpg_query (the
// server's own parser), folds such casts into the elements as the server does, and prints the
// tree again with libpg_query's deparser. Definitions without an array are returned unchanged:
// the pattern needs one, and both sides of a comparison then still read as the server printed.
#pragma once

#include <string>
#include <string_view>

namespace migrationd {

enum class PostgresDefinition {
  kStatement,   // a whole statement: CREATE INDEX ..., a view's SELECT, CREATE TRIGGER ...
  kExpression,  // a column default or generation expression
  kConstraint,  // pg_get_constraintdef: CHECK (...), UNIQUE (...) WHERE ..., EXCLUDE ...
};

// `text` in canonical form, or `text` itself when it holds no array or does not parse.
std::string CanonicalPostgresDefinition(const std::string& text, PostgresDefinition kind);

}  // namespace migrationd
