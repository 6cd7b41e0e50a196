#include "daemon/service.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/base/numbers.h"
#include "core/engines/open_backend.h"
#include "core/run/migration_lock.h"
#include "core/run/migration_runner.h"
#include "daemon/requests/queries.h"
#include "daemon/server/request_checks.h"
#include "proto/frame.h"

namespace migrationd {

namespace {

std::string Now() { return FormatIsoTimestamp(std::chrono::system_clock::now()); }

bool IsMutating(const proto::Request& request) {
  // A dry run changes nothing: anyone may preview.
  if (NeedsMaintenanceWindow(request)) return true;  // the schema changes
  if (request.command() == proto::BACKUP) return !request.dry_run();
  return request.command() == proto::CANCEL;
}

void FillHolder(const JobSnapshot& job, proto::LockHolder& holder, const std::string& host) {
  holder.set_held(true);
  holder.set_host(host);
  holder.set_daemon_pid(getpid());
  holder.set_uid(job.uid);
  holder.set_user_name(job.user_name);
  holder.set_request(job.description);
  holder.set_since(job.started_at);
  holder.set_revision(job.revision);
}

}  // namespace

std::string Describe(const proto::Request& request) {
  std::string text = proto::Command_Name(request.command());
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!request.target().empty()) text += " " + request.target();
  if (request.dry_run()) text += " --dry-run";
  return text;
}

void SendError(Responder& responder, uint64_t request_id, const Status& status) {
  proto::Result result = ErrorResult(status);
  result.set_request_id(request_id);
  responder.SendResult(std::move(result));
}

proto::Event MakeEvent(uint64_t request_id, proto::EventKind kind, const std::string& message) {
  proto::Event event;
  event.set_request_id(request_id);
  event.set_kind(kind);
  event.set_message(message);
  event.set_time(Now());
  return event;
}

Result<std::unique_ptr<Service>> Service::Create(DaemonConfig config) {
  auto url = DatabaseUrl::Parse(config.database);
  if (!url.ok()) return url.status();
  auto admins = AdminPolicy::Create(config.admin_groups);
  if (!admins.ok()) return admins.status();
  return std::unique_ptr<Service>(
      new Service(std::move(config), std::move(url).value(), std::move(admins).value()));
}

Service::Service(DaemonConfig config, DatabaseUrl url, AdminPolicy admins)
    : config_(std::move(config)),
      url_(std::move(url)),
      live_(std::make_shared<const DaemonConfig>(config_)),
      admins_(std::make_shared<const AdminPolicy>(std::move(admins))),
      started_(std::chrono::steady_clock::now()),
      backups_(ResolveBackupDirectory(config_, url_)) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  host_ = host;
  backup_options_.postgres_format = config_.backup_format;
  backup_options_.sqlite_pages_per_step = config_.sqlite_backup_pages;
  backup_options_.postgres_bin_dir = config_.pg_bin_dir;
}

std::shared_ptr<const DaemonConfig> Service::Live() const {
  std::lock_guard lock(live_mutex_);
  return live_;
}

std::shared_ptr<const AdminPolicy> Service::Admins() const {
  std::lock_guard lock(live_mutex_);
  return admins_;
}

void Service::Reload(const DaemonConfig& fresh) {
  // Settings that shape what the daemon opened at start (socket, database, directories) need a
  // restart; saying so is better than half-applying them. They are compared with what the
  // daemon started with, the others with the configuration that ran until now.
  static const std::set<std::string> kRestartOnly = {"database",
                                                     "migrations",
                                                     "socket",
                                                     "socket_mode",
                                                     "socket_group",
                                                     "backup_dir",
                                                     "backup_format",
                                                     "pg_bin_dir",
                                                     "sqlite_backup_pages",
                                                     "max_connections",
                                                     "max_connections_per_user",
                                                     "idle_timeout",
                                                     "frame_timeout",
                                                     "auto_upgrade"};
  const auto at_start = DescribeSettings(config_);
  const auto before = DescribeSettings(*Live());
  const auto after = DescribeSettings(fresh);
  auto admins = AdminPolicy::Create(fresh.admin_groups);
  if (!admins.ok()) {
    spdlog::error("reload refused: {}; the running configuration stays", admins.status().message());
    return;
  }
  std::vector<std::string> applied;
  for (const auto& [key, value] : after) {
    auto shown = [](const std::string& text) { return text.empty() ? "(unset)" : text; };
    if (kRestartOnly.count(key)) {
      if (at_start.at(key) != value) {
        spdlog::warn("reload: '{}' changed ({} -> {}); it takes effect at the next restart", key,
                     shown(at_start.at(key)), shown(value));
      }
    } else if (before.at(key) != value) {
      applied.push_back(key + " " + shown(before.at(key)) + " -> " + shown(value));
    }
  }
  auto level = spdlog::level::from_str(fresh.log_level);
  const bool schedule_changed = fresh.backup_interval != Live()->backup_interval;
  {
    std::lock_guard lock(live_mutex_);
    live_ = std::make_shared<const DaemonConfig>(fresh);
    admins_ = std::make_shared<const AdminPolicy>(std::move(admins).value());
  }
  spdlog::set_level(level);
  if (schedule_changed && backup_timer_) {
    if (fresh.backup_interval.count() == 0) {
      backup_timer_->cancel();
    } else {
      ScheduleNextBackup(false);
    }
  }
  if (applied.empty()) {
    spdlog::info("reload: configuration read again; no setting that applies while running changed");
    return;
  }
  std::string changes;
  for (const auto& change : applied) changes += (changes.empty() ? "" : "; ") + change;
  spdlog::info("reload: applied {} change(s): {}", applied.size(), changes);
}

void Service::StartUp() {
  // Before any job or scheduled backup can start: it removes unfinished backup files.
  CleanBackupDirectory();
  if (config_.auto_upgrade != "never") {
    // Before the socket answers and READY=1: a unit ordered after migrationd.service starts
    // on an upgraded database.
    LogStartupCheck();
    RunAutoUpgrade();
    return;
  }
  // Off the io thread: at 10,000 revisions the first parse takes most of a second, and the
  // socket answers `status` meanwhile (saying it is loading).
  startup_ = std::thread([this] {
    LogStartupCheck();
    // The parse leaves much freed memory between the blocks it keeps (5 MiB at 10,000
    // revisions), which glibc would hold for good: hand it back.
    malloc_trim(0);
  });
}

Service::~Service() {
  Shutdown();
  if (startup_.joinable()) startup_.join();
  readers_.join();
  admin_readers_.join();
}

Result<std::shared_ptr<const ScriptDirectory>> Service::LoadScripts() const {
  // Checked on every request (one stat per file), parsed again only when a file changed:
  // deploying new scripts needs no daemon restart.
  auto scripts = scripts_.Get();
  if (scripts.ok() || scripts.status().code() != ErrorCode::kNotFound) return scripts;
  return Status::NotFound(scripts.status().message() + ": create it, or " +
                          config_.WhereToFix("migrations") + " and restart the daemon");
}

void Service::CleanBackupDirectory() {
  std::error_code missing;
  if (std::filesystem::exists(backups_.directory(), missing)) {
    Status cleaned = backups_.Prepare();  // removes what an interrupted backup left
    if (!cleaned.ok()) spdlog::warn("{}", cleaned.message());
  }
  spdlog::info("backups go to {}", backups_.directory());
}

void Service::LogStartupCheck() {
  if (url_.dialect() == kDialectSqlite) {
    std::error_code error;
    if (!std::filesystem::exists(url_.target(), error) && !error) {
      spdlog::warn(
          "the SQLite database {} does not exist: it reads as empty, and the first upgrade, "
          "stamp or backup creates it; if that is unexpected, check --database",
          url_.target());
    }
  }
  auto scripts = LoadScripts();
  if (!scripts.ok()) {
    spdlog::error("migration scripts in {} cannot be used: {}", config_.migrations,
                  scripts.status().message());
    return;
  }
  proto::StatusInfo status;
  FillDatabaseStatus(Queries(**scripts, nullptr), status);
  if (!status.error().empty()) {
    spdlog::error("cannot read the database's revision: {}", status.error());
    return;
  }
  std::vector<std::string> current(status.current().begin(), status.current().end());
  std::vector<std::string> heads(status.heads().begin(), status.heads().end());
  if (config_.check_schema_at_start) {
    auto live = OpenBackendForReading(url_);
    proto::Result drift;
    Status same =
        live.ok() ? CheckSchemaAt(**live, **scripts, expected_, current, drift) : live.status();
    if (same.ok()) {
      spdlog::info("schema check: the database's schema is the one {} produces",
                   JoinRevisions(current));
    } else {
      spdlog::warn("schema check: {}", same.message());
    }
  }
  // FillDatabaseStatus found a create_all() database: say so, with the revision it matches.
  if (!status.unmanaged().empty()) {
    auto live = OpenBackendForReading(url_);
    Status managed =
        live.ok() ? CheckNotUnmanaged(**live, **scripts, expected_, current, true) : Status::Ok();
    if (!managed.ok()) {
      spdlog::warn("{}", managed.message());
      return;
    }
  }
  if (status.pending() == 0) {
    spdlog::info("database is at {}, the scripts' head", JoinRevisions(current));
  } else {
    spdlog::warn(
        "database is at {} but the scripts' head is {}: {} revision(s) pending; run "
        "'migctl upgrade' to apply them",
        JoinRevisions(current), JoinRevisions(heads), status.pending());
  }
}

void Service::Shutdown() { jobs_.Shutdown(std::chrono::seconds(Live()->shutdown_grace_seconds)); }

void Service::Handle(const proto::Request& request, const PeerIdentity& peer,
                     std::shared_ptr<Responder> responder) {
  spdlog::info("request {} '{}' from {}", request.request_id(), Describe(request), peer.Describe());
  const bool admin = Admins()->IsAdmin(peer);
  if (IsMutating(request) && !admin) {
    spdlog::warn("refused '{}' from {}: not an admin", Describe(request), peer.Describe());
    SendError(*responder, request.request_id(),
              Status::PermissionDenied(peer.user_name + " may not " + Describe(request) +
                                       ": changes are allowed to " + Admins()->DescribeAdmins()));
    return;
  }
  if (Status valid = ValidateRequest(request); !valid.ok()) {
    SendError(*responder, request.request_id(), valid);
    return;
  }
  if (request.command() == proto::CANCEL) {
    proto::Result result;
    result.set_request_id(request.request_id());
    std::optional<uint64_t> id;
    if (!request.target().empty()) id = ParseInt64Or(request.target(), 0);
    auto cancelled = jobs_.Cancel(id, peer.Describe());
    if (cancelled.ok()) {
      result.set_message(*cancelled);
    } else {
      result = ErrorResult(cancelled.status());
      result.set_request_id(request.request_id());
    }
    responder->SendResult(std::move(result));
    return;
  }
  if (IsMutating(request)) {
    if (NeedsMaintenanceWindow(request) && !AdmitToWindow(request, peer, responder)) return;
    (void)SubmitJob(request, peer, responder);  // the responder has the reply either way
    return;
  }
  // Scratch work is admitted here, on the I/O thread: a request over the bounds is refused
  // now instead of waiting in a reader thread that `status` needs.
  std::shared_ptr<ScratchGate::Pass> scratch;
  if (request.command() == proto::VERIFY || request.command() == proto::BASELINE) {
    auto pass = scratch_gate_.Admit(peer.uid, admin);
    if (!pass.ok()) {
      spdlog::warn("refused '{}' from {}: {}", Describe(request), peer.Describe(),
                   pass.status().message());
      SendError(*responder, request.request_id(), pass.status());
      return;
    }
    scratch = std::move(pass).value();
    spdlog::info("scratch work '{}' for {} admitted ({} of {} running or waiting)",
                 Describe(request), peer.Describe(), scratch_gate_.Admitted(),
                 ScratchGate::kMaxAdmitted);
  }
  auto& pool = admin ? admin_readers_ : readers_;
  boost::asio::post(pool, [this, request, responder = std::move(responder), scratch] {
    std::unique_lock<std::mutex> turn;
    if (scratch) {
      turn = scratch->WaitForTurn();
      spdlog::info("scratch work '{}' (request {}) starts", Describe(request),
                   request.request_id());
    }
    HandleReadOnly(request, responder);
  });
}

std::optional<RecordedState> Service::JobState() const {
  std::lock_guard lock(job_state_mutex_);
  return job_state_;
}

void Service::SetJobState(std::optional<RecordedState> state) {
  std::lock_guard lock(job_state_mutex_);
  job_state_ = std::move(state);
}

void Service::RecordCommittedStep(const PlannedStep& step, const std::string& checksum) {
  std::lock_guard lock(job_state_mutex_);
  if (!job_state_) return;
  job_state_->heads = step.heads_after;
  if (step.direction == Direction::kUpgrade) {
    job_state_->applied[step.revision] = {checksum, Now()};
  } else {
    job_state_->applied.erase(step.revision);
  }
}

QueryContext Service::Queries(const ScriptDirectory& scripts, const RecordedState* known) const {
  return {config_, url_, scripts, known, &expected_, &connections_, &history_};
}

proto::Result Service::StatusReply(const ScriptDirectory* scripts, const std::string& error,
                                   const RecordedState* known, bool loading) const {
  proto::Result result;
  proto::StatusInfo* status = result.mutable_status();
  status->set_daemon_version(kMigrationdVersion);
  status->set_uptime_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  status->set_database(url_.Redacted());
  status->set_dialect(url_.dialect());
  status->set_migrations(config_.migrations);
  if (scripts != nullptr) FillDatabaseStatus(Queries(*scripts, known), *status);
  if (scripts != nullptr) status->set_scripts_loaded_at(FormatIsoTimestamp(scripts_.loaded_at()));
  status->set_from_job_state(known != nullptr);
  if (!error.empty()) status->set_error(error);
  if (auto job = jobs_.Running()) {
    // A running job holds the lock or is about to; if the lock reads free (it was lost and
    // the job stops before its next step), the job is still what changes the database.
    if (!status->lock().held()) FillHolder(*job, *status->mutable_lock(), host_);
    proto::JobInfo* info = status->mutable_job();
    info->set_job_id(job->id);
    info->set_request(job->description);
    info->set_uid(job->uid);
    info->set_user_name(job->user_name);
    info->set_started_at(job->started_at);
    info->set_done(job->done);
    info->set_total(job->total);
    info->set_revision(job->revision);
    info->set_stage(job->stage);
  }
  status->set_queued(static_cast<uint32_t>(jobs_.QueuedCount()));
  for (const JobSnapshot& waiting : jobs_.Waiting()) {
    proto::JobInfo* info = status->add_waiting();
    info->set_job_id(waiting.id);
    info->set_request(waiting.description);
    info->set_uid(waiting.uid);
    info->set_user_name(waiting.user_name);
    info->set_scheduled_for(waiting.scheduled_for);
  }
  FillWindowStatus(Windows(), *status);
  // While the first parse runs, status answers from memory: the last backup is named only if the
  // database's identity is already known.
  FillBackupStatus(*status, known == nullptr && !loading);
  if (loading) {
    status->set_loading(true);
    result.set_message(
        "migrationd is still loading the scripts in " + config_.migrations +
        "; current and pending revisions (and the last backup) follow when it is done");
  }
  return result;
}

// The last line of defence: a request or a file that makes some library throw fails that
// request with an internal error and a log line; it never ends the daemon.
template <typename Answer>
proto::Result Guarded(const proto::Request& request, Answer answer) {
  try {
    return answer();
  } catch (const std::exception& e) {
    spdlog::error("'{}' failed with an unexpected error (a bug; please report it): {}",
                  Describe(request), e.what());
    return ErrorResult(Status::Internal(std::string("unexpected error: ") + e.what() +
                                        "; the daemon keeps running"));
  }
}

void Service::HandleReadOnly(const proto::Request& request,
                             const std::shared_ptr<Responder>& responder) {
  proto::Result result = Guarded(request, [&] { return AnswerReadOnly(request); });
  result.set_request_id(request.request_id());
  responder->SendResult(std::move(result));
}

proto::Result Service::AnswerReadOnly(const proto::Request& request) const {
  // Backups need no scripts: they are listed even when the directory is broken.
  if (request.command() == proto::BACKUPS) return ListBackups();
  if (request.command() == proto::BACKUP) return PreviewBackup(request);
  if (request.command() == proto::RESTORE) return PreviewRestore(request);
  proto::Result result;
  if (request.command() == proto::STATUS && scripts_.Loading()) {
    // Just started at many revisions: answer now with what is known, not after the parse.
    return StatusReply(nullptr, "", nullptr, /*loading=*/true);
  }
  auto scripts = LoadScripts();
  const std::optional<RecordedState> known = JobState();
  const RecordedState* known_state = known ? &*known : nullptr;
  if (request.command() == proto::STATUS) {
    // Status answers even when the scripts or the database are broken: that is when it matters.
    result = StatusReply(scripts.ok() ? scripts->get() : nullptr,
                         scripts.ok() ? "" : scripts.status().message(), known_state);
  } else if (!scripts.ok()) {
    result = ErrorResult(scripts.status());
  } else {
    const QueryContext context = Queries(**scripts, known_state);
    switch (request.command()) {
      case proto::CURRENT:
        result = QueryCurrent(context);
        break;
      case proto::HEADS:
        result = QueryHeads(context);
        break;
      case proto::HISTORY:
        result = QueryHistory(context, request.range());
        break;
      case proto::SHOW:
        result = QueryShow(context, request.target());
        break;
      case proto::CHECK:
        result = QueryCheck(context, request.schema());
        break;
      case proto::BASELINE:
        result = QueryBaseline(context, request.target(), request.apply());
        break;
      case proto::VERIFY:
        result = QueryVerify(context, request.range());
        break;
      case proto::LOG:
        result = QueryLog(context, request.limit());
        break;
      case proto::UPGRADE:
      case proto::DOWNGRADE:
      case proto::RESUME:
        result = QueryDryRun(context, request.command(), request.target(), request.atomic());
        break;
      case proto::STAMP:
        result = QueryStampPreview(context, request.target(), request.force());
        break;
      case proto::REPAIR:
        result = QueryRepairPreview(
            context, {request.revisions().begin(), request.revisions().end()}, request.reason());
        break;
      default:
        result = ErrorResult(Status::InvalidArgument(
            "unknown command " + std::to_string(request.command()) +
            "; this daemon speaks protocol version " + std::to_string(kProtocolVersion)));
    }
  }
  return result;
}

std::string RequestKey(const proto::Request& request) {
  proto::Request key = request;
  key.set_request_id(0);
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  key.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

Result<uint64_t> Service::SubmitJob(
    const proto::Request& request, const PeerIdentity& peer,
    const std::shared_ptr<Responder>& responder,
    std::optional<MaintenanceSchedule::Clock::time_point> not_before) {
  JobQueue::Job job;
  job.info.id = jobs_.NextId();
  job.info.request_key = RequestKey(request);
  job.not_before = not_before;
  if (not_before) job.info.scheduled_for = FormatIsoTimestamp(*not_before);
  job.info.description = Describe(request);
  job.info.uid = peer.uid;
  job.info.user_name = peer.user_name;
  job.run = [this, request, peer, responder](JobControl& control) {
    RunJob(request, peer, control, *responder);
  };
  job.abandon = [id = request.request_id(), responder](const migrationd::Status& why) {
    SendError(*responder, id, why);
  };
  auto submitted = jobs_.Submit(job, request.wait() || request.in_window(),
                                static_cast<size_t>(Live()->max_queued_jobs));
  if (!submitted.ok()) {
    job.abandon(submitted.status());
    return submitted.status();
  }
  if (const std::optional<JobSnapshot>& busy = *submitted) {
    proto::Result result;
    result.set_request_id(request.request_id());
    result.set_code(proto::BUSY);
    result.set_message(
        "busy: '" + busy->description + "' by " + busy->user_name +
        (busy->started_at.empty() ? " is queued" : " runs since " + busy->started_at) +
        "; try again later, or pass --wait to queue behind it");
    FillHolder(*busy, *result.mutable_holder(), host_);
    const Status refused = Status::Busy(result.message());
    responder->SendResult(std::move(result));
    return refused;
  }
  if (!not_before && jobs_.Running() && jobs_.Running()->id != job.info.id) {
    responder->SendEvent(MakeEvent(request.request_id(), proto::JOB_QUEUED,
                                   "queued behind '" + jobs_.Running()->description + "'"));
  }
  return job.info.id;
}

void Service::RunJob(const proto::Request& request, const PeerIdentity& peer, JobControl& control,
                     Responder& responder) {
  const uint64_t id = request.request_id();
  responder.SendEvent(MakeEvent(id, proto::JOB_STARTED, Describe(request)));
  if (activity_) activity_("running '" + Describe(request) + "' for " + peer.user_name);
  proto::Result result =
      Guarded(request, [&] { return RunLockedJob(request, peer, control, responder); });
  result.set_request_id(id);
  if (activity_) {
    activity_("idle; last job '" + Describe(request) + "' " +
              (result.code() == proto::OK ? "succeeded" : "failed") + " at " + Now());
  }
  if (result.code() == proto::OK) {
    spdlog::info("'{}' for {}: {}", Describe(request), peer.Describe(), result.message());
  } else {
    spdlog::error("'{}' for {} failed: {}", Describe(request), peer.Describe(), result.message());
  }
  spdlog::debug("job {}: migration lock released", id);
  responder.SendResult(std::move(result));
}

proto::Result Service::RunLockedJob(const proto::Request& request, const PeerIdentity& peer,
                                    JobControl& control, Responder& responder) {
  const uint64_t id = request.request_id();
  proto::Result result;
  // Checked as the job starts, not only when it was asked for: a job that queued behind
  // another (or waited for its window) may start after the window closed.
  auto window = EnterWindow(request);
  if (!window.ok()) return ErrorResult(window.status());
  auto lock = AcquireJobLock(request, peer, control, responder);
  if (!lock.ok()) {
    result = JobError(lock.status(), control);
  } else {
    responder.SendEvent(MakeEvent(id, proto::LOCK_ACQUIRED, "migration lock acquired"));
    spdlog::debug("job {}: migration lock acquired for '{}'", id, Describe(request));
    // Read once the lock is held (nothing else changes the tables now) and kept until the job
    // ends: reads answer from it instead of queueing behind the migration's locks.
    struct KnownWhileRunning {
      Service& service;
      ~KnownWhileRunning() { service.SetJobState(std::nullopt); }
    } known{*this};
    if (auto backend = connections_.Borrow(); backend.ok()) {
      auto state = VersionStore(**backend).ReadState();
      if (state.ok()) SetJobState(std::move(state).value());
    }
    RequestIdentity requester{static_cast<int64_t>(peer.uid), peer.user_name, host_, getpid(), ""};
    if (window->forced) RecordForcedRun(request, requester);
    switch (request.command()) {
      case proto::BACKUP:
        result = RunBackupJob(
            request.label() == kScheduledLabel ? BackupKind::kScheduled : BackupKind::kManual,
            request, control, responder);
        break;
      case proto::RESTORE:
        result = RunRestoreJob(request, requester, control, responder, **lock);
        break;
      default:
        result = RunMigrationJob(request, requester, control, responder, **lock, *window);
    }
  }
  return result;
}

Result<std::unique_ptr<MigrationLock>> Service::AcquireJobLock(const proto::Request& request,
                                                               const PeerIdentity& peer,
                                                               JobControl& control,
                                                               Responder& responder) {
  LockHolderInfo me{
      host_, getpid(), static_cast<int64_t>(peer.uid), peer.user_name, Describe(request),
      Now(), ""};
  LockWaitOptions wait;
  wait.max_wait =
      request.wait() ? std::chrono::seconds(Live()->lock_wait_seconds) : std::chrono::seconds(0);
  wait.should_stop = [&] { return control.cancelled(); };
  wait.on_waiting = [&](const std::optional<LockHolderInfo>& holder) {
    responder.SendEvent(MakeEvent(request.request_id(), proto::LOCK_WAIT,
                                  "waiting for the migration lock held by " +
                                      (holder ? holder->Describe() : "another session")));
  };
  return AcquireMigrationLock(url_, me, wait);
}

proto::Result JobError(const Status& status, const JobControl& control) {
  if (!control.cancelled()) return ErrorResult(status);
  const std::string who = " (cancel asked by " + control.cancelled_by() + ")";
  // An interrupted statement surfaces as a database error; the operator asked for a cancel.
  if (status.code() == ErrorCode::kDatabase) {
    return ErrorResult(Status::Cancelled("cancelled: " + status.message() + who));
  }
  if (status.code() == ErrorCode::kCancelled) {
    return ErrorResult(Status::Cancelled(status.message() + who));
  }
  return ErrorResult(status);
}

}  // namespace migrationd
