#include "core/sqlite/sqlite_backend.h"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/scripts/script.h"
#include "core/scripts/version_tables.h"
#include "core/sqlite/sqlite_journal_vfs.h"

namespace migrationd {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Reads (status, check, log) wait less behind a migration's write lock: a health check on
// another host needs an answer ("being migrated by ...") within its own timeout.
constexpr int kReadBusyTimeoutMs = 1500;

Status FromException(const SQLite::Exception& e) {
  // The busy timeout expired: another connection holds the write lock. Retried like a
  // PostgreSQL lock timeout.
  if (e.getErrorCode() == SQLITE_BUSY) return Status::Busy(e.what());
  return Status::Database(e.what());
}

bool FileExists(const std::string& path) {
  std::error_code error;
  return std::filesystem::exists(path, error) || error;  // unsure: let SQLite report it
}

// The engine-neutral `$N` placeholders as SQLite's `?N` (same index N). SQLite looks a `$name`
// up in a linear list when it prepares and when it binds by name: a history INSERT of 10 rows
// with 140 parameters cost more than the rows. `?N` met in increasing order is appended without
// a search, and binding by index needs none. Quoted text, identifiers and line comments are
// left alone.
std::string WithNumberedParameters(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote closes and opens again: same result
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '[') {
      quote = ']';
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      quote = '\n';  // a comment to the end of the line
    } else if (c == '$' && i + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[i + 1])) &&
               (i == 0 || !(std::isalnum(static_cast<unsigned char>(sql[i - 1])) ||
                            sql[i - 1] == '_' || sql[i - 1] == '$'))) {
      out += '?';
      continue;
    }
    out += c;
  }
  return out;
}

// Defined with the /proc/locks reading below.
std::string DescribeFileLockHolders(const std::string& path, dev_t device, ino_t inode);

}  // namespace

Result<std::unique_ptr<Backend>> SqliteBackend::Open(const DatabaseUrl& url, bool create) {
  try {
    // A database file that does not exist reads as an empty one, without creating it: a
    // mistyped path must not turn into a new database because someone asked for `status`.
    const std::string path = create || FileExists(url.target()) ? url.target() : ":memory:";
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX,
        create ? kBusyTimeoutMs : kReadBusyTimeoutMs, SqliteJournalVfsName());
    // Scripts rely on declared foreign keys; SQLite ignores them unless asked per connection.
    db->exec("PRAGMA foreign_keys = ON");
    // Each revision commits: in DELETE mode (the library default) every commit creates and
    // unlinks the journal, a directory change per revision. TRUNCATE keeps the file and
    // empties it, for this connection only; synchronous FULL keeps the fsyncs that make a
    // commit durable (the journal's directory is synced once per journal file, not at every
    // commit: core/sqlite/sqlite_journal_vfs.h). WAL is the application's choice: a database in WAL
    // stays in it.
    if (path != ":memory:" && db->execAndGet("PRAGMA journal_mode").getString() != "wal") {
      db->exec("PRAGMA journal_mode = TRUNCATE");
    }
    db->exec("PRAGMA synchronous = FULL");
    // Read connections are kept between requests (daemon/requests/reader_connections.h); what they
    // read is small, and the page cache SQLite keeps by default (2 MiB each) is not needed twice.
    if (!create) db->exec("PRAGMA cache_size = -256");
    return std::unique_ptr<Backend>(
        new SqliteBackend(std::move(db), url.Redacted(), path == ":memory:" ? "" : path,
                          create ? kBusyTimeoutMs : kReadBusyTimeoutMs));
  } catch (const SQLite::Exception& e) {
    const std::string what = "cannot open SQLite database '" + url.target() + "': " + e.what();
    // Opening reads the journal mode: a migration's write lock, or any writer's EXCLUSIVE
    // lock, makes it wait, then fail. Who holds it is what the operator needs.
    if (e.getErrorCode() == SQLITE_BUSY) {
      struct stat file {};
      if (stat(url.target().c_str(), &file) == 0) {
        return Status::Busy(what + " (the lock is held by " +
                            DescribeFileLockHolders(url.target(), file.st_dev, file.st_ino) + ")");
      }
      return Status::Busy(what);
    }
    return Status::Database(what);
  }
}

Result<std::unique_ptr<Backend>> SqliteBackend::OpenForWatching(const DatabaseUrl& url) {
  if (!FileExists(url.target())) {
    return Status::NotFound("the SQLite database '" + url.target() + "' does not exist");
  }
  try {
    // sqlite3_open_v2 does not read the file: the first statement would, and none is run.
    auto db = std::make_unique<SQLite::Database>(
        url.target(), SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX, kReadBusyTimeoutMs);
    return std::unique_ptr<Backend>(
        new SqliteBackend(std::move(db), url.Redacted(), url.target(), kReadBusyTimeoutMs));
  } catch (const SQLite::Exception& e) {
    return Status::Database("cannot open SQLite database '" + url.target() + "': " + e.what());
  }
}

SqliteBackend::SqliteBackend(std::unique_ptr<SQLite::Database> db, std::string description,
                             std::string path, int busy_timeout_ms)
    : db_(std::move(db)),
      description_(std::move(description)),
      path_(std::move(path)),
      busy_timeout_ms_(busy_timeout_ms) {
  sqlite3_busy_handler(db_->getHandle(), &SqliteBackend::WaitForLock, this);
  struct stat info {};
  if (!path_.empty() && stat(path_.c_str(), &info) == 0) {
    device_ = info.st_dev;
    inode_ = info.st_ino;
  } else {
    path_.clear();
  }
}

SqliteBackend::~SqliteBackend() { LeaveBoard(); }

bool SqliteBackend::Reusable() const {
  struct stat info {};
  return !path_.empty() && !in_transaction_ && stat(path_.c_str(), &info) == 0 &&
         info.st_dev == device_ && info.st_ino == inode_;
}

std::string_view SqliteBackend::dialect() const { return kDialectSqlite; }

Status SqliteBackend::Begin() {
  MIGRATIOND_RETURN_IF_ERROR(Execute("BEGIN IMMEDIATE"));
  in_transaction_ = true;
  transaction_failed_ = false;
  return Status::Ok();
}

Status SqliteBackend::Commit() {
  // SQLite keeps a transaction open after most failed statements, and COMMIT would keep the
  // half that ran; PostgreSQL refuses. The same rule on both engines: all or nothing.
  if (transaction_failed_) return RefuseCommitAfterFailedStatement();
  Status status = Execute("COMMIT");
  if (!status.ok()) {
    Rollback();
    return status;
  }
  in_transaction_ = false;
  return Status::Ok();
}

Status SqliteBackend::StatementFailed(const SQLite::Exception& e) {
  if (in_transaction_) transaction_failed_ = true;
  Status status = FromException(e);
  if (status.code() == ErrorCode::kBusy) {
    if (std::string holders = DescribeLockHolders(); !holders.empty()) {
      return Status::Busy(status.message() + " (the lock is held by " + holders + ")");
    }
  }
  return status;
}

Result<SessionEffects> SqliteBackend::ReadSessionEffects() {
  SessionEffects effects;
  auto tables = Query("SELECT name, rootpage FROM sqlite_master WHERE type = 'table'", {});
  if (!tables.ok()) return tables.status();
  for (const SqlRow& row : *tables) effects.storage[row[0].value_or("")] = row[1].value_or("");
  effects.rows_written = sqlite3_total_changes64(db_->getHandle());
  return effects;
}

namespace {

// The processes with a POSIX lock on the file `device`/`inode` in /proc/locks (Linux), which is
// how SQLite locks a database (and, in WAL mode, its -shm file).
std::set<long> ProcessesLocking(dev_t device, ino_t inode) {
  std::set<long> pids;
  std::ifstream locks("/proc/locks");
  std::string line;
  char wanted[64];
  std::snprintf(wanted, sizeof(wanted), "%02x:%02x:%lu", major(device), minor(device),
                static_cast<unsigned long>(inode));
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string number, kind, advisory, mode, file;
    long pid = 0;
    if (!(fields >> number >> kind)) continue;
    if (kind == "->") continue;  // a waiter, not a holder
    if (!(fields >> advisory >> mode >> pid >> file)) continue;
    if (file == wanted && pid > 0) pids.insert(pid);
  }
  return pids;
}

std::string ProcessName(long pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name.empty() ? "?" : name;
}

// The processes other than this one with a lock on `path` (device/inode as opened) or its -shm.
std::string DescribeFileLockHolders(const std::string& path, dev_t device, ino_t inode) {
  std::set<long> pids = ProcessesLocking(device, inode);
  struct stat shm {};
  if (stat((path + "-shm").c_str(), &shm) == 0) {
    pids.merge(ProcessesLocking(shm.st_dev, shm.st_ino));
  }
  const long self = getpid();
  std::string others;
  for (long pid : pids) {
    if (pid == self) continue;
    others += (others.empty() ? "" : ", ") +
              ("pid " + std::to_string(pid) + " (" + ProcessName(pid) + ")");
  }
  if (!others.empty()) return others;
  if (pids.count(self) != 0)
    return "another connection of this process (pid " + std::to_string(self) + ")";
  return "another connection";
}

}  // namespace

std::string SqliteBackend::DescribeLockHolders() {
  return path_.empty() ? "" : DescribeFileLockHolders(path_, device_, inode_);
}

void SqliteBackend::Rollback() {
  in_transaction_ = false;
  transaction_failed_ = false;
  if (sqlite3_get_autocommit(db_->getHandle())) return;  // SQLite already rolled back
  try {
    db_->exec("ROLLBACK");
  } catch (const SQLite::Exception&) {
    // The connection is left in autocommit mode either way; nothing more can be done here.
  }
}

Status SqliteBackend::Execute(const std::string& sql) {
  const Shown shown(*this, sql);
  try {
    db_->exec(sql);
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return StatementFailed(e);
  }
}

Result<std::vector<SqlRow>> SqliteBackend::Query(const std::string& sql,
                                                 const std::vector<SqlValue>& params) {
  const Shown shown(*this, sql);
  try {
    SQLite::Statement statement(*db_, params.empty() ? sql : WithNumberedParameters(sql));
    // `?N` has index N; values past the highest index the statement uses are not bound.
    const int used = statement.getBindParameterCount();
    for (int index = 1; index <= used && index <= static_cast<int>(params.size()); ++index) {
      const SqlValue& value = params[static_cast<size_t>(index - 1)];
      if (value) {
        statement.bind(index, *value);
      } else {
        statement.bind(index);
      }
    }
    std::vector<SqlRow> rows;
    while (statement.executeStep()) {
      SqlRow row;
      for (int column = 0; column < statement.getColumnCount(); ++column) {
        SQLite::Column value = statement.getColumn(column);
        row.push_back(value.isNull() ? SqlValue() : SqlValue(value.getString()));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  } catch (const SQLite::Exception& e) {
    return StatementFailed(e);
  }
}

Result<bool> SqliteBackend::TableExists(const std::string& table) {
  // A statement on the table answers from the parsed schema (a search of sqlite_master is a
  // scan: at 10,000 revisions it was a third of a `status`). A name SQLite does not know makes
  // it compare the schema cookie with the file and parse again if another connection changed
  // the schema, so a kept connection does not answer from a stale schema.
  std::string quoted = "\"";
  for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  const std::string sql = "SELECT 1 FROM main." + quoted + "\" LIMIT 0";
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db_->getHandle(), sql.c_str(), -1, &statement, nullptr);
  // A table this connection still knows may have been dropped by another one: running the
  // statement checks the schema cookie and prepares it again against the current schema.
  if (rc == SQLITE_OK) rc = sqlite3_step(statement);
  sqlite3_finalize(statement);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
  const std::string message = sqlite3_errmsg(db_->getHandle());
  if (message.starts_with("no such table")) return false;
  // Another connection (a migration) held the write lock past the busy timeout.
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    return Status::Busy("cannot look up table " + table + ": " + message);
  }
  return Status::Database("cannot look up table " + table + ": " + message);
}

Result<int64_t> SqliteBackend::CountUserTables() {
  auto rows = Query(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%'"
      " ESCAPE '\\' AND name NOT LIKE 'migrationd\\_%' ESCAPE '\\'",
      {});
  if (!rows.ok()) return rows.status();
  return std::stoll(rows->front()[0].value_or("0"));
}

// The write lock taken by BEGIN IMMEDIATE is the step lock. Outside a transaction SQLite has
// nothing that outlives a statement: a `transaction: none` step is guarded only by the
// migration lock and the re-read of the version rows when it commits its outcome.
Status SqliteBackend::AcquireStepLock() { return Status::Ok(); }
void SqliteBackend::ReleaseStepLock() {}

Status SqliteBackend::SetForeignKeys(bool enforced) {
  return Execute(enforced ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

Status SqliteBackend::CheckForeignKeys() {
  auto violations = Query("PRAGMA foreign_key_check", {});
  if (!violations.ok()) return violations.status();
  if (violations->empty()) return Status::Ok();
  std::string list;
  size_t shown = 0;
  for (const auto& row : *violations) {
    if (++shown > 5) break;
    // table, rowid, parent table, index of the foreign key
    list += (list.empty() ? "" : "; ") + row[0].value_or("?") + " rowid " + row[1].value_or("?") +
            " -> " + row[2].value_or("?");
  }
  return Status::Integrity(std::to_string(violations->size()) +
                           " row(s) violate a foreign key after the revision (" + list +
                           (violations->size() > 5 ? "; ..." : "") +
                           "); it was rolled back. Make the rebuild keep every referenced row");
}

void SqliteBackend::Interrupt() { sqlite3_interrupt(db_->getHandle()); }

Status SqliteBackend::SetTimeouts(int lock_timeout_ms, int /*statement_timeout_ms*/) {
  // SQLite has one lock for the whole file: the busy timeout is its lock timeout. It has no
  // statement timeout; a runaway statement is stopped by cancel (Interrupt).
  if (lock_timeout_ms > 0) busy_timeout_ms_ = lock_timeout_ms;  // WaitForLock's limit
  return Status::Ok();
}

// No other connection opens a scratch file, so this one keeps its file lock from its first
// statement on (locking_mode = EXCLUSIVE) instead of taking and dropping it, and checking for
// a hot journal, at every statement: the schema read alone runs a few per table.
Status SqliteBackend::SkipDurability() {
  MIGRATIOND_RETURN_IF_ERROR(Execute("PRAGMA synchronous = OFF"));
  return Execute("PRAGMA locking_mode = EXCLUSIVE");
}

std::vector<std::string> SqliteBackend::VersionTablesDdl() const {
  return VersionTablesDdlFor(kDialectSqlite);
}

}  // namespace migrationd
