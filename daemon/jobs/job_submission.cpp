// Service: a mutating request becomes a job on the one queue (or is refused as busy); the job
// takes the migration lock and runs the migration, backup or restore (migration_job.cpp,
// backup_jobs.cpp), streaming events; the state it read is what reads answer from meanwhile.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/run/migration_lock.h"
#include "daemon/log_setup.h"
#include "daemon/service.h"

namespace migrationd {

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
    const LogTag tag(config_.database_name);
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
      case proto::REHEARSE:
        result = RunRehearseJob(request, requester, control, responder);
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
