// Service: what migrationd does with a request, whatever the transport.
//
// Checks the peer's right to the request, answers read-only requests on a small thread pool
// (never behind a running job), and turns mutating requests into jobs on the one JobQueue; a
// job takes the migration lock, runs the runner and streams events. Owns the job queue and the
// pool. Thread-safe; Handle() is called from the I/O thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/backup/backup.h"
#include "core/backup/backup_store.h"
#include "core/db/database_url.h"
#include "core/run/expected_schema.h"
#include "core/run/migration_lock.h"
#include "core/run/version_store.h"
#include "core/scripts/script_directory.h"
#include "daemon/asio.h"
#include "daemon/config.h"
#include "daemon/jobs/job_queue.h"
#include "daemon/jobs/statement_watch.h"
#include "daemon/requests/queries.h"
#include "daemon/requests/reader_connections.h"
#include "daemon/requests/scratch_gate.h"
#include "daemon/server/peer_identity.h"
#include "daemon/server/request_checks.h"
#include "daemon/server/responder.h"

namespace migrationd {

class MigrationRunner;

// The backup id recorded in history rows when the operator passed --no-backup.
extern const char* const kSkippedBackup;
void AddBackupInfo(const BackupManifest& manifest, proto::Result& result);
// The result of a job that failed with `status` (a cancelled job says so).
proto::Result JobError(const Status& status, const JobControl& control);
// "upgrade head", "downgrade -1 --dry-run": a request as logs and lock holders show it.
std::string Describe(const proto::Request& request);
proto::Event MakeEvent(uint64_t request_id, proto::EventKind kind, const std::string& message);
// Answers request `request_id` with the error `status` (its code and message).
void SendError(Responder& responder, uint64_t request_id, const Status& status);
// The current time as the replies write it (FormatIsoTimestamp).
std::string Now();
// `holder` as a lock holder's reply shows the job that holds (or is about to hold) the lock.
void FillHolder(const JobSnapshot& job, proto::LockHolder& holder, const std::string& host);
// `answer()`, or an internal error naming what it threw: one request never ends the daemon.
proto::Result Guarded(const proto::Request& request, const std::function<proto::Result()>& answer);

// A request as its fields say, without its id: equal for the same request asked twice.
std::string RequestKey(const proto::Request& request);

// `status`'s maintenance-window fields: the windows, whether one is open, until when, the next.
void FillWindowStatus(const MaintenanceSchedule& schedule, proto::StatusInfo& status);

// backup_dir, or the default: $STATE_DIRECTORY/backups under systemd (both engines), else beside
// a SQLite file (the seed's backup/db_bak), else /var/lib/migrationd/backups.
std::string ResolveBackupDirectory(const DaemonConfig& config, const DatabaseUrl& url);

class Service {
 public:
  static Result<std::unique_ptr<Service>> Create(DaemonConfig config);
  ~Service();

  // Whether `peer` may change the database (and use the connections kept for admins).
  bool IsAdmin(const PeerIdentity& peer) const { return Admins()->IsAdmin(peer); }
  void Handle(const proto::Request& request, const PeerIdentity& peer,
              std::shared_ptr<Responder> responder);
  // Parses the scripts and logs the database's revision against their head (LogStartupCheck)
  // on a thread of its own, so that the socket answers at once; with auto_upgrade, runs that
  // and the upgrade before returning instead (READY=1 then means "upgraded").
  void StartUp();
  // StartUp in two parts, for a database a reload adds: CleanBackupDirectory before any request
  // or scheduled backup can reach it, then StartChecks (the check, or auto_upgrade) beside them.
  void StartChecks();
  // Logs the database's revision against the scripts' head, with a warning when they differ.
  void LogStartupCheck();
  // Removes what an interrupted backup left in the backup directory.
  void CleanBackupDirectory();
  // auto_upgrade (never | empty | always): at start, an upgrade to head as a normal job whose
  // requester is the daemon itself; returns once it ended.
  void RunAutoUpgrade();
  // Arms the backup timer on `io` when backup_interval is set (taking a missed run at once when
  // backup_catch_up is on).
  void StartScheduler(boost::asio::io_context& io);
  // Drops the timer; call before the io_context it was made on is destroyed.
  void StopScheduler() { backup_timer_.reset(); }
  // Stops taking jobs; lets a running one finish within the grace period, then cancels it.
  void Shutdown();
  // SIGHUP: applies what can change at run time (log level, admin groups, timeouts and retries,
  // backup schedule and retention) from `fresh`, and logs each changed setting that needs a
  // restart. Call on the io thread (the backup timer lives there).
  void Reload(const DaemonConfig& fresh);

  // The configuration the daemon started with (what needs a restart to change).
  const DaemonConfig& config() const { return config_; }
  // The settings in force now: the start configuration with the last reload applied.
  std::shared_ptr<const DaemonConfig> Live() const;
  // Called with one line on what the daemon is doing whenever a job starts or ends (systemd's
  // STATUS=); set before serving. From the job thread.
  void SetActivityListener(std::function<void(const std::string&)> listener) {
    activity_ = std::move(listener);
  }
  // The database URL without its password.
  const std::string& database_description() const { return url_.Redacted(); }
  // For `migctl databases`: the database, its scripts and backups, its job (from memory).
  void DescribeDatabase(proto::DatabaseInfo& info) const;

 private:
  Service(DaemonConfig config, DatabaseUrl url, AdminPolicy admins);
  std::shared_ptr<const AdminPolicy> Admins() const;
  Result<std::shared_ptr<const ScriptDirectory>> LoadScripts() const;
  void HandleReadOnly(const proto::Request& request, const std::shared_ptr<Responder>& responder);
  proto::Result AnswerReadOnly(const proto::Request& request) const;
  // What the read queries need: the scripts, the job's state if one runs, the caches.
  QueryContext Queries(const ScriptDirectory& scripts, const RecordedState* known) const;
  // `loading`: the first parse still runs (no scripts yet); the reply says so and does not
  // open the database.
  proto::Result StatusReply(const ScriptDirectory* scripts, const std::string& error,
                            const RecordedState* known, bool loading = false) const;
  // The version tables' state while this daemon's job runs (status, current, heads, check,
  // history and show answer from it: they never wait on the migration's locks); empty when no
  // job runs. Set once the job holds the lock, moved along by each committed step.
  std::optional<RecordedState> JobState() const;
  void SetJobState(std::optional<RecordedState> state);
  void RecordCommittedStep(const PlannedStep& step, const std::string& checksum);
  // `not_before`: a job waiting for its maintenance window. Returns the job's id, or why it was
  // refused (busy, the queue full, shutting down); `responder` has been told either way.
  Result<uint64_t> SubmitJob(
      const proto::Request& request, const PeerIdentity& peer,
      const std::shared_ptr<Responder>& responder,
      std::optional<MaintenanceSchedule::Clock::time_point> not_before = std::nullopt);

  // Maintenance windows (live settings: a reload changes them).
  MaintenanceSchedule Windows() const;
  // "outside the maintenance windows (...): the next one opens at ...", or nullopt when schema
  // changes may run now.
  std::optional<std::string> OutsideWindowsNow() const;
  // Outside every window: refuses the request (exit 8), or with --in-window queues it for the
  // next one and answers at once; returns false when it did either.
  bool AdmitToWindow(const proto::Request& request, const PeerIdentity& peer,
                     const std::shared_ptr<Responder>& responder);
  // What the windows allow a job as it starts: run until `closes` (stop between revisions
  // then; nullopt: no limit), or run outside every window because of --force.
  struct WindowPass {
    std::optional<MaintenanceSchedule::Clock::time_point> closes;
    bool forced = false;
  };
  Result<WindowPass> EnterWindow(const proto::Request& request) const;
  // The history row of a job run outside every window with --force.
  void RecordForcedRun(const proto::Request& request, const RequestIdentity& requester) const;
  void RunJob(const proto::Request& request, const PeerIdentity& peer, JobControl& control,
              Responder& responder);
  proto::Result RunLockedJob(const proto::Request& request, const PeerIdentity& peer,
                             JobControl& control, Responder& responder);
  Result<std::unique_ptr<MigrationLock>> AcquireJobLock(const proto::Request& request,
                                                        const PeerIdentity& peer,
                                                        JobControl& control, Responder& responder);
  // upgrade, downgrade, stamp (migration_job.cpp); runs with the migration lock held.
  proto::Result RunMigrationJob(const proto::Request& request, RequestIdentity requester,
                                JobControl& control, Responder& responder, MigrationLock& lock,
                                const WindowPass& window);
  // The runner and connection of a migration job, and of a rehearsal: migrationd's tables, the
  // lock-timeout retries and the statement limits of the configuration.
  static Status PrepareForMigrating(MigrationRunner& runner, Backend& backend,
                                    const DaemonConfig& live);
  // Watches the statements `backend` runs on the live database: blockers and progress as events
  // to the requester and as the job's stage in `status` (statement_watch.h).
  StatementWatch WatchStatements(Backend& backend, uint64_t request_id, JobControl& control,
                                 Responder& responder, const DaemonConfig& live) const;

  // The rehearsal (rehearsal_job.cpp): the pending revisions up to `target` on a scratch copy of
  // `backup`, measured statement by statement; the copy is dropped before it returns.
  struct RehearsalRun {
    proto::Rehearsal report;
    Status status;  // why it failed (the revision, statement and line, the database's error)
  };
  // `atomic`: as upgrade --atomic runs them, in one transaction (every lock held to the end).
  RehearsalRun Rehearse(const ScriptDirectory& scripts, const std::string& target,
                        const BackupManifest& backup, uint64_t request_id, JobControl& control,
                        Responder& responder, bool atomic) const;
  // Its history row on the live database (direction `rehearse`), and the line `status` shows.
  std::string RecordRehearsal(Backend& backend, const proto::Rehearsal& report,
                              const std::vector<std::string>& heads,
                              const RequestIdentity& requester, bool cancelled);
  // A failed rehearsal's reply: its error with `context`, the report, the database's heads.
  static proto::Result RehearsalFailed(const RehearsalRun& run, const std::string& context,
                                       const std::vector<std::string>& heads,
                                       const JobControl& control);
  // `status`: the last rehearsal (read from the history once, then kept as this daemon records
  // them); nullopt when it cannot be read, or is not known yet and `may_read_database` is false.
  std::optional<std::string> LastRehearsal(bool may_read_database) const;
  // This database's newest backup (its digest is not checked: see rehearsal_job.cpp).
  Result<BackupManifest> NewestBackup() const;
  proto::Result RunRehearseJob(const proto::Request& request, const RequestIdentity& requester,
                               JobControl& control, Responder& responder);

  // Writes a history row its job's connection could not (it broke).
  void RecordOnNewConnection(const HistoryEntry& entry) const;

  // Backups (backup_jobs.cpp). Jobs run with the migration lock held.
  // This database's identity (core/backup/database_identity.h); `create` stores its id on first
  // use. The backup options with the settings a reload may change (the lock wait).
  BackupOptions CurrentBackupOptions() const;
  Result<std::string> Identity(bool create) const;
  // Whether a backup was taken from this database (`identity` from Identity()).
  BackupFilter Mine(const std::string& identity) const;
  std::string BackupDirectory() const;
  Result<BackupManifest> TakeBackup(BackupKind kind, const std::string& label, uint64_t request_id,
                                    JobControl& control, Responder& responder);
  proto::Result RunBackupJob(BackupKind kind, const proto::Request& request, JobControl& control,
                             Responder& responder);
  proto::Result RunRestoreJob(const proto::Request& request, const RequestIdentity& requester,
                              JobControl& control, Responder& responder, const MigrationLock& lock);
  // A backup a restore may use: found, intact, of this database (or allowed not to be).
  struct RestoreSource {
    BackupManifest backup;
    std::string identity;  // this database's
    bool foreign = false;  // taken from another database (--from-other-database)
  };
  Result<RestoreSource> CheckRestorable(const proto::Request& request, bool create_identity) const;
  // --dry-run of restore and backup: every check the job makes, nothing written.
  proto::Result PreviewRestore(const proto::Request& request) const;
  proto::Result PreviewBackup(const proto::Request& request) const;
  proto::Result ListBackups() const;
  // `may_read_database` false (a job runs): the database's identity only if already known.
  void FillBackupStatus(proto::StatusInfo& status, bool may_read_database) const;
  void ScheduleNextBackup(bool at_start);
  void SubmitScheduledBackup();

  const DaemonConfig config_;
  const DatabaseUrl url_;
  mutable std::mutex live_mutex_;
  std::shared_ptr<const DaemonConfig> live_;   // guarded by live_mutex_
  std::shared_ptr<const AdminPolicy> admins_;  // guarded by live_mutex_
  const std::chrono::steady_clock::time_point started_;
  std::string host_;  // set in the constructor, then read-only
  BackupStore backups_;
  mutable ScriptDirectoryCache scripts_{config_.migrations, std::string(url_.dialect())};
  mutable ExpectedSchemas expected_{url_, config_.scratch_database};
  BackupOptions backup_options_;
  std::unique_ptr<boost::asio::steady_timer> backup_timer_;  // io thread only
  std::atomic<int64_t> next_backup_epoch_{0};                // seconds; 0: none scheduled
  mutable std::mutex identity_mutex_;
  mutable std::string identity_;  // guarded by identity_mutex_; "" until known with its id
  std::function<void(const std::string&)> activity_;  // set before serving, then read-only
  mutable std::mutex job_state_mutex_;
  std::optional<RecordedState> job_state_;  // guarded by job_state_mutex_
  JobQueue jobs_;
  ScratchGate scratch_gate_;
  // Before the pools: their threads give connections back until they are joined.
  // Two kept: a kept SQLite connection holds its parsed schema (about 4 MiB at 10,000 tables).
  mutable ReaderConnections connections_{url_, 2};
  mutable HistoryReplayCache history_;
  mutable std::mutex rehearsal_mutex_;
  mutable std::optional<std::string> last_rehearsal_;  // guarded by rehearsal_mutex_
  boost::asio::thread_pool readers_{4};
  // Admins' read-only requests have threads of their own: no flood of other users' requests
  // can keep `status` from an operator.
  boost::asio::thread_pool admin_readers_{2};
  std::thread startup_;  // StartUp's; joined by the destructor
};

}  // namespace migrationd
