// What the linter's engine rules share: the findings being collected, the suppressions of the
// statement at hand, and what is known of each table as the plan goes on.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/lint/lint.h"

namespace migrationd::lint {

// One `-- lint: allow RULE-ID: reason` comment directly above a statement.
struct Suppression {
  std::string rule;
  std::string reason;
  int line = 0;
  bool used = false;
};

// The statement being linted, where it is, and how it runs.
struct StatementSite {
  const Script* script = nullptr;
  const SqlStatement* statement = nullptr;
  bool transactional = true;
  std::vector<Suppression>* suppressions = nullptr;
};

// Tables as the linter knows them while it walks the plan: created in the plan (new: no rows,
// nobody uses them), and the column types met so far.
class LintState {
 public:
  LintState(const LintOptions& options, LintReport& report);

  // A finding of `rule` at the statement, on `table` ("" when none): severity from the rule,
  // escalated by the table's size when the rule says so; suppressed when the statement says so.
  void Report(const StatementSite& site, std::string_view rule, const std::string& table,
              std::string what);
  // A finding of `rule` with another severity than the rule's (a type change that may not
  // rewrite: a warning where the rule is an error).
  void ReportAs(const StatementSite& site, std::string_view rule, LintSeverity severity,
                const std::string& table, std::string what);

  // The unit whose created tables count as new starts again (each revision in a static lint).
  void StartUnit() { new_tables_.clear(); }
  void Created(const std::string& table);
  void Dropped(const std::string& table);
  void Renamed(const std::string& from, const std::string& to);
  bool IsNew(const std::string& table) const { return new_tables_.contains(Key(table)); }
  bool Exists(const std::string& table) const { return tables_.contains(Key(table)); }

  void SetColumnType(const std::string& table, const std::string& column, std::string type);
  void DropColumn(const std::string& table, const std::string& column);
  void RenameColumn(const std::string& table, const std::string& from, const std::string& to);
  // The column's type as the plan or the live database last gave it; "" when not known.
  std::string ColumnType(const std::string& table, const std::string& column) const;

  // A validated CHECK (col IS NOT NULL) on the column (so SET NOT NULL does not scan).
  void NotNullChecked(const std::string& table, const std::string& column);
  bool HasNotNullCheck(const std::string& table, const std::string& column) const;

  const TableFacts* Facts(const std::string& table) const;
  void CountStatement() { ++report_.statements; }
  const LintOptions& options() const { return options_; }

  // The name tables are known by: without the default schema; SQLite's folded to lower case
  // (its names are case-insensitive).
  std::string Key(const std::string& name) const;

  // PostgreSQL: index name → its table (DROP INDEX names only the index); CHECK (col IS NOT
  // NULL) NOT VALID constraints by name → table and column, until VALIDATE CONSTRAINT.
  std::map<std::string, std::string> index_tables;
  std::map<std::string, std::pair<std::string, std::string>> not_null_check_constraints;

 private:
  const LintOptions& options_;
  LintReport& report_;
  std::set<std::string> tables_;      // every table known to exist
  std::set<std::string> new_tables_;  // created in the current unit
  std::map<std::string, std::map<std::string, std::string>> column_types_;
  std::set<std::pair<std::string, std::string>> not_null_checked_;
  std::map<std::string, const TableFacts*> facts_;
};

// Each engine's rules. `learn_only`: the statements of revisions already applied, read only to
// know the tables (no findings).
void LintPostgresRevision(const Script& script, LintState& state, bool learn_only);
// SQLite lints a whole plan at once: its in-memory copy of the schema lives across statements.
void LintSqliteRevisions(const std::vector<const Script*>& before,
                         const std::vector<const Script*>& plan, LintState& state);

// The `-- lint: allow RULE-ID: reason` comments written directly above a statement (or at the
// start of its text); one without a reason is reported and suppresses nothing.
std::vector<Suppression> SuppressionsOf(const Script& script, const SqlStatement& statement,
                                        std::string_view dialect);
// After a statement's rules ran: its suppressions that suppressed nothing (or lack a reason).
void ReportSuppressionProblems(const StatementSite& site, LintState& state);

}  // namespace migrationd::lint
