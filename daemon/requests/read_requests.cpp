// Service: the read-only requests as they reach it (status, current, heads, history, show,
// check, baseline, verify, log, dry runs and previews), answered on the reader pools; what each
// answers is in queries.cpp and schema_queries.cpp.
#include <spdlog/spdlog.h>

#include "daemon/requests/lint_queries.h"
#include "daemon/service.h"
#include "proto/frame.h"

namespace migrationd {
namespace {

void FillJobInfo(const JobSnapshot& job, proto::JobInfo& info) {
  info.set_job_id(job.id);
  info.set_request(job.description);
  info.set_uid(job.uid);
  info.set_user_name(job.user_name);
  info.set_started_at(job.started_at);
  info.set_done(job.done);
  info.set_total(job.total);
  info.set_revision(job.revision);
  info.set_stage(job.stage);
  info.set_scheduled_for(job.scheduled_for);
}

}  // namespace

void Service::DescribeDatabase(proto::DatabaseInfo& info) const {
  info.set_name(config_.database_name);
  info.set_database(url_.Redacted());
  info.set_dialect(url_.dialect());
  info.set_migrations(config_.migrations);
  info.set_backup_dir(backups_.directory());
  if (auto job = jobs_.Running()) FillJobInfo(*job, *info.mutable_job());
  info.set_queued(static_cast<uint32_t>(jobs_.QueuedCount()));
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
  status->set_database_name(config_.database_name);
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
    FillJobInfo(*job, *status->mutable_job());
  }
  status->set_queued(static_cast<uint32_t>(jobs_.QueuedCount()));
  for (const JobSnapshot& waiting : jobs_.Waiting()) FillJobInfo(waiting, *status->add_waiting());
  FillWindowStatus(Windows(), *status);
  // While the first parse runs, status answers from memory: the last backup is named only if the
  // database's identity is already known.
  FillBackupStatus(*status, known == nullptr && !loading);
  if (!loading) {
    // While a job runs, from memory only: the database may be locked by the job.
    if (auto rehearsal = LastRehearsal(known == nullptr)) status->set_last_rehearsal(*rehearsal);
  }
  if (loading) {
    status->set_loading(true);
    result.set_message(
        "migrationd is still loading the scripts in " + config_.migrations +
        "; current and pending revisions (and the last backup) follow when it is done");
  }
  return result;
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
      case proto::LINT:
        result = QueryLint(context, request.target(), request.range(), request.all());
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

}  // namespace migrationd
