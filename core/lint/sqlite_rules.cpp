// The SQLite rules. SQLite decides: each statement runs in memory on a copy of the schema it
// meets (the live database's CREATE statements, or what the revisions before it build), and an
// ADD COLUMN is tried on a table that has a row, where SQLite refuses what it refuses only on
// real data. The statement's first words (read by a small tokenizer) say which rule applies.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "core/lint/lint_internal.h"

namespace migrationd::lint {

namespace {

struct Token {
  std::string word;  // an identifier or keyword, unquoted and lower case; "" for punctuation
  char punct = 0;
  size_t begin = 0;
};

// Words, quoted identifiers ("x", [x], `x`), strings, numbers and punctuation; comments skipped.
std::vector<Token> Tokenize(std::string_view sql, size_t limit = 64) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
  };
  while (i < sql.size() && tokens.size() < limit) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) break;
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i + 2);
      if (i == std::string_view::npos) break;
      i += 2;
    } else if (c == '"' || c == '`' || c == '[' || c == '\'') {
      const char close = c == '[' ? ']' : c;
      std::string text;
      size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == close) {
          if (close != ']' && j + 1 < sql.size() && sql[j + 1] == close) {
            text += close;
            j += 2;
            continue;
          }
          break;
        }
        text += sql[j++];
      }
      Token token{c == '\'' ? "" : lower(text), c == '\'' ? '\'' : char(0), i};
      tokens.push_back(token);
      i = j + 1;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      size_t j = i;
      while (j < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' || sql[j] == '$')) {
        ++j;
      }
      tokens.push_back({lower(std::string(sql.substr(i, j - i))), 0, i});
      i = j;
    } else {
      tokens.push_back({"", c, i});
      ++i;
    }
  }
  return tokens;
}

// Reads `[schema.]name` at tokens[at]; advances `at` past it.
std::string NameAt(const std::vector<Token>& tokens, size_t& at) {
  if (at >= tokens.size() || tokens[at].word.empty()) return "";
  std::string name = tokens[at++].word;
  if (at + 1 < tokens.size() && tokens[at].punct == '.' && !tokens[at + 1].word.empty()) {
    name += "." + tokens[at + 1].word;
    at += 2;
  }
  return name;
}

bool WordAt(const std::vector<Token>& tokens, size_t at, std::string_view word) {
  return at < tokens.size() && tokens[at].word == word && tokens[at].punct == 0;
}

// The statement's shape, as far as the rules need it.
struct SqliteStatement {
  enum Kind {
    kOther,
    kCreateTable,
    kDropTable,
    kAddColumn,
    kDropColumn,
    kRenameTable,
    kRenameColumn,
    kPragma,
    kUnsafeToRun
  } kind = kOther;
  std::string table;
  std::string column;        // drop/rename column: the column; pragma: its name
  std::string new_name;      // rename
  size_t definition_at = 0;  // add column: where the column's definition starts in the text
};

SqliteStatement Classify(const std::string& sql) {
  const auto tokens = Tokenize(sql);
  SqliteStatement statement;
  size_t at = 0;
  if (tokens.empty()) return statement;
  if (WordAt(tokens, 0, "attach") || WordAt(tokens, 0, "detach") || WordAt(tokens, 0, "vacuum")) {
    statement.kind = SqliteStatement::kUnsafeToRun;  // they would touch files
    return statement;
  }
  if (WordAt(tokens, 0, "pragma")) {
    at = 1;
    std::string name = NameAt(tokens, at);
    if (const size_t dot = name.find('.'); dot != std::string::npos) name = name.substr(dot + 1);
    statement.kind = SqliteStatement::kPragma;
    statement.column = name;
    return statement;
  }
  if (WordAt(tokens, 0, "create")) {
    at = 1;
    if (WordAt(tokens, at, "temp") || WordAt(tokens, at, "temporary")) ++at;
    if (!WordAt(tokens, at, "table")) return statement;
    ++at;
    if (WordAt(tokens, at, "if")) at += 3;
    statement.kind = SqliteStatement::kCreateTable;
    statement.table = NameAt(tokens, at);
    return statement;
  }
  if (WordAt(tokens, 0, "drop") && WordAt(tokens, 1, "table")) {
    at = 2;
    if (WordAt(tokens, at, "if")) at += 2;
    statement.kind = SqliteStatement::kDropTable;
    statement.table = NameAt(tokens, at);
    return statement;
  }
  if (!WordAt(tokens, 0, "alter") || !WordAt(tokens, 1, "table")) return statement;
  at = 2;
  statement.table = NameAt(tokens, at);
  if (WordAt(tokens, at, "add")) {
    ++at;
    if (WordAt(tokens, at, "column")) ++at;
    if (at >= tokens.size()) return statement;
    statement.kind = SqliteStatement::kAddColumn;
    statement.column = tokens[at].word;
    statement.definition_at = tokens[at].begin;
  } else if (WordAt(tokens, at, "drop")) {
    ++at;
    if (WordAt(tokens, at, "column")) ++at;
    if (at >= tokens.size()) return statement;
    statement.kind = SqliteStatement::kDropColumn;
    statement.column = tokens[at].word;
  } else if (WordAt(tokens, at, "rename")) {
    ++at;
    if (WordAt(tokens, at, "to")) {
      ++at;
      statement.kind = SqliteStatement::kRenameTable;
      statement.new_name = NameAt(tokens, at);
    } else {
      if (WordAt(tokens, at, "column")) ++at;
      if (at + 2 >= tokens.size()) return statement;
      statement.kind = SqliteStatement::kRenameColumn;
      statement.column = tokens[at].word;
      statement.new_name = tokens[at + 2].word;
    }
  }
  return statement;
}

// A statement's work in memory is bounded: a generator (a recursive CTE filling a table) or a
// backfill must not make a lint slow or large. Past the budget the statement is abandoned and
// not judged (its schema effect, if any, is what the checks after it miss).
constexpr int kProgressEvery = 1000;    // SQLite VM instructions per callback
constexpr int kProgressBudget = 20000;  // callbacks: about 20 M instructions, ~0.1 s
constexpr int kMaxPages = 16384;        // 64 MiB of 4 KiB pages per in-memory database

// Runs `sql`; SQLite's error message, or nullopt when it ran. `abandoned` is set when the
// statement stopped at a bound (time or size) rather than on an error of its own.
std::optional<std::string> Run(sqlite3* db, const std::string& sql, bool* abandoned = nullptr) {
  char* error = nullptr;
  const int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  if (code == SQLITE_OK) return std::nullopt;
  std::string message = error != nullptr ? error : sqlite3_errmsg(db);
  sqlite3_free(error);
  if (abandoned != nullptr) {
    *abandoned = code == SQLITE_INTERRUPT || code == SQLITE_FULL || code == SQLITE_NOMEM;
  }
  return message;
}

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;

Database OpenInMemory() {
  sqlite3* db = nullptr;
  // One thread uses it: no mutexes (they were a sixth of a daemon lint's time).
  if (sqlite3_open_v2(":memory:", &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return nullptr;
  }
  // Nothing a statement says may reach a file: no ATTACH (which creates one), no extensions.
  sqlite3_set_authorizer(
      db,
      [](void*, int action, const char*, const char*, const char*, const char*) {
        return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
      },
      nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  Run(db, "PRAGMA max_page_count = " + std::to_string(kMaxPages));
  return Database(db);
}

// Counts a statement's progress callbacks; a non-zero return interrupts it.
int SpendBudget(void* spent) { return ++*static_cast<int*>(spent) > kProgressBudget ? 1 : 0; }

std::vector<std::string> Strings(sqlite3* db, const std::string& sql) {
  std::vector<std::string> values;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return values;
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  while (sqlite3_step(raw) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(raw, 0);
    if (text != nullptr) values.emplace_back(reinterpret_cast<const char*>(text));
  }
  return values;
}

// `text` as an SQL string literal.
std::string Literal(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

// The tables with a foreign key to `table` (in the in-memory copy), in one query.
std::vector<std::string> ReferencingTables(sqlite3* db, const std::string& table) {
  return Strings(db,
                 "SELECT DISTINCT m.name FROM sqlite_schema m, pragma_foreign_key_list(m.name) f "
                 "WHERE m.type = 'table' AND f.\"table\" = " +
                     Literal(table) + " COLLATE NOCASE AND m.name <> " + Literal(table) +
                     " COLLATE NOCASE "
                     "ORDER BY m.name");
}

class SqliteChecker {
 public:
  explicit SqliteChecker(LintState& state) : state_(state) {
    for (sqlite3* db : {schema_.get(), probe_.get()}) {
      if (db != nullptr) sqlite3_progress_handler(db, kProgressEvery, SpendBudget, &spent_);
    }
  }

  bool Ready() const { return schema_ != nullptr && probe_ != nullptr; }

  // The live database's schema, or the revisions already applied.
  void Seed(const std::vector<const Script*>& before) {
    Run(schema_.get(), "PRAGMA foreign_keys = OFF");
    if (state_.options().facts != nullptr) {
      // The live schema's CREATE statements: in one transaction (a failing one rolls back only
      // itself). Not the replayed revisions: a statement abandoned at its budget (an
      // interrupt) would roll a whole transaction back.
      Run(schema_.get(), "BEGIN");
      for (const std::string& sql : state_.options().facts->schema_statements) {
        spent_ = 0;
        if (Run(schema_.get(), sql)) ++seed_failures_;
      }
      Run(schema_.get(), "COMMIT");
      return;
    }
    for (const Script* script : before) {
      for (const SqlStatement& statement :
           script->Statements(Direction::kUpgrade, kDialectSqlite)) {
        const SqliteStatement classified = Classify(statement.text);
        Learn(classified);
        if (classified.kind == SqliteStatement::kUnsafeToRun) continue;
        spent_ = 0;
        if (Run(schema_.get(), statement.text)) ++seed_failures_;
      }
    }
  }

  void Revision(const Script& script) {
    const bool foreign_keys = !script.sqlite_foreign_keys_off;
    const std::string pragma =
        std::string("PRAGMA foreign_keys = ") + (foreign_keys ? "ON" : "OFF");
    Run(schema_.get(), pragma);
    Run(probe_.get(), pragma);
    const bool transactional = script.transaction == TransactionMode::kPerMigration;
    for (const SqlStatement& statement : script.Statements(Direction::kUpgrade, kDialectSqlite)) {
      std::vector<Suppression> suppressions = SuppressionsOf(script, statement, kDialectSqlite);
      StatementSite site{&script, &statement, transactional, &suppressions};
      state_.CountStatement();
      Check(site, foreign_keys);
      ReportSuppressionProblems(site, state_);
    }
  }

 private:
  // Keeps LintState's view of the tables (new or existing) as the statement changes them.
  void Learn(const SqliteStatement& statement) {
    if (statement.kind == SqliteStatement::kCreateTable) state_.Created(statement.table);
    if (statement.kind == SqliteStatement::kDropTable) state_.Dropped(statement.table);
    if (statement.kind == SqliteStatement::kRenameTable) {
      state_.Renamed(statement.table, statement.new_name);
    }
  }

  void Check(const StatementSite& site, bool foreign_keys) {
    const std::string& sql = site.statement->text;
    const SqliteStatement statement = Classify(sql);
    const bool existing = !statement.table.empty() && !state_.IsNew(statement.table);
    const std::string declared =
        site.script->loses_data.find("upgrade") != std::string::npos
            ? " (the script declares it: '-- loses-data: " + site.script->loses_data + "')"
            : "";
    switch (statement.kind) {
      case SqliteStatement::kAddColumn:
        ProbeAddColumn(site, statement, sql, existing);
        break;
      case SqliteStatement::kDropColumn:
        if (existing) {
          state_.Report(site, "drop-column", statement.table,
                        "DROP COLUMN " + statement.table + "." + statement.column + declared);
        }
        break;
      case SqliteStatement::kDropTable:
        if (existing) {
          state_.Report(site, "drop-table", statement.table,
                        "DROP TABLE " + statement.table + declared);
        }
        if (foreign_keys) {
          const auto children = ReferencingTables(schema_.get(), statement.table);
          if (!children.empty()) {
            std::string list;
            for (const auto& child : children) list += (list.empty() ? "" : ", ") + child;
            state_.Report(site, "sqlite-rebuild-foreign-keys", statement.table,
                          "DROP TABLE " + statement.table + " with foreign keys on while " + list +
                              " reference it: its rows are deleted first and their ON "
                              "DELETE actions run (or the drop fails)");
          }
        }
        break;
      case SqliteStatement::kRenameTable:
        if (existing) {
          state_.Report(site, "rename-table", statement.table,
                        "RENAME " + statement.table + " TO " + statement.new_name);
        }
        break;
      case SqliteStatement::kRenameColumn:
        if (existing) {
          state_.Report(site, "rename-column", statement.table,
                        "RENAME COLUMN " + statement.table + "." + statement.column + " TO " +
                            statement.new_name);
        }
        break;
      case SqliteStatement::kPragma:
        if (site.transactional &&
            (statement.column == "journal_mode" || statement.column == "foreign_keys")) {
          state_.Report(site, "sqlite-pragma-in-transaction", "",
                        "PRAGMA " + statement.column + " in a transactional revision");
        }
        break;
      default:
        break;
    }
    Learn(statement);
    if (statement.kind == SqliteStatement::kUnsafeToRun) return;
    // What SQLite itself says of the statement on the schema it meets.
    spent_ = 0;
    bool abandoned = false;
    if (auto error = Run(schema_.get(), sql, &abandoned)) {
      if (abandoned) {
        // Too much work for a lint (a generator, a large backfill): not judged.
        return;
      }
      if (statement.kind == SqliteStatement::kDropColumn) {
        state_.Report(site, "sqlite-drop-column-refused", statement.table,
                      "SQLite refuses DROP COLUMN " + statement.table + "." + statement.column +
                          ": " + *error);
      } else if (statement.kind != SqliteStatement::kAddColumn || !add_column_reported_) {
        state_.ReportAs(
            site, "sqlite-statement-fails",
            seed_failures_ == 0 ? LintSeverity::kError : LintSeverity::kWarning, statement.table,
            "SQLite: " + *error +
                (seed_failures_ == 0 ? ""
                                     : " (the schema before it could not be rebuilt exactly: " +
                                           std::to_string(seed_failures_) +
                                           " earlier statement(s) failed in memory)"));
      }
    }
  }

  // ADD COLUMN tried on a one-row table with the same definition: SQLite's refusals that depend
  // on rows (NOT NULL without a default, a non-constant default, STORED, REFERENCES with a
  // default) show there, as they will in production.
  void ProbeAddColumn(const StatementSite& site, const SqliteStatement& statement,
                      const std::string& sql, bool existing) {
    add_column_reported_ = false;
    const std::string definition = sql.substr(statement.definition_at);
    spent_ = 0;
    Run(probe_.get(), "DROP TABLE IF EXISTS migrationd_lint_probe");
    Run(probe_.get(), "CREATE TABLE migrationd_lint_probe(migrationd_lint_probe_x)");
    Run(probe_.get(), "INSERT INTO migrationd_lint_probe VALUES (1)");
    auto error = Run(probe_.get(), "ALTER TABLE migrationd_lint_probe ADD COLUMN " + definition);
    if (!error) return;
    std::string lower = *error;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!lower.starts_with("cannot add")) return;  // about the probe, not the column
    const bool always =
        lower.find("primary key") != std::string::npos || lower.find("unique") != std::string::npos;
    if (!existing && !always) return;  // a new table has no rows yet
    add_column_reported_ = true;
    state_.Report(site, "sqlite-add-column-refused", statement.table,
                  "SQLite refuses ADD COLUMN " + statement.table + "." + statement.column +
                      (always ? "" : " once the table has rows") + ": \"" + *error + "\"");
  }

  LintState& state_;
  Database schema_ = OpenInMemory();
  Database probe_ = OpenInMemory();
  int seed_failures_ = 0;
  bool add_column_reported_ = false;
  int spent_ = 0;  // progress callbacks of the statement running now
};

}  // namespace

void LintSqliteRevisions(const std::vector<const Script*>& before,
                         const std::vector<const Script*>& plan, LintState& state) {
  SqliteChecker checker(state);
  if (!checker.Ready()) return;
  checker.Seed(before);
  state.StartUnit();
  for (const Script* script : plan) {
    if (state.options().each_revision_alone) state.StartUnit();
    checker.Revision(*script);
  }
}

}  // namespace migrationd::lint
