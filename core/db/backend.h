// Backend: the small interface each database engine implements.
//
// A backend owns one connection and knows its engine's SQL dialect; it knows nothing of scripts,
// revisions, sockets or jobs. Statements use $1, $2 ... placeholders on every engine. The version
// tables, the runner and the lock logic above it are engine-neutral and written once.
// A Backend is used by one thread at a time (the job that owns it); Interrupt() alone may be
// called from another thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/db/database_url.h"
#include "core/schema/schema.h"

namespace migrationd {

using SqlValue = std::optional<std::string>;  // nullopt is SQL NULL
using SqlRow = std::vector<SqlValue>;

// A statement and its $N parameters, where its rows are not needed.
struct BoundStatement {
  std::string sql;
  std::vector<SqlValue> params;
};

// What the live database says of one table, for the linter's rules that depend on the table
// (core/lint): how big it is and whether the application uses it.
struct TableFacts {
  std::string name;             // as the scripts name it (schema-qualified outside public/main)
  int64_t rows = -1;            // -1: not known
  bool rows_estimated = false;  // PostgreSQL's reltuples; SQLite counts (up to a bound)
  bool rows_at_least = false;   // SQLite: the count stopped at the bound
  int64_t bytes = -1;           // -1: not known
  // PostgreSQL's pg_stat_user_tables since the statistics were reset: scans and rows written.
  int64_t scans = -1;
  int64_t writes = -1;
  std::vector<std::pair<std::string, std::string>> column_types;  // column, type as printed
  // Columns with a validated CHECK (col IS NOT NULL): SET NOT NULL then skips its scan.
  std::vector<std::string> not_null_checked;
};
struct DatabaseFacts {
  std::vector<TableFacts> tables;
  // SQLite: the CREATE statements of the schema, in the order to run them (the linter replays
  // them in memory to know what the pending statements meet).
  std::vector<std::string> schema_statements;
};

// What a migration's session is doing, as another session of the same server sees it
// (Backend::ObserveSession): the daemon's watch of a running statement.
struct SessionActivity {
  bool running = false;     // a statement is running (not idle, not between statements)
  double running_ms = 0;    // since that statement started
  std::string statement;    // its start, on one line
  std::string wait_event;   // "Lock:relation", "IO:DataFileRead"; "" when it is not waiting
  std::string lock_wanted;  // the relation whose lock it waits for; "" when none
  // The sessions in the way of that lock, described for an operator:
  // "pid 4711 (app@10.0.0.5, user alice, idle in transaction for 14 min: UPDATE orders ...)".
  std::vector<std::string> blocked_by;
  std::string progress;  // "building index: scanning table, 43% of blocks"; "" when not known
  double fraction = -1;  // 0..1 of `progress`; -1 when not known
  // Relation -> the strongest lock mode the session holds on it now (granted locks only).
  std::map<std::string, std::string> locks;
};

// What a rehearsal reads of its own session between two statements (Backend::ReadSessionEffects).
struct SessionEffects {
  // Table -> where its rows live (PostgreSQL relfilenode, SQLite rootpage): a change means the
  // statement rewrote (rebuilt) the table.
  std::map<std::string, std::string> storage;
  // Table -> the strongest lock mode this session holds on it (PostgreSQL; SQLite locks files).
  std::map<std::string, std::string> locks;
  // Rows inserted, updated or deleted: PostgreSQL in the open transaction (its statistics,
  // triggers' writes included) plus what statements run outside a transaction reported
  // (their command's count), SQLite since the connection opened. Compared between two reads on
  // one connection only.
  int64_t rows_written = 0;
};

// The strength of a PostgreSQL table lock mode (ACCESS SHARE 1 ... ACCESS EXCLUSIVE 8; 0 for any
// other name), to keep the strongest of several.
int LockModeStrength(std::string_view mode);
// "AccessExclusiveLock" -> "ACCESS EXCLUSIVE" (as the documentation and LOCK TABLE name it).
std::string LockModeName(std::string_view mode);
// A statement's start on one line for an operator: whitespace runs as one space, cut after
// `max` characters with " ..." (SessionActivity::statement, a rehearsal's statements).
std::string StatementOnOneLine(const std::string& sql, size_t max);

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string_view dialect() const = 0;
  // The database as it may be shown to anyone (no password).
  virtual std::string Describe() const = 0;

  // Starts a transaction that takes the engine's write lock at once (SQLite: BEGIN IMMEDIATE).
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  // Never fails from the caller's point of view: a failed rollback drops the connection's
  // transaction state and is logged by the engine.
  virtual void Rollback() = 0;
  virtual bool InTransaction() const = 0;

  // Runs one statement (in the open transaction, else in autocommit mode).
  virtual Status Execute(const std::string& sql) = 0;
  // Runs one statement with $N parameters and returns its rows as text.
  virtual Result<std::vector<SqlRow>> Query(const std::string& sql,
                                            const std::vector<SqlValue>& params = {}) = 0;

  // Whether a table exists (read-only requests must not create migrationd's tables).
  virtual Result<bool> TableExists(const std::string& table) = 0;
  // Tables other than the engine's and migrationd's own (auto_upgrade = empty: is this a fresh
  // database?).
  virtual Result<int64_t> CountUserTables() = 0;

  // Aborts the statement running on this connection (it then fails, and its transaction rolls
  // back). The one method that may be called from another thread.
  virtual void Interrupt() = 0;

  // The server's id of this connection's session, for another connection to watch it with
  // ObserveSession (PostgreSQL: the backend pid); "" where the engine has none (SQLite).
  virtual std::string SessionId() { return ""; }
  // What session `session_id` of the same server is doing now, read on this connection (which
  // must be another one). Unavailable where the engine cannot tell.
  virtual Result<SessionActivity> ObserveSession(const std::string& session_id);
  // This connection's own tables' storage, locks and rows written, read between two statements
  // (in the open transaction, if any) to tell what a statement did.
  virtual Result<SessionEffects> ReadSessionEffects() = 0;
  // Who holds the database's lock while this connection waits for it, for an error or a
  // status ("pid 4242 (sqlite3)"); "" when the engine cannot tell (PostgreSQL answers through
  // ObserveSession instead).
  virtual std::string DescribeLockHolders() { return ""; }

  // Limits for the statements of a migration: how long to wait for a table lock held by live
  // traffic, and how long one statement may run. 0 leaves the engine's default.
  virtual Status SetTimeouts(int lock_timeout_ms, int statement_timeout_ms) = 0;

  // For a scratch database only (core/engines/scratch_database.h), which a crash may lose: commits
  // stop waiting for the disk. SQLite: synchronous = OFF, and the file lock is kept
  // (locking_mode = EXCLUSIVE); PostgreSQL: synchronous_commit = off.
  // Verify commits three times per revision, and the syncs were most of its time.
  virtual Status SkipDurability() = 0;

  // Serializes migrationd's steps across connections and daemons, independently of the
  // migration lock (which may be lost: a killed session, a pooler, a deleted lock file). Inside
  // a transaction the lock lasts until it ends; outside one, until ReleaseStepLock. Once it is
  // held, no other step can change the version tables, so a step that re-reads them knows they
  // stay as read. SQLite: BEGIN IMMEDIATE already holds the file's write lock (nothing to do).
  // PostgreSQL: an advisory lock on a key of its own (not the migration lock's).
  virtual Status AcquireStepLock() = 0;
  virtual void ReleaseStepLock() = 0;
  // How a transactional step starts: Begin, AcquireStepLock, then `sql` (no parameters; empty:
  // no read) under the lock, returning its rows. An engine may send all three at once, provided the
  // read still sees everything committed before the lock was granted. On failure the caller rolls
  // back, as after a failed statement.
  virtual Result<std::vector<SqlRow>> BeginStep(const std::string& sql);
  // BeginStep without a read, then `guard` and the step's first `statement` (raw SQL text), in
  // one round trip where the engine sends statements together; std::nullopt where it does not
  // (the caller then begins, reads and executes in separate calls). The guard is a statement
  // that fails unless the version rows are the expected ones, so the server itself refuses to
  // run the statement on a database another migration moved: the server stops at the first
  // statement that fails. On failure the caller rolls back.
  virtual std::optional<Status> BeginStepThen(const BoundStatement& guard,
                                              const std::string& statement) {
    (void)guard;
    (void)statement;
    return std::nullopt;
  }
  // How a step ends: its last statements in order (their rows are not needed), then Commit.
  // An engine may send them all at once. On failure nothing is committed and the caller rolls
  // back.
  virtual Status CommitAfter(const std::vector<BoundStatement>& last);

 protected:
  // What Commit does when a statement of the transaction failed: roll back and say so. Both
  // engines refuse to commit then (PostgreSQL would answer COMMIT with a rollback, SQLite would
  // keep the half that ran): all or nothing.
  Status RefuseCommitAfterFailedStatement();

 public:
  // What the migration lock's holder runs now, for other sessions of the server to read
  // (`migctl status` on another daemon). PostgreSQL sets it as this session's application_name
  // in the next step's first round trip (BeginStep, or AcquireStepLock outside a transaction),
  // never in a round trip of its own. Best effort; ignored where no server shows it (SQLite:
  // the lock file carries the revision).
  virtual void LabelSteps(const std::string& label) { (void)label; }
  // Whether the server may have ended the session since the last statement, judged without a
  // round trip: it sent something unasked (the message of a terminated session) or closed the
  // connection. False means "nothing the client can see yet", not proof that it lives.
  virtual bool SessionMayHaveEnded() { return true; }

  // A script's `-- sqlite-foreign-keys: off` (SQLite's table rebuild): foreign key enforcement
  // off for the connection around the revision's transaction (call outside a transaction;
  // SQLite ignores the switch inside one), and the check of every foreign key before the
  // commit (an integrity error listing the violations). PostgreSQL changes tables in place and
  // needs neither: both are no-ops there.
  virtual Status SetForeignKeys(bool enforced) = 0;
  virtual Status CheckForeignKeys() = 0;

  // Engine capabilities the engine-neutral code asks for instead of testing the dialect.
  // The DDL of the daemon's own tables (idempotent: CREATE TABLE IF NOT EXISTS ...), the
  // engine-neutral ones below included.
  virtual std::vector<std::string> VersionTablesDdl() const = 0;
  // The user objects in the catalog, normalized (core/schema/schema.h): what `baseline`, `stamp`
  // and `check --schema` compare with the schema the scripts produce.
  virtual Result<NormalizedSchema> ReadSchema() = 0;
  // Lets later ReadSchema calls read again only what changed since the previous one, on a
  // connection that alone changes its database (verify's scratch database). `statements` are
  // all this connection will run (called again when they change): an engine that cannot follow
  // some of them keeps or goes back to reading everything and says why. An error never makes a
  // read wrong, so callers may ignore it. PostgreSQL: event triggers note what each DDL command
  // changed (core/postgres/postgres_schema_follower.h); SQLite reads the whole schema quickly
  // and does nothing.
  virtual Status FollowSchemaChanges(const std::vector<std::string>& statements) {
    (void)statements;
    return Status::Ok();
  }
  // The user tables' sizes, activity and column types, for `lint`. SQLite: the schema's
  // statements, and rows counted (up to `count_rows_up_to`) only for the tables whose lower-case
  // name is in `count_tables` (the words of the statements being linted): counting is reading.
  virtual Result<DatabaseFacts> ReadLintFacts(int64_t count_rows_up_to,
                                              const std::set<std::string>& count_tables) = 0;

  // Whether a reader pool may keep this connection for the next read-only request: it is idle
  // and still reads the database its URL names. SQLite: the path still names the file that was
  // opened (a restore by rename, a deleted and recreated file make it stale). PostgreSQL: the
  // session is open as far as the client knows. Cheap: asked when a request gives it back.
  virtual bool Reusable() const { return false; }
  // Asked before a kept connection is used again: whether it still works. PostgreSQL: the
  // server may have ended the session (a restart, idle_session_timeout): one `SELECT 1`.
  virtual bool Alive() { return Reusable(); }
};

// Opening one is the engines' layer (core/engines/open_backend.h): only it knows which exist.

// An opened backend as a shared_ptr (what a reader pool hands out), or the error.
Result<std::shared_ptr<Backend>> Shared(Result<std::unique_ptr<Backend>> opened);

}  // namespace migrationd
