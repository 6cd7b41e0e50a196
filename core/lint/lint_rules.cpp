// The rule catalogue: every rule's id, severity, what it catches and the safe way. The docs
// (docs/MIGCTL.md, "Lint rules") list the same, and a test checks they agree.
#include "core/lint/lint.h"

namespace migrationd {

namespace {

constexpr auto kError = LintSeverity::kError;
constexpr auto kWarning = LintSeverity::kWarning;
constexpr std::string_view kPg = "postgresql";
constexpr std::string_view kLite = "sqlite";
constexpr std::string_view kBoth = "postgresql, sqlite";

const std::vector<LintRule> kRules = {
    // Locks and rewrites (PostgreSQL).
    {"index-not-concurrent", kPg, kError, "locks and rewrites",
     "CREATE INDEX without CONCURRENTLY on an existing table: SHARE lock, every write to the "
     "table waits until the whole index is built",
     "CREATE INDEX CONCURRENTLY in a revision of its own with '-- transaction: none' (it cannot "
     "run in a transaction); if it fails it leaves an INVALID index: DROP INDEX CONCURRENTLY it "
     "and run the revision again",
     "squawk require-concurrent-index-creation; Atlas concurrent_index", false},
    {"drop-index-not-concurrent", kPg, kWarning, "locks and rewrites",
     "DROP INDEX without CONCURRENTLY: ACCESS EXCLUSIVE on the index's table; quick once "
     "granted, but it queues behind every running query and everything queues behind it",
     "DROP INDEX CONCURRENTLY in a revision with '-- transaction: none'",
     "squawk require-concurrent-index-deletion; Atlas concurrent_index", true},
    {"reindex-not-concurrent", kPg, kError, "locks and rewrites",
     "REINDEX without CONCURRENTLY: blocks writes to the table, and reads that would use the "
     "index, for the whole rebuild",
     "REINDEX (CONCURRENTLY) ... in a revision with '-- transaction: none'",
     "squawk require-concurrent-reindex", false},
    {"add-column-volatile-default", kPg, kError, "locks and rewrites",
     "ADD COLUMN whose value is computed per row (a volatile DEFAULT such as random() or "
     "gen_random_uuid(), serial, an identity or a stored generated column): the whole table is "
     "rewritten under ACCESS EXCLUSIVE",
     "1) ADD COLUMN without the default (or with a constant one: no rewrite since PostgreSQL "
     "11); 2) ALTER COLUMN ... SET DEFAULT for new rows; 3) backfill the existing rows in "
     "batches in later revisions ('-- transaction: none', UPDATE ... WHERE id BETWEEN ...)",
     "squawk adding-field-with-default, prefer-identity", false},
    {"alter-column-type", kPg, kError, "locks and rewrites",
     "ALTER COLUMN TYPE that rewrites the table and rebuilds its indexes under ACCESS "
     "EXCLUSIVE. Not reported where the server keeps the data as it is: varchar(n) to a longer "
     "varchar or to text, text to varchar without a length, numeric(p,s) to a larger p with the "
     "same s, a type to itself",
     "1) ADD COLUMN new_col with the new type; 2) write both columns from the application (or a "
     "trigger); 3) backfill new_col in batches; 4) switch readers; 5) drop the old column in a "
     "later release",
     "squawk changing-column-type", false},
    {"set-not-null", kPg, kError, "locks and rewrites",
     "SET NOT NULL on an existing table: ACCESS EXCLUSIVE while every row is scanned",
     "1) ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; 2) in a later revision VALIDATE "
     "CONSTRAINT c (SHARE UPDATE EXCLUSIVE: reads and writes go on); 3) SET NOT NULL (it uses "
     "the validated check and does not scan); 4) DROP CONSTRAINT c",
     "squawk adding-not-nullable-field; Atlas MF104", true},
    {"constraint-not-valid", kPg, kError, "locks and rewrites",
     "ADD FOREIGN KEY or CHECK on an existing table without NOT VALID: every row is checked "
     "while the table (and for a foreign key the referenced one) is locked against writes",
     "1) ADD CONSTRAINT ... NOT VALID (new rows are checked at once, nothing is scanned); "
     "2) in a later revision VALIDATE CONSTRAINT ... (SHARE UPDATE EXCLUSIVE: reads and writes "
     "go on)",
     "squawk constraint-missing-not-valid, adding-foreign-key-constraint", true},
    {"add-unique-without-index", kPg, kError, "locks and rewrites",
     "ADD PRIMARY KEY or UNIQUE on an existing table without USING INDEX: the index is built "
     "under ACCESS EXCLUSIVE, reads and writes wait for all of it",
     "1) CREATE UNIQUE INDEX CONCURRENTLY ix ON t (cols) ('-- transaction: none'); 2) ALTER "
     "TABLE t ADD CONSTRAINT c UNIQUE USING INDEX ix (or PRIMARY KEY USING INDEX ix)",
     "squawk disallowed-unique-constraint, adding-serial-primary-key-field", true},
    {"vacuum-full", kPg, kError, "locks and rewrites",
     "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE (reads wait too)",
     "plain VACUUM (no lock against reads or writes), or pg_repack outside the migration", "",
     false},
    {"cluster", kPg, kError, "locks and rewrites",
     "CLUSTER rewrites the table under ACCESS EXCLUSIVE (reads wait too)",
     "pg_repack --order-by outside the migration, or leave the physical order to the planner", "",
     false},
    {"set-logged", kPg, kError, "locks and rewrites",
     "SET LOGGED / SET UNLOGGED rewrites the table (and, to LOGGED, writes it all to the WAL) "
     "under ACCESS EXCLUSIVE",
     "create the new table with the persistence it needs and move the rows in batches", "", false},
    {"detach-partition-not-concurrent", kPg, kError, "locks and rewrites",
     "DETACH PARTITION without CONCURRENTLY: ACCESS EXCLUSIVE on the partitioned table",
     "DETACH PARTITION ... CONCURRENTLY in a revision with '-- transaction: none' (PostgreSQL "
     "14+)",
     "squawk require-concurrent-partition-detach", false},
    {"domain-constraint", kPg, kWarning, "locks and rewrites",
     "a CHECK or NOT NULL on a domain: adding one scans every column of that type under lock, "
     "and a domain's constraint cannot be changed online later",
     "a CHECK constraint on the table's column instead (it can be added NOT VALID and validated "
     "later); on a domain: ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT",
     "squawk ban-create-domain-with-constraint, ban-alter-domain-with-add-constraint", false},
    {"trigger-on-existing-table", kPg, kWarning, "locks and rewrites",
     "CREATE TRIGGER on an existing table: SHARE ROW EXCLUSIVE (writes wait), and every write "
     "of the application now runs the trigger's function",
     "make sure the function is fast and cannot fail on existing rows; create the trigger in a "
     "revision of its own so that the lock is held only for it",
     "", true},
    // Breaking for the running application.
    {"drop-table", kBoth, kError, "breaking",
     "DROP TABLE of an existing table: its rows are gone, and the running application's "
     "queries on it fail",
     "1) release code that no longer uses the table; 2) drop it in a later revision (declare it "
     "in '-- loses-data:'; a backup is taken before the upgrade)",
     "squawk ban-drop-table; Atlas DS102", false},
    {"drop-column", kBoth, kError, "breaking",
     "DROP COLUMN of an existing table: its values are gone, and running code that selects or "
     "inserts it fails",
     "1) stop reading and writing the column in a release; 2) drop it in a later revision "
     "(declare it in '-- loses-data:')",
     "squawk ban-drop-column; Atlas DS103", false},
    {"rename-table", kBoth, kError, "breaking",
     "RENAME of an existing table: running code that uses the old name fails at once",
     "1) create the new table (or a view with the new name over the old table); 2) write to "
     "both; 3) move readers; 4) drop the old name in a later release",
     "squawk renaming-table; Atlas BC101", false},
    {"rename-column", kBoth, kError, "breaking",
     "RENAME COLUMN of an existing table: running code that uses the old name fails at once",
     "1) ADD the new column; 2) write both; 3) backfill; 4) move readers; 5) drop the old "
     "column in a later release",
     "squawk renaming-column; Atlas BC102", false},
    {"add-column-not-null-without-default", kPg, kError, "breaking",
     "ADD COLUMN ... NOT NULL without a DEFAULT: fails on a table with rows ('contains null "
     "values'), and running code that inserts without the column fails after it",
     "ADD COLUMN with a constant DEFAULT (no rewrite since PostgreSQL 11), or: add it NULL, "
     "backfill, then the set-not-null recipe",
     "squawk adding-required-field; Atlas MF103", false},
    {"drop-not-null", kPg, kWarning, "breaking",
     "DROP NOT NULL: running code that assumes the column is never NULL may read NULLs",
     "make the readers handle NULL in a release before this revision", "squawk ban-drop-not-null",
     false},
    {"truncate-cascade", kPg, kError, "breaking",
     "TRUNCATE ... CASCADE also empties every table with a foreign key to this one, whichever "
     "they are at run time",
     "TRUNCATE the tables by name, or DELETE in batches", "squawk ban-truncate-cascade", false},
    // Transactions and timeouts (PostgreSQL).
    {"concurrently-in-transaction", kPg, kError, "transactions",
     "CONCURRENTLY (or VACUUM) in a transactional revision: the server refuses it inside a "
     "transaction block, so the revision fails at run time",
     "put the statement in a revision of its own with '-- transaction: none'",
     "squawk ban-concurrent-index-creation-in-transaction; Atlas concurrent_index", false},
    {"many-exclusive-locks", kPg, kWarning, "transactions",
     "one transactional revision takes ACCESS EXCLUSIVE on several existing tables: each lock is "
     "held until the commit, while the next one waits in the lock queue, and two migrations (or "
     "the application) taking them in another order deadlock",
     "one table per revision, or a short lock_timeout with retries (migrationd's lock_timeout "
     "and retries apply per statement)",
     "", true},
    {"backfill-with-ddl", kPg, kWarning, "transactions",
     "UPDATE or DELETE of every row of an existing table in the same transaction as DDL: the "
     "DDL's ACCESS EXCLUSIVE lock is held until the whole table has been written",
     "the DDL in one revision; the backfill in batches in another ('-- transaction: none', "
     "UPDATE ... WHERE id BETWEEN ... per statement)",
     "", true},
    // Hygiene (PostgreSQL).
    {"int-key", kPg, kWarning, "hygiene",
     "a primary key of type integer or smallint (serial, smallserial): it runs out at 2^31 and "
     "widening it later rewrites the table and every referencing one",
     "bigint (bigserial, or bigint GENERATED ALWAYS AS IDENTITY)",
     "squawk prefer-bigint-over-int, prefer-bigint-over-smallint", false},
    {"timestamp-without-time-zone", kPg, kWarning, "hygiene",
     "timestamp without time zone: values mean different instants depending on the writer's "
     "TimeZone",
     "timestamptz (timestamp with time zone)", "squawk prefer-timestamp-tz", false},
    {"char-type", kPg, kWarning, "hygiene",
     "char(n) pads with spaces and compares in surprising ways; it is no faster than text",
     "text (with a CHECK on length if the length matters)", "squawk ban-char-field", false},
    {"varchar-length", kPg, kWarning, "hygiene",
     "varchar(n): raising the limit later is a change of type; the limit rarely is the "
     "business rule",
     "text, with CHECK (char_length(col) <= n) when a limit is wanted (a check can be changed "
     "NOT VALID)",
     "squawk prefer-text-field", false},
    {"identifier-too-long", kPg, kWarning, "hygiene",
     "an identifier over 63 bytes: PostgreSQL truncates it silently, so two long names can "
     "become the same one",
     "a name of at most 63 bytes", "", false},
    {"enum-add-value-position", kPg, kWarning, "hygiene",
     "ALTER TYPE ... ADD VALUE without BEFORE or AFTER: the value sorts last, which decides "
     "ORDER BY and comparisons on the column; the new value cannot be used in the same "
     "transaction",
     "name the position (ADD VALUE 'x' AFTER 'y'); use the value in a later revision",
     "squawk require-enum-value-ordering", false},
    // SQLite.
    {"sqlite-add-column-refused", kLite, kError, "sqlite refusals",
     "ADD COLUMN that SQLite refuses at run time: a PRIMARY KEY or UNIQUE column, NOT NULL "
     "without a non-NULL default, a non-constant default (CURRENT_TIMESTAMP, an expression), a "
     "STORED generated column, or a REFERENCES column with a non-NULL default while foreign "
     "keys are on. Some of these fail only once the table has rows: in production, not in a "
     "test on an empty database",
     "rebuild the table: header '-- sqlite-foreign-keys: off'; CREATE TABLE new_t (...) with the "
     "column; INSERT INTO new_t SELECT ...; DROP TABLE t; ALTER TABLE new_t RENAME TO t; "
     "recreate its indexes and triggers ('migctl revision --autogenerate' writes this)",
     "", false},
    {"sqlite-drop-column-refused", kLite, kError, "sqlite refusals",
     "DROP COLUMN that SQLite refuses: the column is the PRIMARY KEY, UNIQUE, indexed, in a "
     "foreign key, a CHECK or a generated column, or used by a view or trigger",
     "drop what uses the column first (the index, view or trigger), or rebuild the table "
     "without the column (header '-- sqlite-foreign-keys: off')",
     "", false},
    {"sqlite-rebuild-foreign-keys", kLite, kError, "sqlite refusals",
     "a table rebuild (DROP TABLE t, then RENAME another table to t) without '-- "
     "sqlite-foreign-keys: off' while other tables reference t: with foreign keys on, DROP "
     "TABLE deletes t's rows first and their ON DELETE actions run (CASCADE empties the "
     "children) or the drop fails",
     "add the header '-- sqlite-foreign-keys: off': the runner turns foreign keys off around "
     "the transaction and checks them all before the commit",
     "", false},
    {"sqlite-pragma-in-transaction", kLite, kError, "sqlite refusals",
     "PRAGMA journal_mode (or foreign_keys) in a transactional revision: SQLite refuses to "
     "change the journal mode inside a transaction and ignores foreign_keys there",
     "journal_mode belongs to the database's set-up, not a revision; for foreign keys use the "
     "header '-- sqlite-foreign-keys: off'",
     "", false},
    {"sqlite-statement-fails", kLite, kError, "sqlite refusals",
     "the statement fails on the schema the statements before it leave (SQLite's own error)",
     "fix the statement; 'migctl verify' runs the revision on a scratch database", "", false},
    // Both engines.
    {"syntax-error", kPg, kError, "syntax",
     "the statement does not parse (PostgreSQL's own grammar; on SQLite a statement SQLite "
     "cannot parse is a sqlite-statement-fails)",
     "fix the statement", "", false},
    {"lint-suppression-without-reason", kBoth, kError, "suppressions",
     "'-- lint: allow RULE-ID' without ': reason': a suppression must say why, and this one "
     "suppresses nothing",
     "-- lint: allow RULE-ID: why this is safe here", "", false},
    {"lint-unused-suppression", kBoth, kWarning, "suppressions",
     "a '-- lint: allow' comment that suppresses nothing (no such rule, or the rule did not "
     "fire on the statement below it)",
     "remove it, or move it directly above the statement it is meant for", "", false},
};

}  // namespace

const char* LintSeverityName(LintSeverity severity) {
  return severity == LintSeverity::kError ? "error" : "warning";
}

const std::vector<LintRule>& LintRules() { return kRules; }

const LintRule* FindLintRule(std::string_view id) {
  for (const LintRule& rule : kRules) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

}  // namespace migrationd
