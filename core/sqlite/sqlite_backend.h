// SqliteBackend: the Backend for SQLite files, through SQLiteCpp.
//
// Opens the file read-write (creating it), turns foreign keys on, and waits up to a busy
// timeout for other writers. DDL is transactional in SQLite, so each migration is atomic.
// Owned by one job at a time; not thread-safe.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>

#include "core/backup/backup.h"
#include "core/db/backend.h"

namespace migrationd {

class SqliteBackend final : public Backend {
 public:
  // With `create` false, a missing file is read as an empty database (in memory) and not
  // created.
  static Result<std::unique_ptr<Backend>> Open(const DatabaseUrl& url, bool create = true);
  // A connection for ObserveSession alone: read-only, no pragma, so nothing reads the file or
  // waits for its lock (OpenBackendForWatching).
  static Result<std::unique_ptr<Backend>> OpenForWatching(const DatabaseUrl& url);
  ~SqliteBackend() override;

  std::string_view dialect() const override;
  std::string Describe() const override { return description_; }
  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
  bool InTransaction() const override { return in_transaction_; }
  Status Execute(const std::string& sql) override;
  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlValue>& params) override;
  Result<bool> TableExists(const std::string& table) override;
  Result<int64_t> CountUserTables() override;
  void Interrupt() override;
  Status SetTimeouts(int lock_timeout_ms, int statement_timeout_ms) override;
  Status SkipDurability() override;
  Status AcquireStepLock() override;
  void ReleaseStepLock() override;
  Status SetForeignKeys(bool enforced) override;
  Status CheckForeignKeys() override;
  std::vector<std::string> VersionTablesDdl() const override;
  Result<NormalizedSchema> ReadSchema() override;  // in sqlite_schema.cpp
  Result<DatabaseFacts> ReadLintFacts(
      int64_t count_rows_up_to,
      const std::set<std::string>& count_tables) override;  // in sqlite_schema.cpp
  bool Reusable() const override;
  Result<SessionEffects> ReadSessionEffects() override;
  std::string DescribeLockHolders() override;
  // The statement watch (sqlite_activity.cpp): a session id makes this connection show what it
  // runs and whether it waits for the database's lock to ObserveSession on another connection
  // of this process.
  std::string SessionId() override;
  Result<SessionActivity> ObserveSession(const std::string& session_id) override;

 private:
  SqliteBackend(std::unique_ptr<SQLite::Database> db, std::string description, std::string path,
                int busy_timeout_ms);
  // The busy handler (sqlite3_busy_handler): waits up to busy_timeout_ms_ as
  // sqlite3_busy_timeout does, and tells the board that the connection waits.
  static int WaitForLock(void* self, int attempt);
  // On the board (when SessionId was asked): `sql` started; nullptr: the statement ended.
  void ShowStatement(const std::string* sql);
  void LeaveBoard();
  // On the board while a statement runs, off it however the statement ends.
  class Shown {
   public:
    Shown(SqliteBackend& backend, const std::string& sql) : backend_(backend) {
      backend_.ShowStatement(&sql);
    }
    ~Shown() { backend_.ShowStatement(nullptr); }
    Shown(const Shown&) = delete;
    Shown& operator=(const Shown&) = delete;

   private:
    SqliteBackend& backend_;
  };
  // A statement's exception as a Status; inside a transaction, marks it failed.
  Status StatementFailed(const SQLite::Exception& e);
  // Query for the schema read (in sqlite_schema.cpp), answered from memory when asked before
  // with the same `statement`: the CREATE statement(s) in sqlite_master the answer derives from.
  Result<std::vector<SqlRow>> PragmaRows(const std::string& statement, const std::string& sql,
                                         const std::vector<SqlValue>& params);

  std::unique_ptr<SQLite::Database> db_;
  std::string description_;
  std::string path_;  // empty: a missing file read as an empty database (in memory)
  dev_t device_ = 0;  // of the file when it was opened
  ino_t inode_ = 0;
  int busy_timeout_ms_;  // how long a statement waits for the database's lock
  std::chrono::steady_clock::time_point busy_since_;  // the current wait's start
  std::string session_id_;                            // "" until SessionId is asked
  bool in_transaction_ = false;
  bool transaction_failed_ = false;  // a statement failed since BEGIN: COMMIT must not succeed
  // PragmaRows' answers, by statement text, query and parameters; emptied when it grows large.
  std::map<std::string, std::vector<SqlRow>> pragma_rows_;
};

// The SQLite backup engine (the online backup API, core/sqlite/sqlite_backup.cpp).
std::unique_ptr<BackupEngine> MakeSqliteBackupEngine(const DatabaseUrl& url,
                                                     const BackupOptions& options);

}  // namespace migrationd
