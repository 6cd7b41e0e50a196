// The SQLite BackupEngine: the online backup API.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "core/backup/backup.h"
#include "core/sqlite/sqlite_backend.h"

namespace migrationd {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBusyTimeoutMs = 5000;
// After this many restarts (another connection wrote to the source mid-copy), the rest is copied
// in one step, holding the read lock to the end: the copy then always finishes.
constexpr int kRestartsBeforeOneStep = 3;

// An sqlite3 connection closed on scope exit.
class Connection {
 public:
  Connection(const std::string& path, int flags) {
    rc_ = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (db_ != nullptr) sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* get() const { return db_; }
  Status OpenStatus(const std::string& path) const {
    if (rc_ == SQLITE_OK) return Status::Ok();
    return Status::Io("cannot open " + path + ": " +
                      (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc_)));
  }

 private:
  sqlite3* db_ = nullptr;
  int rc_ = SQLITE_OK;
};

bool Transient(int rc) { return rc == SQLITE_BUSY || rc == SQLITE_LOCKED; }

bool IsWal(sqlite3* db) {
  sqlite3_stmt* statement = nullptr;
  bool wal = false;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    wal = mode != nullptr && std::string(mode) == "wal";
  }
  sqlite3_finalize(statement);
  return wal;
}

// Copies `from` into `to` with the backup API, `pages` at a time (-1: all in one step).
// Starts writeback of what the copy has written so far, without waiting for it, so that the
// final fsync is small: one large flush at the end would make every writer's own fsync queue
// behind it. A no-op without a file.
class WritebackPacer {
 public:
  explicit WritebackPacer(const std::string& path)
      : fd_(path.empty() ? -1 : open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~WritebackPacer() {
    if (fd_ >= 0) close(fd_);
  }
  WritebackPacer(const WritebackPacer&) = delete;
  WritebackPacer& operator=(const WritebackPacer&) = delete;
  void AfterStep() {
    if (fd_ < 0 || ++steps_ % kStepsPerFlush != 0) return;
    sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
  }

 private:
  static constexpr int kStepsPerFlush = 32;  // 32 steps of 256 4-KiB pages: every 32 MiB
  int fd_;
  int steps_ = 0;
};

Result<DumpStats> Copy(sqlite3* from, sqlite3* to, int pages, const std::string& what,
                       const std::string& copy_path = "") {
  WritebackPacer pacer(copy_path);
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) return Status::Io(what + ": " + sqlite3_errmsg(to));
  DumpStats stats;
  int restarts = 0;
  int last_remaining = -1;
  auto busy_since = Clock::now();
  int rc = SQLITE_OK;
  while (true) {
    auto started = Clock::now();
    rc = sqlite3_backup_step(backup, pages);
    double step_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    stats.longest_stall_ms = std::max(stats.longest_stall_ms, step_ms);
    if (rc == SQLITE_DONE) break;
    if (Transient(rc)) {
      if (Clock::now() - busy_since > std::chrono::milliseconds(kBusyTimeoutMs)) break;
      sqlite3_sleep(5);
      continue;
    }
    if (rc != SQLITE_OK) break;
    busy_since = Clock::now();
    int remaining = sqlite3_backup_remaining(backup);
    if (last_remaining >= 0 && remaining > last_remaining && ++restarts >= kRestartsBeforeOneStep) {
      pages = -1;
    }
    last_remaining = remaining;
    pacer.AfterStep();
    sqlite3_sleep(1);  // the source's read lock is released between steps: writers get in here
  }
  int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return Status::Io(what + " failed: " + std::string(sqlite3_errstr(rc)) +
                      (Transient(rc) ? " (the database stayed locked for " +
                                           std::to_string(kBusyTimeoutMs / 1000) + " s)"
                                     : ""));
  }
  if (finished != SQLITE_OK) {
    return Status::Io(what + " failed: " + std::string(sqlite3_errmsg(to)));
  }
  return stats;
}

class SqliteBackupEngine final : public BackupEngine {
 public:
  SqliteBackupEngine(const DatabaseUrl& url, const BackupOptions& options)
      : path_(url.target()), pages_per_step_(options.sqlite_pages_per_step) {}

  std::string extension() const override { return "db"; }
  std::string format() const override { return "sqlite"; }
  std::string tool_version() const override {
    return std::string("SQLite ") + sqlite3_libversion();
  }
  Status CheckTools() override { return Status::Ok(); }

  Result<DumpStats> Dump(const std::string& path) override {
    Connection source(path_, SQLITE_OPEN_READONLY);
    MIGRATIOND_RETURN_IF_ERROR(source.OpenStatus(path_));
    // In WAL mode one read transaction pins a snapshot without blocking writers: every step
    // copies from it, so the copy never restarts and writers never wait for it. (In rollback-
    // journal mode the same transaction would block every writer until the end.)
    const bool snapshot = IsWal(source.get()) &&
                          sqlite3_exec(source.get(), "BEGIN; SELECT count(*) FROM sqlite_master",
                                       nullptr, nullptr, nullptr) == SQLITE_OK;
    struct EndSnapshot {
      sqlite3* db;
      bool active;
      ~EndSnapshot() {
        if (active) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      }
    } end_snapshot{source.get(), snapshot};
    Connection copy(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    MIGRATIOND_RETURN_IF_ERROR(copy.OpenStatus(path));
    // The copy is a new private file, fsynced once by the store when complete: no journal and
    // no syncs while writing it, so each step (and the writers' wait) is as short as it can be.
    sqlite3_exec(copy.get(), "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", nullptr,
                 nullptr, nullptr);
    return Copy(source.get(), copy.get(), pages_per_step_, "backup of " + path_, path);
  }

  Status Verify(const std::string& path) override {
    Connection copy(path, SQLITE_OPEN_READONLY);
    MIGRATIOND_RETURN_IF_ERROR(copy.OpenStatus(path));
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(copy.get(), "PRAGMA integrity_check", -1, &statement, nullptr) !=
        SQLITE_OK) {
      return Status::Io("cannot check " + path + ": " + sqlite3_errmsg(copy.get()));
    }
    std::string verdict;
    while (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      verdict += (verdict.empty() ? "" : "; ") + std::string(text ? text : "");
    }
    sqlite3_finalize(statement);
    if (verdict != "ok") return Status::Io("integrity_check of " + path + " failed: " + verdict);
    return Status::Ok();
  }

  Status Restore(const std::string& path, const std::string& /*guard_sql*/) override {
    // Runs inside the daemon's own process: if the daemon dies, so does the write transaction.
    // The backup API writes the copy into the live file inside one write transaction: every
    // connection (the application's too) sees the old or the new database, never a mix, and
    // none is left holding a replaced inode as a rename would leave it.
    Connection source(path, SQLITE_OPEN_READONLY);
    MIGRATIOND_RETURN_IF_ERROR(source.OpenStatus(path));
    Connection live(path_, SQLITE_OPEN_READWRITE);
    MIGRATIOND_RETURN_IF_ERROR(live.OpenStatus(path_));
    auto copied = Copy(source.get(), live.get(), -1, "restore of " + path_);
    return copied.status();
  }

 private:
  std::string path_;
  int pages_per_step_;
};

}  // namespace

std::unique_ptr<BackupEngine> MakeSqliteBackupEngine(const DatabaseUrl& url,
                                                     const BackupOptions& options) {
  return std::make_unique<SqliteBackupEngine>(url, options);
}

}  // namespace migrationd
