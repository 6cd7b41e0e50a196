// The linter: what a pending revision does to a production database that its SQL alone does not
// say — the lock it takes and what that blocks, the table it rewrites, the statement that fails
// on real rows or that SQLite refuses — with the safe way to do it.
//
// PostgreSQL statements are read as PostgreSQL's parser reads them (libpg_query's parse tree,
// core/scripts/postgres_parse_tree.h), never with patterns over the text. SQLite statements are
// checked by SQLite itself: they run in memory on a copy of the schema they meet (the live
// database's, or the one the earlier revisions build), and an ADD COLUMN is tried on a table
// with a row, where SQLite refuses what it refuses on real data.
//
// Static (no database: `migrationd --lint`) or with what the live database says of each table
// (DatabaseFacts): sizes, activity, column types. Pure apart from SQLite's in-memory databases;
// thread-compatible.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/db/backend.h"
#include "core/scripts/script.h"
#include "core/scripts/script_directory.h"

namespace migrationd {

enum class LintSeverity { kWarning, kError };
const char* LintSeverityName(LintSeverity severity);

struct LintRule {
  std::string_view id;
  std::string_view engines;  // "postgresql", "sqlite" or "postgresql, sqlite"
  LintSeverity severity;
  std::string_view family;   // locks and rewrites, breaking, transactions, hygiene, ...
  std::string_view catches;  // one line
  std::string_view recipe;   // the safe way, step by step
  std::string_view peers;    // the matching squawk / Atlas rule, "" when none
  bool size_escalates;       // a table over lint_large_table rows makes a warning an error
};
// Every rule, in the order the docs list them.
const std::vector<LintRule>& LintRules();
const LintRule* FindLintRule(std::string_view id);

struct LintFinding {
  std::string rule;
  LintSeverity severity = LintSeverity::kWarning;
  std::string revision;
  std::string path;
  int line = 0;
  std::string table;       // the table the statement touches, when there is one
  std::string what;        // what happens
  std::string recipe;      // the safe way
  std::string size;        // "users: ~2.3 M rows, 1.1 GB, in use"; "size unknown (static lint)"
  bool escalated = false;  // a warning made an error by the table's size
  bool suppressed = false;
  std::string reason;  // the suppression's reason
};

struct LintOptions {
  std::string dialect;
  // From the live database; null for a static lint (sizes unknown).
  const DatabaseFacts* facts = nullptr;
  // A table with at least this many rows makes a size-dependent warning an error (0: never).
  int64_t large_table_rows = 0;
  // A static lint in CI: each revision is linted as if the ones before it were applied (a table
  // is new only in the revision that creates it). Off: the plan is one unit, as an upgrade runs
  // it (a table created anywhere earlier in the plan is new).
  bool each_revision_alone = false;
};

struct LintReport {
  std::vector<LintFinding> findings;  // in plan order, then by line
  int revisions = 0;
  int statements = 0;
  int errors() const;    // unsuppressed error-level findings
  int warnings() const;  // unsuppressed warnings
  int suppressed() const;
};

// Lints the upgrade sections of `plan` (in the order they would run). `before` are the
// revisions already applied (or, for a static lint of a range, those before it), in the order
// they ran: their tables exist and are not new; on SQLite a static lint replays them in memory.
LintReport LintRevisions(const std::vector<const Script*>& before,
                         const std::vector<const Script*>& plan, const LintOptions& options);

// The revisions of `range` ("FROM:TO", either side may be empty; "" for every revision) in the
// order they run, and those before them: what a lint of a range (or --all) covers.
struct LintScope {
  std::vector<const Script*> before;
  std::vector<const Script*> plan;
};
Result<LintScope> LintScopeOfRange(const ScriptDirectory& scripts, const std::string& range);

// The words (identifiers, lower case) of the upgrade sections of `plan` on `dialect`: the tables
// a lint of it may ask the database about.
std::set<std::string> WordsOfPlan(const std::vector<const Script*>& plan, std::string_view dialect);

// "users: ~2.3 M rows, 1.1 GB, in use (1,234 scans, 56 rows written)".
std::string DescribeTableSize(const TableFacts& table);

}  // namespace migrationd
