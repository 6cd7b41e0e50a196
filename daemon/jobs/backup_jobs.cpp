// Service: backups before migrations, on request and on a schedule; listing; restore.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/backup/database_identity.h"
#include "core/db/backend.h"
#include "core/engines/open_backend.h"
#include "daemon/log_setup.h"
#include "daemon/requests/queries.h"
#include "daemon/service.h"

namespace migrationd {

const char* const kSkippedBackup = "none (--no-backup)";

namespace {

proto::Event BackupEvent(uint64_t request_id, proto::EventKind kind, const std::string& message,
                         double duration_ms = 0) {
  proto::Event event = MakeEvent(request_id, kind, message);
  event.set_duration_ms(duration_ms);
  return event;
}

// The version rows as recorded (no scripts needed), for manifests.
Result<std::vector<std::string>> RecordedRevisions(const DatabaseUrl& url) {
  auto backend = OpenBackend(url);
  if (!backend.ok()) return backend.status();
  return VersionStore(**backend).ReadHeads();
}

// The backup directory the settings name, before a database's own subdirectory.
std::string SharedBackupDirectory(const DaemonConfig& config, const DatabaseUrl& url) {
  if (!config.backup_dir.empty()) return config.backup_dir;
  // Under systemd, the unit's StateDirectory= (/var/lib/migrationd; /var/lib/migrationd/NAME for
  // migrationd@NAME): one place per daemon whatever the engine, owned by the daemon's user.
  // Beside a SQLite file would be a directory the application's user may own, which a root
  // daemon must refuse (its owner could plant a symlink there).
  if (const char* state = std::getenv("STATE_DIRECTORY"); state != nullptr && *state != '\0') {
    const std::string first = std::string(state).substr(0, std::string(state).find(':'));
    return (std::filesystem::path(first) / "backups").string();
  }
  if (url.dialect() == kDialectSqlite) {
    return (std::filesystem::path(url.target()).parent_path() / "backup" / "db_bak").string();
  }
  return "/var/lib/migrationd/backups";
}

}  // namespace

std::string ResolveBackupDirectory(const DaemonConfig& config, const DatabaseUrl& url) {
  std::filesystem::path directory = SharedBackupDirectory(config, url);
  // One daemon, several databases: each its own directory (retention counts per directory).
  if (config.backup_dir_per_database) directory /= config.database_name;
  return directory.string();
}

void AddBackupInfo(const BackupManifest& manifest, proto::Result& result) {
  proto::BackupInfo* info = result.add_backups();
  info->set_id(manifest.id);
  info->set_kind(manifest.kind);
  info->set_file(manifest.file);
  info->set_format(manifest.format);
  for (const auto& revision : manifest.revisions) info->add_revisions(revision);
  info->set_created_at(manifest.created_at);
  info->set_size_bytes(manifest.size_bytes);
  info->set_duration_ms(manifest.duration_ms);
  info->set_verified(manifest.verified);
  info->set_sha256(manifest.sha256);
  info->set_label(manifest.label);
  info->set_longest_stall_ms(manifest.longest_stall_ms);
  info->set_tool(manifest.tool);
  info->set_age_seconds(std::chrono::duration<double>(std::chrono::system_clock::now() -
                                                      ParseIsoTimestamp(manifest.created_at))
                            .count());
}

BackupOptions Service::CurrentBackupOptions() const {
  BackupOptions options = backup_options_;
  // pg_dump waits for table locks no longer than a migration would in all (reloadable).
  const auto live = Live();
  options.postgres_lock_wait_ms = live->lock_timeout_ms * (live->lock_retries + 1);
  return options;
}

Result<std::string> Service::Identity(bool create) const {
  {
    std::lock_guard lock(identity_mutex_);
    if (!identity_.empty()) return identity_;
  }
  auto backend = create ? Shared(OpenBackend(url_)) : connections_.Borrow();
  if (!backend.ok()) return backend.status();
  auto identity = ReadDatabaseIdentity(**backend, url_, create);
  if (!identity.ok()) return identity.status();
  if (!identity->ends_with("#")) {  // complete: it can no longer change for this database
    std::lock_guard lock(identity_mutex_);
    identity_ = *identity;
  }
  return identity;
}

BackupFilter Service::Mine(const std::string& identity) const {
  return [identity, url = url_.Redacted()](const BackupManifest& backup) {
    // Manifests from before identities were recorded name the database by its URL.
    if (backup.database_identity.empty()) return backup.database == url;
    return backup.database_identity == identity;
  };
}

Result<BackupManifest> Service::TakeBackup(BackupKind kind, const std::string& label,
                                           uint64_t request_id, JobControl& control,
                                           Responder& responder) {
  auto engine = MakeBackupEngine(url_, CurrentBackupOptions());
  if (!engine.ok()) return engine.status();
  (*engine)->set_should_stop([&control] { return control.cancelled(); });
  // `status` says the job is backing up, and what the dump waits for while it waits.
  struct StageWhileBackingUp {
    JobControl& control;
    ~StageWhileBackingUp() { control.SetStage(""); }
  } stage{control};
  control.SetStage("backing up");
  (*engine)->set_on_waiting([&control, &responder, request_id](const std::string& waiting) {
    if (waiting.empty()) return control.SetStage("backing up");
    const std::string text = "backing up: waiting for " + waiting;
    spdlog::warn("{}", text);
    control.SetStage(text);
    responder.SendEvent(MakeEvent(request_id, proto::LOG_LINE, text));
  });
  MIGRATIOND_RETURN_IF_ERROR((*engine)->CheckTools());
  auto revisions = RecordedRevisions(url_);
  if (!revisions.ok()) return revisions.status();
  auto identity = Identity(true);
  if (!identity.ok()) return identity.status();
  responder.SendEvent(BackupEvent(request_id, proto::BACKUP_STARTED,
                                  std::string(BackupKindName(kind)) + " backup of " +
                                      url_.Redacted() + " into " + backups_.directory()));
  NewBackup request{kind,  *revisions, url_.DatabaseName(), url_.Redacted(), url_.dialect(),
                    label, *identity};
  auto manifest = backups_.Create(**engine, request);
  if (!manifest.ok()) {
    spdlog::error("{} backup failed: {}", BackupKindName(kind), manifest.status().message());
    return manifest.status();
  }
  spdlog::info("backup {} taken: {} bytes in {:.1f} ms (longest step {:.1f} ms), verified",
               manifest->id, manifest->size_bytes, manifest->duration_ms,
               manifest->longest_stall_ms);
  responder.SendEvent(
      BackupEvent(request_id, proto::BACKUP_FINISHED, manifest->id, manifest->duration_ms));
  auto deleted =
      backups_.ApplyRetention(Live()->retention, std::chrono::system_clock::now(), Mine(*identity));
  if (!deleted.ok()) {
    spdlog::warn("retention: {}", deleted.status().message());
  } else {
    for (const auto& id : *deleted) spdlog::info("retention: deleted backup {}", id);
  }
  return manifest;
}

proto::Result Service::RunBackupJob(BackupKind kind, const proto::Request& request,
                                    JobControl& control, Responder& responder) {
  std::string label = kind == BackupKind::kScheduled ? "" : request.label();
  if (Status valid = CheckLabel(label); !valid.ok()) return ErrorResult(valid);
  auto manifest = TakeBackup(kind, label, request.request_id(), control, responder);
  if (!manifest.ok()) return ErrorResult(manifest.status());
  proto::Result result;
  AddBackupInfo(*manifest, result);
  result.set_message("backup " + manifest->id + " written to " + backups_.DataPath(*manifest) +
                     " and verified");
  return result;
}

Result<Service::RestoreSource> Service::CheckRestorable(const proto::Request& request,
                                                        bool create_identity) const {
  auto backup = backups_.Find(request.target());
  if (!backup.ok()) return backup.status();
  auto identity = Identity(create_identity);
  if (!identity.ok()) return identity.status();
  const bool foreign = !Mine(*identity)(*backup);
  if (foreign && !request.from_other_database()) {
    return Status::InvalidArgument(
        "backup " + backup->id + " was taken from another database (" +
        (backup->database_identity.empty() ? backup->database : backup->database_identity) +
        "); this daemon serves " + *identity +
        ". Nothing was restored. If replacing this database's data with it is what you want, "
        "pass --from-other-database (it is recorded in the history)");
  }
  if (backup->dialect != url_.dialect()) {
    return Status::InvalidArgument("backup " + backup->id + " is a " + backup->dialect +
                                   " backup; this is " + url_.dialect());
  }
  // A restore must never read a file that changed since it was backed up.
  MIGRATIOND_RETURN_IF_ERROR(backups_.VerifyDigest(*backup));
  return RestoreSource{std::move(backup).value(), *identity, foreign};
}

proto::Result Service::PreviewRestore(const proto::Request& request) const {
  auto source = CheckRestorable(request, false);
  if (!source.ok()) return ErrorResult(source.status());
  auto engine = MakeBackupEngine(url_, CurrentBackupOptions());
  if (!engine.ok()) return ErrorResult(engine.status());
  if (Status tools = (*engine)->CheckTools(); !tools.ok()) return ErrorResult(tools);
  auto now = RecordedRevisions(url_);
  proto::Result result;
  if (now.ok()) {
    for (const auto& head : *now) result.add_current(head);
  }
  AddBackupInfo(source->backup, result);
  result.set_message(
      "dry run: backup " + source->backup.id + " is intact (sha256 matches its manifest)" +
      (source->foreign ? " and comes from another database (--from-other-database given)" : "") +
      "; a restore would first back up the current state (at " +
      (now.ok() ? JoinRevisions(*now) : "an unreadable revision") +
      "), then bring the database to " + JoinRevisions(source->backup.revisions) +
      " with the backup's data. Nothing was changed");
  return result;
}

proto::Result Service::PreviewBackup(const proto::Request& request) const {
  if (Status valid = CheckLabel(request.label()); !valid.ok()) return ErrorResult(valid);
  auto engine = MakeBackupEngine(url_, CurrentBackupOptions());
  if (!engine.ok()) return ErrorResult(engine.status());
  if (Status tools = (*engine)->CheckTools(); !tools.ok()) return ErrorResult(tools);
  std::string directory = backups_.directory();
  std::error_code missing;
  if (std::filesystem::exists(directory, missing)) {
    if (Status usable = CheckDirectoryIsPrivate(directory); !usable.ok()) {
      return ErrorResult(usable);
    }
  } else {
    directory += " (created 0700 by the first backup)";
  }
  auto revisions = RecordedRevisions(url_);
  if (!revisions.ok()) return ErrorResult(revisions.status());
  proto::Result result;
  for (const auto& head : *revisions) result.add_current(head);
  std::string name = "manual-YYYYMMDD-HHMMSS-" + url_.DatabaseName();
  if (!request.label().empty()) name += "-" + request.label();
  result.set_message("dry run: a manual backup of " + url_.Redacted() + " at " +
                     JoinRevisions(*revisions) + " would be written to " + directory + " as " +
                     name + "." + (*engine)->extension() + " (" + (*engine)->format() + ", " +
                     (*engine)->tool_version() + ") and verified. Nothing was written");
  return result;
}

proto::Result Service::RunRestoreJob(const proto::Request& request,
                                     const RequestIdentity& requester, JobControl& control,
                                     Responder& responder, const MigrationLock& lock) {
  auto source = CheckRestorable(request, true);
  if (!source.ok()) return ErrorResult(source.status());
  const BackupManifest* backup = &source->backup;
  const std::string* identity = &source->identity;
  const bool foreign = source->foreign;
  const std::string path = backups_.DataPath(*backup);

  // The current state is backed up first, so a restore can itself be undone.
  auto safety =
      TakeBackup(BackupKind::kBeforeRestore, "", request.request_id(), control, responder);
  if (!safety.ok()) {
    return ErrorResult(safety.status().WithContext(
        "the backup of the current state failed, so nothing was restored"));
  }
  // The audit trail is append-only: rows written after the backup are kept across the restore.
  std::vector<HistoryEntry> history_now;
  {
    auto backend = OpenBackend(url_);
    if (!backend.ok()) return ErrorResult(backend.status());
    auto rows = VersionStore(**backend).ReadHistory();
    if (!rows.ok()) return ErrorResult(rows.status());
    history_now = std::move(rows).value();
  }
  auto engine = MakeBackupEngine(url_, CurrentBackupOptions());
  if (!engine.ok()) return ErrorResult(engine.status());
  (*engine)->set_should_stop([&control] { return control.cancelled(); });
  Status status = (*engine)->CheckTools();
  if (status.ok()) {
    responder.SendEvent(BackupEvent(
        request.request_id(), proto::LOG_LINE,
        "restoring " + backup->id + " (taken at " + JoinRevisions(backup->revisions) + ")"));
    status = (*engine)->Restore(path, lock.GuardSql());
  }
  if (!status.ok()) {
    return ErrorResult(status.WithContext("restore of " + backup->id +
                                          " failed; the database "
                                          "is as before (backup " +
                                          safety->id + ")"));
  }

  // Put back the history written since the backup, then record the restore itself.
  auto backend = OpenBackend(url_);
  if (!backend.ok()) return ErrorResult(backend.status());
  VersionStore store(**backend);
  status = store.EnsureTables();
  auto restored = status.ok() ? store.ReadHistory() : Result<std::vector<HistoryEntry>>(status);
  if (!restored.ok()) return ErrorResult(restored.status());
  int64_t restored_last = restored->empty() ? 0 : restored->back().id;
  auto heads = store.ReadHeads();
  if (!heads.ok()) return ErrorResult(heads.status());
  status = (*backend)->Begin();
  // The restored data may carry another database's stored id: this database keeps its own.
  if (status.ok()) status = KeepDatabaseIdentity(**backend, *identity);
  for (const auto& entry : history_now) {
    if (status.ok() && entry.id > restored_last) status = store.AppendHistory(entry);
  }
  HistoryEntry record;
  record.revision = JoinRevisions(*heads);
  record.direction = "restore";
  record.started_at = record.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  record.outcome = "success";
  record.heads_after = JoinRevisions(*heads);
  record.requester = requester;
  record.requester.backup_id = backup->id;
  if (foreign) {
    record.error =
        "from another database (--from-other-database): " +
        (backup->database_identity.empty() ? backup->database : backup->database_identity);
  }
  if (status.ok()) status = store.AppendHistory(record);
  if (status.ok()) status = (*backend)->Commit();
  if (!status.ok()) {
    (*backend)->Rollback();
    return ErrorResult(status.WithContext("restored " + backup->id +
                                          ", but the audit trail could not be brought back"));
  }
  proto::Result result;
  for (const auto& head : *heads) result.add_current(head);
  AddBackupInfo(*backup, result);
  AddBackupInfo(*safety, result);
  result.set_message("restored " + backup->id + "; the database is at " + JoinRevisions(*heads) +
                     " (the state before the restore is backup " + safety->id + ")");
  return result;
}

proto::Result Service::ListBackups() const {
  std::vector<std::string> ignored;
  auto backups = backups_.List(&ignored);
  if (!backups.ok()) return ErrorResult(backups.status());
  auto identity = Identity(false);
  if (!identity.ok()) return ErrorResult(identity.status());
  const BackupFilter mine = Mine(*identity);
  proto::Result result;
  int others = 0;
  for (const auto& backup : *backups) {
    if (mine(backup)) {
      AddBackupInfo(backup, result);
    } else {
      ++others;
    }
  }
  std::string message = std::to_string(result.backups_size()) + " backup(s) of this database in " +
                        backups_.directory();
  if (others > 0) {
    message += " (" + std::to_string(others) + " of other databases not shown)";
  }
  for (const auto& why : ignored) {
    spdlog::warn("backups: {}", why);
    message += "\nignored: " + why;
  }
  result.set_message(message);
  return result;
}

void Service::FillBackupStatus(proto::StatusInfo& status, bool may_read_database) const {
  auto backups = backups_.List();
  Result<std::string> identity = Status::Busy("a job runs");
  // The identity picks this database's backups out of the directory: with none to pick from,
  // the database is not opened (at 10,000 tables SQLite parses its schema for 80 ms first).
  if (may_read_database && backups.ok() && !backups->empty()) {
    identity = Identity(false);
  } else {
    std::lock_guard lock(identity_mutex_);
    if (!identity_.empty()) identity = identity_;
  }
  if (backups.ok() && identity.ok()) {
    const BackupFilter mine = Mine(*identity);
    for (const auto& backup : *backups) {
      if (!mine(backup)) continue;
      status.set_last_backup(backup.id + " at " + backup.created_at);
      break;
    }
  }
  if (int64_t next = next_backup_epoch_.load(); next > 0) {
    status.set_next_backup(
        FormatIsoTimestamp(std::chrono::system_clock::time_point(std::chrono::seconds(next))));
  }
}

void Service::StartScheduler(boost::asio::io_context& io) {
  // The timer exists even without a schedule, so that a reload can start one.
  backup_timer_ = std::make_unique<boost::asio::steady_timer>(io);
  if (Live()->backup_interval.count() == 0) return;
  ScheduleNextBackup(true);
}

void Service::ScheduleNextBackup(bool at_start) {
  if (!backup_timer_) return;  // stopped (shutdown)
  const auto live = Live();
  if (live->backup_interval.count() == 0) return;
  using std::chrono::system_clock;
  auto now = system_clock::now();
  system_clock::time_point last{};
  auto identity = Identity(false);
  if (auto backups = backups_.List(); backups.ok() && identity.ok()) {
    const BackupFilter mine = Mine(*identity);
    for (const auto& backup : *backups) {
      if (backup.kind == BackupKindName(BackupKind::kScheduled) && mine(backup)) {
        last = ParseIsoTimestamp(backup.created_at);
        break;
      }
    }
  }
  system_clock::time_point next = now + live->backup_interval;
  if (last != system_clock::time_point{} && last + live->backup_interval > now) {
    next = last + live->backup_interval;
  } else if (at_start && live->backup_catch_up) {
    spdlog::info("a scheduled backup was missed while the daemon was down: taking it now");
    next = now;
  }
  next_backup_epoch_ =
      std::chrono::duration_cast<std::chrono::seconds>(next.time_since_epoch()).count();
  backup_timer_->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::max(next - now, system_clock::duration::zero())));
  backup_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !backup_timer_) return;
    const LogTag tag(config_.database_name);
    SubmitScheduledBackup();
    ScheduleNextBackup(false);
  });
}

// A scheduled backup is an ordinary job from the daemon's own user: it queues behind a running
// migration and never overlaps it.
class LoggingResponder final : public Responder {
 public:
  void SendEvent(proto::Event) override {}
  void SendResult(proto::Result result) override {
    if (result.code() != proto::OK) spdlog::error("scheduled backup: {}", result.message());
  }
};

void Service::SubmitScheduledBackup() {
  PeerIdentity self;
  self.uid = geteuid();
  self.gid = getegid();
  self.pid = getpid();
  self.user_name = "migrationd (scheduler)";
  proto::Request request;
  request.set_command(proto::BACKUP);
  request.set_label(kScheduledLabel);
  request.set_wait(true);
  (void)SubmitJob(request, self, std::make_shared<LoggingResponder>());  // it logs a refusal
}

}  // namespace migrationd
