// Backups: what a backup is (its manifest), and the engine-specific way to take, check and
// restore one.
//
//   SQLite:     the online backup API in small steps; checked with PRAGMA integrity_check;
//               restored with the backup API into the live file (atomic for every connection).
//   PostgreSQL: pg_dump (custom format by default, plain SQL as an option) run with an argument
//               vector and the password in its environment; checked with pg_restore --list;
//               restored with pg_restore's SQL fed to psql in a single transaction.
//
// A BackupEngine is used by one job at a time. BackupStore (backup_store.h) owns the files.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/database_url.h"

namespace migrationd {

enum class BackupKind { kBeforeMigrate, kScheduled, kManual, kBeforeRestore };
const char* BackupKindName(BackupKind kind);  // "before-migrate", "scheduled", ...
Result<BackupKind> ParseBackupKind(const std::string& name);

// The longest id or file name a backup may have: well inside NAME_MAX (255) with room for
// ".manifest.json" and the ".tmp-<owner token>-" prefix (core/base/temp_files.h).
constexpr size_t kMaxBackupNameBytes = 200;
// Whether `name` may be a backup's id or data file: letters, digits, '-', '_', '.', not
// starting with '.', at most kMaxBackupNameBytes.
bool IsBackupFileName(const std::string& name);

// A backup label: at most 64 bytes of letters, digits, '-' and '_'.
Status CheckLabel(const std::string& label);

struct BackupManifest {
  std::string id;  // the file name without its extension
  std::string kind;
  std::string file;  // the data file's name, in the same directory
  std::string dialect;
  std::string format;                  // sqlite | custom | plain
  std::string database;                // URL without password
  std::vector<std::string> revisions;  // the database's revisions when the backup was taken
  std::string created_at;              // ISO 8601 UTC
  std::string sha256;
  int64_t size_bytes = 0;
  double duration_ms = 0;
  double longest_stall_ms = 0;  // SQLite: the longest single backup step (writers wait for it)
  std::string tool;             // "SQLite 3.40.1", "pg_dump (PostgreSQL) 15.18"
  bool verified = false;
  std::string label;
  std::string database_identity;  // see core/backup/database_identity.h

  std::string ToJson() const;
  static Result<BackupManifest> FromJson(const std::string& text, const std::string& path);
};

struct DumpStats {
  double longest_stall_ms = 0;
};

class BackupEngine {
 public:
  virtual ~BackupEngine() = default;
  virtual std::string extension() const = 0;  // of the data file: db, dump, sql
  virtual std::string format() const = 0;
  virtual std::string tool_version() const = 0;
  // Fails with a clear message before anything runs if the tools are missing or too old.
  virtual Status CheckTools() = 0;
  // Writes a consistent copy of the database to `path` (a new file).
  virtual Result<DumpStats> Dump(const std::string& path) = 0;
  virtual Status Verify(const std::string& path) = 0;
  // Replaces the database's contents with the backup at `path`. `guard_sql` (may be empty)
  // runs last inside the restore's transaction: if it fails, nothing is restored. The daemon
  // passes its lock's check there, so a restore whose daemon died can never commit.
  virtual Status Restore(const std::string& path, const std::string& guard_sql) = 0;
  // Fills a database created empty a moment ago (a rehearsal's copy) with the backup at `path`:
  // nothing to empty first and no guard, so an engine may take a shorter way than Restore.
  virtual Status RestoreIntoEmpty(const std::string& path) { return Restore(path, ""); }

  // Polled while a dump or restore runs: true stops it promptly (cancel, shutdown).
  void set_should_stop(std::function<bool()> should_stop) { should_stop_ = std::move(should_stop); }
  // Told what a dump waits for while it waits ("a lock on table users, held by pid 4242 (...)"),
  // and "" once it no longer waits. Engines that cannot tell never call it.
  void set_on_waiting(std::function<void(const std::string&)> on_waiting) {
    on_waiting_ = std::move(on_waiting);
  }

 protected:
  bool StopRequested() const { return should_stop_ && should_stop_(); }
  std::function<bool()> should_stop_;
  std::function<void(const std::string&)> on_waiting_;
};

struct BackupOptions {
  std::string postgres_format = "custom";  // or "plain"
  int sqlite_pages_per_step = 256;
  std::string postgres_bin_dir;  // where pg_dump, pg_restore, psql are; "" = PATH, then
                                 // the newest /usr/lib/postgresql/N/bin
  // How long pg_dump waits for each table's share lock (0: forever): a table someone holds
  // locked fails the backup, and so the migration, with the table named, instead of hanging.
  int postgres_lock_wait_ms = 0;
};

// The engine for a URL is made by the engines' layer (core/engines/open_backend.h).

}  // namespace migrationd
