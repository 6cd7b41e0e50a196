// MigrationLock: the lock that lets only one migration run at a time on a database, across
// daemons and hosts.
//
//   PostgreSQL: a session-level advisory lock on a dedicated connection (pg_try_advisory_lock in
//     a bounded wait loop). The server releases it when the connection dies, so a crashed daemon
//     never leaves it behind. The holder's details go into migrationd_lock, and are trusted only
//     while pg_locks shows that row's backend holding the lock.
//   SQLite: an exclusive flock on "<database>.migrationd-lock" beside the file (the kernel
//     releases it when the process dies); the holder's details are the file's contents. The
//     file lives beside the database because that is the one place every daemon of that
//     database finds, whatever its own runtime directory. It is opened without following
//     symlinks and used only if it is a plain file of the daemon's own user with one link.
//
// Acquire returns an RAII handle: destroying it releases the lock. A handle is owned by one job;
// ReadMigrationLockHolder may be called from any thread at any time, also by another daemon.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/base/status.h"
#include "core/db/backend.h"
#include "core/db/database_url.h"

namespace migrationd {

struct LockHolderInfo {
  std::string host;
  int64_t daemon_pid = 0;
  int64_t uid = -1;
  std::string user_name;
  std::string request;   // what the job does: "upgrade head"
  std::string since;     // ISO 8601 UTC
  std::string revision;  // the revision being applied now, if any

  std::string Describe() const;  // "alice (uid 1000) on host1, pid 42, 'upgrade head' since ..."
};

class MigrationLock {
 public:
  virtual ~MigrationLock() = default;
  // Whether this handle still holds the lock. It can be lost without the daemon noticing: the
  // server ended the lock session (idle_session_timeout, pg_terminate_backend, a restart, a
  // pooler), or someone removed or replaced the lock file. The job checks before each step and
  // stops when it is gone.
  //
  // `next_revision` (if not empty) is the revision the job runs next. SQLite writes it into the
  // lock file for `migctl status` on any daemon; PostgreSQL shows StepLabel(next_revision) as
  // the migration connection's application_name (Backend::LabelSteps), read back through
  // pg_stat_activity: no row written, no commit, no round trip of its own.
  //
  // Cheap enough to ask before every revision: PostgreSQL asks the lock session itself only
  // when its socket shows that the server may have ended it, and at least once a second.
  virtual Status CheckHeld(const std::string& next_revision = "") = 0;
  // The label of the connection that runs `revision` (Backend::LabelSteps); empty where the
  // lock file carries the revision instead.
  virtual std::string StepLabel(const std::string& revision) const {
    (void)revision;
    return "";
  }
  // SQL that fails unless this lock is still held, for work done in another session (psql's
  // restore) to run last in its transaction. Empty where that work runs in-process (SQLite).
  virtual std::string GuardSql() const = 0;
};

struct LockWaitOptions {
  std::chrono::milliseconds max_wait{0};  // 0: try once
  std::function<bool()> should_stop;      // polled while waiting; true gives up (cancelled)
  std::function<void(const std::optional<LockHolderInfo>&)> on_waiting;  // called once
};

// Takes the lock for `me`, or fails with Busy (naming the holder) after `max_wait`.
Result<std::unique_ptr<MigrationLock>> AcquireMigrationLock(const DatabaseUrl& url,
                                                            const LockHolderInfo& me,
                                                            const LockWaitOptions& options);

// The current holder, or nullopt if the lock is free, asked on an open connection to that
// database (PostgreSQL; SQLite reads the lock file and ignores the connection).
Result<std::optional<LockHolderInfo>> ReadMigrationLockHolder(const DatabaseUrl& url,
                                                              Backend& connection);
// The same for a caller that has no connection (one could not be opened): SQLite's holder is
// in the lock file; on PostgreSQL, without a session, nothing is known (nullopt).
std::optional<LockHolderInfo> ReadMigrationLockHolderWithoutConnection(const DatabaseUrl& url);

}  // namespace migrationd
