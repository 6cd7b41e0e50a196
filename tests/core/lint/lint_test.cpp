// The linter's rules, each with a statement that triggers it and a safe variant that does not,
// on both engines where the rule applies; the new-table exemption; suppressions. SQLite's
// refusals are also run on a real SQLite file: what lint finds really fails there.
#include "core/lint/lint.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/test_support.h"

namespace migrationd {
namespace {

constexpr int kFirstSqlLine = 7;  // after four header lines, a blank line and "-- +upgrade"

// A revision whose upgrade is `sql` (starting at line 7); `none`: transaction: none.
Script Revision(const std::string& id, const std::string& sql, bool none = false,
                const std::string& extra_header = "") {
  const std::string text = "-- revision: " + id + "\n-- parents:\n-- message: m\n-- transaction: " +
                           (none ? "none" : "per-migration") + "\n" + extra_header +
                           "\n-- +upgrade\n" + sql + "\n-- +downgrade\n";
  auto script = ParseScript(text, "m/" + id + ".sql");
  INFO(text);
  REQUIRE(script.ok());
  return std::move(script).value();
}

// The static lint (as in CI) of `plan` after `setup` (an earlier revision: its tables exist).
LintReport Lint(const std::string& dialect, const std::string& setup, const Script& plan) {
  Script before = Revision("000_setup", setup);
  LintOptions options;
  options.dialect = dialect;
  options.each_revision_alone = true;
  return LintRevisions({&before}, {&plan}, options);
}

std::vector<const LintFinding*> Of(const LintReport& report, const std::string& rule) {
  std::vector<const LintFinding*> found;
  for (const auto& finding : report.findings) {
    if (finding.rule == rule) found.push_back(&finding);
  }
  return found;
}

std::string Describe(const LintReport& report) {
  std::string text;
  for (const auto& f : report.findings) {
    text += f.rule + " line " + std::to_string(f.line) + ": " + f.what + "\n";
  }
  return text;
}

struct RuleCase {
  RuleCase(std::string rule_id, std::string engine, std::string setup_sql, std::string trigger_sql,
           bool trigger_without_transaction, std::string safe_sql,
           bool safe_without_transaction = false, int finding_line = 0,
           std::string safe_setup_sql = "")
      : rule(std::move(rule_id)),
        dialect(std::move(engine)),
        setup(std::move(setup_sql)),
        trigger(std::move(trigger_sql)),
        trigger_none(trigger_without_transaction),
        safe(std::move(safe_sql)),
        safe_none(safe_without_transaction),
        line(finding_line),
        safe_setup(std::move(safe_setup_sql)) {}
  std::string rule;
  std::string dialect;
  std::string setup;
  std::string trigger;
  bool trigger_none;  // transaction: none
  std::string safe;
  bool safe_none;
  int line;                // the line of the finding within `trigger` (0-based)
  std::string safe_setup;  // when the safe variant needs another setup
};

const char* const kPgSetup =
    "CREATE TABLE t (id bigint PRIMARY KEY, name text, code varchar(10), n int NOT NULL, "
    "v varchar(20));\n"
    "CREATE TABLE p (id bigint PRIMARY KEY);\n"
    "CREATE INDEX ix_name ON t (name);\n"
    "CREATE DOMAIN positive AS int;\n"
    "CREATE TYPE mood AS ENUM ('a', 'b');\n"
    "CREATE TABLE m (id bigint, at date) PARTITION BY RANGE (at);\n"
    "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
    "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;";

const std::vector<RuleCase>& PostgresCases() {
  static const std::vector<RuleCase> cases = {
      {"index-not-concurrent", "postgresql", kPgSetup, "CREATE INDEX ix ON t (code);", false,
       "CREATE INDEX CONCURRENTLY ix ON t (code);", true},
      {"drop-index-not-concurrent", "postgresql", kPgSetup, "DROP INDEX ix_name;", false,
       "DROP INDEX CONCURRENTLY ix_name;", true},
      {"reindex-not-concurrent", "postgresql", kPgSetup, "REINDEX TABLE t;", false,
       "REINDEX TABLE CONCURRENTLY t;", true},
      {"add-column-volatile-default", "postgresql", kPgSetup,
       "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();", false,
       "ALTER TABLE t ADD COLUMN flag boolean DEFAULT false;"},
      {"add-column-volatile-default", "postgresql", kPgSetup,
       "ALTER TABLE t ADD COLUMN seq bigserial;", false,
       "ALTER TABLE t ADD COLUMN created timestamptz DEFAULT now();"},
      {"alter-column-type", "postgresql", kPgSetup, "ALTER TABLE t ALTER COLUMN n TYPE bigint;",
       false, "ALTER TABLE t ALTER COLUMN v TYPE varchar(40);"},
      {"alter-column-type", "postgresql", kPgSetup,
       "ALTER TABLE t ALTER COLUMN code TYPE varchar(5);", false,
       "ALTER TABLE t ALTER COLUMN code TYPE text;"},
      {"set-not-null", "postgresql", kPgSetup, "ALTER TABLE t ALTER COLUMN name SET NOT NULL;",
       false, "ALTER TABLE t ALTER COLUMN name SET NOT NULL;", false, 0,
       std::string(kPgSetup) +
           "\nALTER TABLE t ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;\n"
           "ALTER TABLE t VALIDATE CONSTRAINT name_nn;"},
      {"constraint-not-valid", "postgresql", kPgSetup,
       "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (n) REFERENCES p (id);", false,
       "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (n) REFERENCES p (id) NOT VALID;"},
      {"constraint-not-valid", "postgresql", kPgSetup,
       "ALTER TABLE t ADD CONSTRAINT positive_n CHECK (n > 0);", false,
       "ALTER TABLE t ADD CONSTRAINT positive_n CHECK (n > 0) NOT VALID;"},
      {"add-unique-without-index", "postgresql", kPgSetup,
       "ALTER TABLE t ADD CONSTRAINT u_name UNIQUE (name);", false,
       "ALTER TABLE t ADD CONSTRAINT u_name UNIQUE USING INDEX ix_name;"},
      {"vacuum-full", "postgresql", kPgSetup, "VACUUM FULL t;", true, "VACUUM t;", true},
      {"cluster", "postgresql", kPgSetup, "CLUSTER t USING ix_name;", false, "ANALYZE t;"},
      {"set-logged", "postgresql", kPgSetup, "ALTER TABLE t SET UNLOGGED;", false,
       "CREATE UNLOGGED TABLE scratch (id bigint);"},
      {"detach-partition-not-concurrent", "postgresql", kPgSetup,
       "ALTER TABLE m DETACH PARTITION m_2024;", false,
       "ALTER TABLE m DETACH PARTITION m_2024 CONCURRENTLY;", true},
      {"domain-constraint", "postgresql", kPgSetup,
       "ALTER DOMAIN positive ADD CONSTRAINT gt0 CHECK (VALUE > 0);", false,
       "ALTER DOMAIN positive ADD CONSTRAINT gt0 CHECK (VALUE > 0) NOT VALID;"},
      {"trigger-on-existing-table", "postgresql", kPgSetup,
       "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();", false,
       "CREATE TABLE fresh (id bigint);\n"
       "CREATE TRIGGER tr BEFORE UPDATE ON fresh FOR EACH ROW EXECUTE FUNCTION f();"},
      {"drop-table", "postgresql", kPgSetup, "DROP TABLE p;", false,
       "CREATE TABLE tmp (id bigint);\nDROP TABLE tmp;"},
      {"drop-column", "postgresql", kPgSetup, "ALTER TABLE t DROP COLUMN name;", false,
       "CREATE TABLE tmp (id bigint, x int);\nALTER TABLE tmp DROP COLUMN x;"},
      {"rename-table", "postgresql", kPgSetup, "ALTER TABLE t RENAME TO things;", false,
       "CREATE VIEW things AS SELECT * FROM t;"},
      {"rename-column", "postgresql", kPgSetup, "ALTER TABLE t RENAME COLUMN name TO title;", false,
       "ALTER TABLE t ADD COLUMN title text;"},
      {"add-column-not-null-without-default", "postgresql", kPgSetup,
       "ALTER TABLE t ADD COLUMN c int NOT NULL;", false,
       "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;"},
      {"drop-not-null", "postgresql", kPgSetup, "ALTER TABLE t ALTER COLUMN n DROP NOT NULL;",
       false, "ALTER TABLE t ALTER COLUMN n SET DEFAULT 0;"},
      {"truncate-cascade", "postgresql", kPgSetup, "TRUNCATE t CASCADE;", false, "TRUNCATE t;"},
      {"concurrently-in-transaction", "postgresql", kPgSetup,
       "CREATE INDEX CONCURRENTLY ix_code ON t (code);", false,
       "CREATE INDEX CONCURRENTLY ix_code ON t (code);", true},
      {"concurrently-in-transaction", "postgresql", kPgSetup, "VACUUM t;", false, "VACUUM t;",
       true},
      {"many-exclusive-locks", "postgresql", kPgSetup,
       "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE p ADD COLUMN b int;", false,
       "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;", false, 1},
      {"backfill-with-ddl", "postgresql", kPgSetup,
       "ALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 1;", false,
       "ALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 1 WHERE id < 1000;", false, 1},
      {"int-key", "postgresql", kPgSetup, "CREATE TABLE k (id int PRIMARY KEY);", false,
       "CREATE TABLE k (id bigint PRIMARY KEY);"},
      {"int-key", "postgresql", kPgSetup, "CREATE TABLE k (id serial, PRIMARY KEY (id));", false,
       "CREATE TABLE k (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"},
      {"timestamp-without-time-zone", "postgresql", kPgSetup, "CREATE TABLE k (at timestamp);",
       false, "CREATE TABLE k (at timestamptz);"},
      {"char-type", "postgresql", kPgSetup, "CREATE TABLE k (c char(3));", false,
       "CREATE TABLE k (c text);"},
      {"varchar-length", "postgresql", kPgSetup, "CREATE TABLE k (c varchar(3));", false,
       "CREATE TABLE k (c text);"},
      {"identifier-too-long", "postgresql", kPgSetup,
       "CREATE TABLE " + std::string(70, 'x') + " (id bigint);", false,
       "CREATE TABLE " + std::string(63, 'x') + " (id bigint);"},
      {"enum-add-value-position", "postgresql", kPgSetup, "ALTER TYPE mood ADD VALUE 'c';", false,
       "ALTER TYPE mood ADD VALUE 'c' AFTER 'b';"},
      {"syntax-error", "postgresql", kPgSetup, "CREAT TABLE x (id int);", false,
       "CREATE TABLE x (id int);"},
  };
  return cases;
}

const char* const kSqliteSetup =
    "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, code TEXT UNIQUE, n INT, p_id INT, "
    "note TEXT, FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE);\n"
    "CREATE INDEX ix_n ON t (n);\n"
    "CREATE VIEW names AS SELECT name FROM t;\n"
    "CREATE TRIGGER t_note AFTER INSERT ON t BEGIN UPDATE t SET note = note WHERE NEW.note IS "
    "NULL; "
    "END;";

// What each SQLite case triggers must really fail on SQLite once the table has a row.
struct SqliteRefusal {
  std::string trigger;
  std::string rule;
};

const std::vector<SqliteRefusal>& SqliteRefusals() {
  static const std::vector<SqliteRefusal> cases = {
      {"ALTER TABLE t ADD COLUMN k INTEGER PRIMARY KEY;", "sqlite-add-column-refused"},
      {"ALTER TABLE t ADD COLUMN k TEXT UNIQUE;", "sqlite-add-column-refused"},
      {"ALTER TABLE t ADD COLUMN k TEXT NOT NULL;", "sqlite-add-column-refused"},
      {"ALTER TABLE t ADD COLUMN k TEXT DEFAULT CURRENT_TIMESTAMP;", "sqlite-add-column-refused"},
      {"ALTER TABLE t ADD COLUMN k INT GENERATED ALWAYS AS (n * 2) STORED;",
       "sqlite-add-column-refused"},
      {"ALTER TABLE t ADD COLUMN k INT REFERENCES p (id) DEFAULT 1;", "sqlite-add-column-refused"},
      {"ALTER TABLE t DROP COLUMN id;", "sqlite-drop-column-refused"},
      {"ALTER TABLE t DROP COLUMN code;", "sqlite-drop-column-refused"},
      {"ALTER TABLE t DROP COLUMN n;", "sqlite-drop-column-refused"},
      {"ALTER TABLE t DROP COLUMN name;", "sqlite-drop-column-refused"},
      {"ALTER TABLE t DROP COLUMN p_id;", "sqlite-drop-column-refused"},
      {"ALTER TABLE t DROP COLUMN note;", "sqlite-drop-column-refused"},
      {"CREATE INDEX ix_missing ON t (nope);", "sqlite-statement-fails"},
  };
  return cases;
}

const std::vector<RuleCase>& SqliteCases() {
  static const std::vector<RuleCase> cases = {
      {"sqlite-add-column-refused", "sqlite", kSqliteSetup,
       "ALTER TABLE t ADD COLUMN k TEXT NOT NULL;", false,
       "ALTER TABLE t ADD COLUMN k TEXT NOT NULL DEFAULT '';"},
      {"sqlite-drop-column-refused", "sqlite", kSqliteSetup, "ALTER TABLE t DROP COLUMN n;", false,
       "DROP INDEX ix_n;\nALTER TABLE t DROP COLUMN n;"},
      {"sqlite-rebuild-foreign-keys", "sqlite", kSqliteSetup,
       "CREATE TABLE new_p (id INTEGER PRIMARY KEY, x INT);\n"
       "INSERT INTO new_p (id) SELECT id FROM p;\nDROP TABLE p;\nALTER TABLE new_p RENAME TO p;",
       false, "", false, 2},
      {"sqlite-pragma-in-transaction", "sqlite", kSqliteSetup, "PRAGMA journal_mode = WAL;", false,
       "PRAGMA journal_mode = WAL;", true},
      {"sqlite-statement-fails", "sqlite", kSqliteSetup, "CREATE INDEX ix_missing ON t (nope);",
       false, "CREATE INDEX ix_name ON t (name);"},
      {"drop-table", "sqlite", kSqliteSetup, "DROP VIEW names;\nDROP TABLE t;", false,
       "CREATE TABLE tmp (id INT);\nDROP TABLE tmp;", false, 1},
      {"drop-column", "sqlite", kSqliteSetup,
       "ALTER TABLE p ADD COLUMN x INT;\nALTER TABLE t DROP COLUMN p_id;", false,
       "CREATE TABLE tmp (id INT, x INT);\nALTER TABLE tmp DROP COLUMN x;", false, 1},
      {"rename-table", "sqlite", kSqliteSetup, "ALTER TABLE p RENAME TO parents;", false,
       "CREATE TABLE tmp (id INT);\nALTER TABLE tmp RENAME TO tmp2;"},
      {"rename-column", "sqlite", kSqliteSetup, "ALTER TABLE t RENAME COLUMN name TO title;", false,
       "ALTER TABLE t ADD COLUMN title TEXT;"},
  };
  return cases;
}

void CheckCase(const RuleCase& c) {
  INFO(c.rule << " on " << c.dialect << ": " << c.trigger);
  const Script trigger = Revision("001_trigger", c.trigger, c.trigger_none);
  const LintReport found = Lint(c.dialect, c.setup, trigger);
  INFO(Describe(found));
  const auto hits = Of(found, c.rule);
  REQUIRE(hits.size() == 1);
  CHECK(hits.front()->line == kFirstSqlLine + c.line);
  CHECK(hits.front()->path == "m/001_trigger.sql");
  CHECK(hits.front()->revision == "001_trigger");
  CHECK_FALSE(hits.front()->what.empty());
  const LintRule* rule = FindLintRule(c.rule);
  REQUIRE(rule != nullptr);
  CHECK(rule->engines.find(c.dialect) != std::string_view::npos);
  CHECK(hits.front()->recipe == rule->recipe);

  const Script safe = Revision("001_safe", c.safe.empty() ? "SELECT 1;" : c.safe, c.safe_none);
  const LintReport clean = Lint(c.dialect, c.safe_setup.empty() ? c.setup : c.safe_setup, safe);
  INFO("safe variant: " << Describe(clean));
  CHECK(Of(clean, c.rule).empty());
}

TEST_CASE("every PostgreSQL rule fires on its statement and not on the safe variant", "[lint]") {
  for (const RuleCase& c : PostgresCases()) CheckCase(c);
}

TEST_CASE("every SQLite rule fires on its statement and not on the safe variant", "[lint]") {
  for (const RuleCase& c : SqliteCases()) CheckCase(c);
}

TEST_CASE("a rebuild with foreign keys off is not a rebuild finding", "[lint]") {
  const Script rebuild = Revision(
      "001_rebuild",
      "CREATE TABLE new_p (id INTEGER PRIMARY KEY, x INT);\n"
      "INSERT INTO new_p (id) SELECT id FROM p;\nDROP TABLE p;\nALTER TABLE new_p RENAME TO p;",
      false, "-- sqlite-foreign-keys: off\n");
  const LintReport report = Lint("sqlite", kSqliteSetup, rebuild);
  INFO(Describe(report));
  CHECK(Of(report, "sqlite-rebuild-foreign-keys").empty());
  // The table's old rows are dropped on purpose: still a drop of an existing table.
  CHECK(Of(report, "drop-table").size() == 1);
}

TEST_CASE("what lint says SQLite refuses, SQLite refuses on a table with a row", "[lint]") {
  testing::TempDir dir;
  for (const SqliteRefusal& c : SqliteRefusals()) {
    INFO(c.trigger);
    const Script trigger = Revision("001_trigger", c.trigger);
    const LintReport report = Lint("sqlite", kSqliteSetup, trigger);
    INFO(Describe(report));
    const auto hits = Of(report, c.rule);
    REQUIRE(hits.size() == 1);
    CHECK(hits.front()->severity == LintSeverity::kError);
    // The same schema in a real file, with rows, and the statement run as the runner would.
    const std::string path = dir / "refusal.db";
    std::remove(path.c_str());
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec(kSqliteSetup);
    db.exec("INSERT INTO p VALUES (1); INSERT INTO t VALUES (1, 'a', 'c', 2, 1, 'x')");
    CHECK_THROWS_AS(db.exec(c.trigger), SQLite::Exception);
  }
}

TEST_CASE("a table created earlier in the same plan is new, in an earlier revision it exists",
          "[lint]") {
  const Script create = Revision("001_create", "CREATE TABLE orders (id bigint, total int);");
  const Script index = Revision("002_index",
                                "CREATE INDEX ix_total ON orders (total);\n"
                                "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0);\n"
                                "ALTER TABLE orders ALTER COLUMN total TYPE bigint;");
  LintOptions plan;
  plan.dialect = "postgresql";
  const LintReport as_one_plan = LintRevisions({}, {&create, &index}, plan);
  INFO(Describe(as_one_plan));
  CHECK(as_one_plan.errors() == 0);

  LintOptions each_alone = plan;
  each_alone.each_revision_alone = true;
  const LintReport static_lint = LintRevisions({}, {&create, &index}, each_alone);
  INFO(Describe(static_lint));
  CHECK(Of(static_lint, "index-not-concurrent").size() == 1);
  CHECK(Of(static_lint, "constraint-not-valid").size() == 1);
  const auto retype = Of(static_lint, "alter-column-type");
  REQUIRE(retype.size() == 1);
  // The column's type before is known from the CREATE TABLE: int4 to int8 rewrites.
  CHECK(retype.front()->severity == LintSeverity::kError);
  CHECK_THAT(retype.front()->what, Catch::Contains("from int4"));
}

TEST_CASE("a suppression needs a reason, is listed, and one that suppresses nothing is reported",
          "[lint]") {
  const Script allowed = Revision("001_allowed",
                                  "-- lint: allow index-not-concurrent: the table holds 40 rows\n"
                                  "CREATE INDEX ix ON t (code);");
  LintReport report = Lint("postgresql", kPgSetup, allowed);
  INFO(Describe(report));
  REQUIRE(Of(report, "index-not-concurrent").size() == 1);
  CHECK(Of(report, "index-not-concurrent").front()->suppressed);
  CHECK(Of(report, "index-not-concurrent").front()->reason == "the table holds 40 rows");
  CHECK(report.errors() == 0);
  CHECK(report.suppressed() == 1);

  const Script no_reason = Revision("001_no_reason",
                                    "-- lint: allow index-not-concurrent\n"
                                    "CREATE INDEX ix ON t (code);");
  report = Lint("postgresql", kPgSetup, no_reason);
  INFO(Describe(report));
  REQUIRE(Of(report, "index-not-concurrent").size() == 1);
  CHECK_FALSE(Of(report, "index-not-concurrent").front()->suppressed);
  REQUIRE(Of(report, "lint-suppression-without-reason").size() == 1);
  CHECK(Of(report, "lint-suppression-without-reason").front()->line == kFirstSqlLine);
  CHECK(report.errors() == 2);

  const Script unused = Revision("001_unused",
                                 "-- lint: allow drop-table: not dropping anything\n"
                                 "CREATE INDEX CONCURRENTLY ix ON t (code);\n"
                                 "-- lint: allow no-such-rule: typo\n"
                                 "SELECT 1;",
                                 true);
  report = Lint("postgresql", kPgSetup, unused);
  INFO(Describe(report));
  const auto reported = Of(report, "lint-unused-suppression");
  REQUIRE(reported.size() == 2);
  CHECK(reported[0]->line == kFirstSqlLine);
  CHECK_THAT(reported[1]->what, Catch::Contains("no lint rule is called 'no-such-rule'"));
  CHECK(report.errors() == 0);

  // Another engine's rule in a common section is not unused on this one.
  report = Lint("sqlite", kSqliteSetup,
                Revision("001_common",
                         "-- lint: allow index-not-concurrent: small\n"
                         "CREATE INDEX ix ON t (code);"));
  INFO(Describe(report));
  CHECK(report.findings.empty());
}

TEST_CASE("a suppression is not part of the checksum", "[lint]") {
  const Script plain = Revision("001_x", "CREATE INDEX ix ON t (code);");
  const Script allowed = Revision("001_x",
                                  "-- lint: allow index-not-concurrent: small table\n"
                                  "CREATE INDEX ix ON t (code);");
  const Script changed = Revision("001_x", "-- another comment\nCREATE INDEX ix ON t (code);");
  CHECK(plain.Checksum("postgresql") == allowed.Checksum("postgresql"));
  CHECK(plain.Checksum("postgresql") != changed.Checksum("postgresql"));
}

TEST_CASE("a table's size escalates a warning to an error at lint_large_table", "[lint]") {
  DatabaseFacts facts;
  TableFacts t;
  t.name = "t";
  t.rows = 200000;
  t.rows_estimated = true;
  t.bytes = 48 << 20;
  t.scans = 1234;
  t.writes = 56;
  facts.tables.push_back(t);
  const Script trigger = Revision(
      "001_trigger", "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();");
  LintOptions options;
  options.dialect = "postgresql";
  options.facts = &facts;
  options.large_table_rows = 100000;
  LintReport report = LintRevisions({}, {&trigger}, options);
  REQUIRE(Of(report, "trigger-on-existing-table").size() == 1);
  const LintFinding& finding = *Of(report, "trigger-on-existing-table").front();
  CHECK(finding.severity == LintSeverity::kError);
  CHECK(finding.escalated);
  CHECK(finding.size ==
        "t: ~200 k rows, 48 MB, in use (1234 scans, 56 rows written since "
        "the statistics were reset)");
  options.large_table_rows = 300000;
  report = LintRevisions({}, {&trigger}, options);
  CHECK(Of(report, "trigger-on-existing-table").front()->severity == LintSeverity::kWarning);
}

TEST_CASE("every rule is in docs/MIGCTL.md with its id", "[lint]") {
  std::ifstream file(std::string(MIGRATIOND_SOURCE_DIR) + "/docs/MIGCTL.md");
  std::stringstream text;
  text << file.rdbuf();
  for (const LintRule& rule : LintRules()) {
    INFO(rule.id);
    CHECK(text.str().find("`" + std::string(rule.id) + "`") != std::string::npos);
  }
}

TEST_CASE("the seed's chain lints clean at error level on both engines", "[lint]") {
  auto scripts = ScriptDirectory::Load(std::string(MIGRATIOND_SOURCE_DIR) + "/migrations");
  REQUIRE(scripts.ok());
  for (const char* dialect : {"sqlite", "postgresql"}) {
    auto scope = LintScopeOfRange(*scripts, "");
    REQUIRE(scope.ok());
    LintOptions options;
    options.dialect = dialect;
    options.each_revision_alone = true;
    const LintReport report = LintRevisions(scope->before, scope->plan, options);
    INFO(dialect << ": " << Describe(report));
    CHECK(report.errors() == 0);
    CHECK(report.revisions == 4);
  }
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("a generator that never ends does not hold a SQLite lint: it is abandoned, not judged",
          "[lint]") {
  const Script generator =
      Revision("001_generate",
               "CREATE TABLE nums (n INT);\n"
               "INSERT INTO nums WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
               "SELECT x FROM c;\n"
               "CREATE INDEX ix_nums ON nums (n);");
  const LintReport report = Lint("sqlite", kSqliteSetup, generator);
  INFO(Describe(report));
  CHECK(report.findings.empty());
  CHECK(report.statements == 3);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("the words of a plan name the tables a lint may count, in lower case", "[lint]") {
  const Script plan = Revision("001_words",
                               "ALTER TABLE \"Users\" ADD COLUMN nick TEXT;\n"
                               "UPDATE orders SET total = 0 WHERE id < 10;");
  const auto words = WordsOfPlan({&plan}, "sqlite");
  CHECK(words.contains("users"));
  CHECK(words.contains("orders"));
  CHECK(words.contains("nick"));
  CHECK_FALSE(words.contains("roles"));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// tests/corpus/realistic: 369 revisions in the style of a real project (feature branches,
// backfills then NOT NULL, CONCURRENTLY indexes, enums, functions, triggers, views). What a
// static lint finds there is what a reviewer would want to hear: the NOT NULL after each
// backfill scans the table, and the index after it is built in the same transaction.
TEST_CASE("the realistic corpus: what a static lint finds, on both engines", "[lint]") {
  auto scripts =
      ScriptDirectory::Load(std::string(MIGRATIOND_SOURCE_DIR) + "/tests/corpus/realistic");
  REQUIRE(scripts.ok());
  auto scope = LintScopeOfRange(*scripts, "");
  REQUIRE(scope.ok());
  std::map<std::string, int> errors;
  for (const char* dialect : {"sqlite", "postgresql"}) {
    LintOptions options;
    options.dialect = dialect;
    options.each_revision_alone = true;
    const LintReport report = LintRevisions(scope->before, scope->plan, options);
    INFO(dialect << ": " << Describe(report));
    CHECK(report.revisions == 369);
    for (const auto& finding : report.findings) {
      CHECK(finding.line > 0);
      if (!finding.suppressed && finding.severity == LintSeverity::kError) {
        ++errors[std::string(dialect) + " " + finding.rule];
      }
    }
  }
  CHECK(errors == std::map<std::string, int>{{"postgresql index-not-concurrent", 7},
                                             {"postgresql set-not-null", 7}});
}

}  // namespace
}  // namespace migrationd
