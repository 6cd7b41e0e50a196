// Service: the upgrade, downgrade, stamp, repair and resume jobs, and auto_upgrade at start. They
// run on the job queue's thread with the migration lock held; events go to the requester as the job
// advances.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "core/engines/open_backend.h"
#include "core/run/migration_runner.h"
#include "daemon/jobs/statement_watch.h"
#include "daemon/requests/lint_queries.h"
#include "daemon/requests/queries.h"
#include "daemon/service.h"

namespace migrationd {
namespace {

proto::Event StepEvent(uint64_t request_id, proto::EventKind kind, const PlannedStep& step,
                       uint32_t index, uint32_t total) {
  proto::Event event = MakeEvent(request_id, kind, "");
  event.set_revision(step.revision);
  event.set_direction(DirectionName(step.direction));
  event.set_index(index);
  event.set_total(total);
  return event;
}

// Turns the runner's callbacks into protocol events, progress for `status`, and the lock
// holder's current revision for other daemons (labelled on the job's connection `backend`).
RunObserver MakeObserver(uint64_t request_id, uint32_t total, JobControl& control,
                         Responder& responder, MigrationLock& lock, Backend& backend,
                         const std::function<void(const PlannedStep&)>& committed,
                         std::optional<std::chrono::system_clock::time_point> window_closes) {
  RunObserver observer;
  observer.should_stop = [&control] { return control.cancelled(); };
  if (window_closes) {
    observer.window_closed = [closes = *window_closes]() -> std::optional<std::string> {
      if (std::chrono::system_clock::now() < closes) return std::nullopt;
      return "the maintenance window closed at " + FormatIsoTimestamp(closes);
    };
  }
  observer.check_lock = [&lock, &backend](const std::string& next) {
    backend.LabelSteps(lock.StepLabel(next));
    return lock.CheckHeld(next);
  };
  observer.step_started = [=, &control, &responder](const PlannedStep& step, size_t index, size_t) {
    spdlog::debug("job {}: {} {} starts ({} of {})", request_id, DirectionName(step.direction),
                  step.revision, index + 1, total);
    control.Progress(static_cast<uint32_t>(index), total, step.revision);
    responder.SendEvent(StepEvent(request_id, proto::REVISION_STARTED, step,
                                  static_cast<uint32_t>(index + 1), total));
  };
  observer.step_retrying = [=, &responder](const PlannedStep& step, int attempt,
                                           std::chrono::milliseconds delay, const Status& why) {
    std::string text = step.revision + " timed out waiting for a table lock (attempt " +
                       std::to_string(attempt) + "), rolled back; retrying in " +
                       std::to_string(delay.count()) + " ms: " + why.message();
    spdlog::warn("{}", text);
    responder.SendEvent(MakeEvent(request_id, proto::LOG_LINE, text));
  };
  auto finished = std::make_shared<uint32_t>(0);
  observer.step_finished = [=, &control, &responder](const PlannedStep& step, double ms) {
    spdlog::debug("job {}: {} {} committed in {:.1f} ms", request_id, DirectionName(step.direction),
                  step.revision, ms);
    committed(step);
    ++*finished;
    control.Progress(*finished, total, "");
    proto::Event event = StepEvent(request_id, proto::REVISION_FINISHED, step, *finished, total);
    event.set_duration_ms(ms);
    responder.SendEvent(std::move(event));
  };
  return observer;
}

// A history row for an override of the schema guard (--force), or for a baseline.
Status RecordNote(Backend& backend, const std::string& direction, const std::string& revision,
                  const std::string& checksum, const std::string& note,
                  const RequestIdentity& requester) {
  HistoryEntry entry;
  entry.revision = revision;
  entry.direction = direction;
  entry.checksum = checksum;
  entry.started_at = entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  entry.outcome = "success";
  entry.error = note;
  entry.requester = requester;
  return VersionStore(backend).AppendHistory(entry);
}

// A lost database session (a server restart, pg_terminate_backend, a network cut) says what the
// job was doing and what to run next, not only libpq's words ("not connected").
Status WhereLost(const Status& status, const std::string& stage) {
  if (status.code() != ErrorCode::kConnectionLost) return status;
  return Status::ConnectionLost(
      stage + ": " + status.message() +
      ". The server rolls back the open transaction of a session that ends. Once it answers "
      "again, 'migctl status' shows where the database is; then run the same command again");
}

proto::Result StampResult(MigrationRunner& runner, const std::string& what) {
  auto now = runner.CurrentHeads();
  proto::Result result;
  if (now.ok()) {
    for (const auto& head : *now) result.add_current(head);
  }
  result.set_message(what + ": the database is now at " + (now.ok() ? JoinRevisions(*now) : "?"));
  return result;
}

// A stamp records a revision without running its SQL, so it first checks the schema is the
// one the scripts produce there: --force stamps over differences and records them.
proto::Result Stamp(MigrationRunner& runner, Backend& backend, const ScriptDirectory& scripts,
                    ExpectedSchemas& expected, const proto::Request& request,
                    const RequestIdentity& requester) {
  auto plan = runner.PlanStamp({request.target()});
  if (!plan.ok()) {
    return ErrorResult(WhereLost(plan.status(), "reading the version rows; nothing was stamped"));
  }
  StampCheck check = CheckStamp(backend, scripts, expected, plan->heads_after);
  // A schema that could not be read is not a schema that differs.
  if (check.same.code() == ErrorCode::kConnectionLost) {
    return ErrorResult(WhereLost(check.same, "reading the schema; nothing was stamped"));
  }
  if (!check.same.ok() && !request.force()) return StampRefusal(check);
  const Status& same = check.same;
  const proto::Result& differences = check.differences;
  if (!same.ok()) {
    Status noted = RecordNote(backend, "force", "stamp " + request.target(), "",
                              "stamped although " + same.message() + " (--force)", requester);
    if (!noted.ok()) return ErrorResult(noted.WithContext("nothing was stamped"));
    spdlog::warn("'stamp {}' by {}: {} (--force)", request.target(), requester.user_name,
                 same.message());
  }
  Status status = runner.Stamp({request.target()}, requester);
  if (!status.ok()) return ErrorResult(WhereLost(status, "recording the stamp"));
  proto::Result result = StampResult(runner, "stamped");
  *result.mutable_schema_diff() = differences.schema_diff();
  return result;
}

// baseline --apply: stamps the revision whose schema the database has, and records the
// schema's fingerprint in a `baseline` history row.
proto::Result Baseline(MigrationRunner& runner, Backend& backend, const ScriptDirectory& scripts,
                       ExpectedSchemas& expected, const std::string& named,
                       const RequestIdentity& requester) {
  auto match = FindBaseline(backend, scripts, expected);
  if (!match.ok()) {
    return ErrorResult(WhereLost(match.status(), "reading the schema; nothing was stamped"));
  }
  if (!match->exact) {
    proto::Result refused =
        ErrorResult(Status::Integrity(NoBaselineMatch(*match) + "\nNothing was stamped"));
    refused.set_closest_revision(match->revision);
    refused.set_fingerprint(match->fingerprint);
    AddSchemaChanges(match->differences, refused);
    return refused;
  }
  auto chosen = ChooseBaseline(*match, named, scripts.graph());
  if (!chosen.ok()) {
    proto::Result refused = ErrorResult(chosen.status());
    for (const auto& revision : match->exact_matches) refused.add_matched_revisions(revision);
    return refused;
  }
  const std::string& revision = *chosen;
  Status status = runner.Stamp({revision}, requester);
  if (status.ok()) {
    status = RecordNote(backend, "baseline", revision, match->fingerprint,
                        "the schema matched " + revision + "'s" +
                            (match->exact_matches.size() > 1
                                 ? " (named among " + std::to_string(match->exact_matches.size()) +
                                       " revisions with that schema)"
                                 : "") +
                            (match->alembic_note.empty() ? "" : "; " + match->alembic_note),
                        requester);
  }
  if (!status.ok()) return ErrorResult(WhereLost(status, "recording the baseline"));
  proto::Result result = StampResult(runner, "baselined at " + revision);
  result.set_matched_revision(revision);
  for (const auto& exact : match->exact_matches) result.add_matched_revisions(exact);
  result.set_fingerprint(match->fingerprint);
  return result;
}

proto::Result Repair(MigrationRunner& runner, const proto::Request& request,
                     const RequestIdentity& requester) {
  std::vector<std::string> revisions(request.revisions().begin(), request.revisions().end());
  auto repaired = runner.Repair(revisions, request.reason(), requester);
  if (!repaired.ok()) return ErrorResult(WhereLost(repaired.status(), "recording the repair"));
  proto::Result result;
  if (repaired->empty()) {
    result.set_message("nothing to repair: every applied script has its recorded checksum");
    return result;
  }
  result.set_message("recorded the current checksums of " + JoinRevisions(*repaired) +
                     " with the reason given; 'migctl log' shows it");
  return result;
}

}  // namespace

void Service::RecordOnNewConnection(const HistoryEntry& entry) const {
  // The server may be restarting: try for a while, then give up (the reply and the log still
  // carry the error).
  Status status;
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto backend = OpenBackend(url_);
    status = backend.status();
    if (status.ok()) {
      VersionStore store(**backend);
      status = store.EnsureTables();
      if (status.ok()) status = store.AppendHistory(entry);
      if (status.ok()) return;
    }
    // Another process holds SQLite's lock (what made the step fail, often): it may hold it for
    // hours, and the requester must not wait for the reply meanwhile. The log keeps the row.
    if (status.code() == ErrorCode::kBusy) break;
  }
  spdlog::error("could not record the failed {} of {} in the history ({}): {} at {}: {}",
                entry.direction, entry.revision, status.message(), entry.outcome, entry.finished_at,
                entry.error);
}

namespace {

// lint_on_upgrade: the plan linted before its backup. `warn` adds the findings to the result
// and the log; `refuse` ends the job here when an unsuppressed error remains (a history row says
// so; nothing else is written). Nullopt: go on.
std::optional<proto::Result> LintBeforeUpgrade(Backend& backend, const ScriptDirectory& scripts,
                                               const MigrationPlan& plan,
                                               const DaemonConfig& config, uint64_t request_id,
                                               const RequestIdentity& requester,
                                               Responder& responder, proto::Result& result,
                                               std::map<std::string, std::string>& notes) {
  if (config.lint_on_upgrade == "off") return std::nullopt;
  const bool refuse = config.lint_on_upgrade == "refuse";
  auto report = LintPlan(backend, scripts, plan, config);
  if (!report.ok()) {
    if (refuse) return ErrorResult(report.status().WithContext("lint_on_upgrade = refuse"));
    spdlog::warn("lint before the upgrade failed: {}", report.status().message());
    return std::nullopt;
  }
  FillLint(*report, "pending revisions", true, result);
  for (const LintFinding& finding : report->findings) {
    if (finding.suppressed) {
      // Recorded in the revision's history row when it is applied.
      std::string& note = notes[finding.revision];
      note += (note.empty() ? "lint allowed: " : "; ") + finding.rule + " at line " +
              std::to_string(finding.line) + " (" + finding.reason + ")";
      continue;
    }
    const std::string text = "lint " + std::string(LintSeverityName(finding.severity)) + " " +
                             finding.rule + " at " + finding.path + ":" +
                             std::to_string(finding.line) + ": " + finding.what;
    spdlog::warn("{}", text);
    responder.SendEvent(MakeEvent(request_id, proto::LOG_LINE, text));
  }
  if (!refuse || report->errors() == 0) return std::nullopt;
  const std::string why = DescribeLintErrors(*report) +
                          "; lint_on_upgrade = refuse stopped the upgrade before its backup and "
                          "before any SQL. Fix them, or allow each with '-- lint: allow RULE: "
                          "reason' above the statement ('migctl lint' shows them)";
  const LintFinding* first = nullptr;
  for (const LintFinding& finding : report->findings) {
    if (!finding.suppressed && finding.severity == LintSeverity::kError) {
      first = &finding;
      break;
    }
  }
  HistoryEntry entry;
  entry.revision = first != nullptr ? first->revision : plan.steps.front().revision;
  entry.direction = "upgrade";
  entry.started_at = entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  entry.outcome = "refused";
  entry.error = why;
  entry.heads_after = JoinHeads(plan.heads_before);
  entry.requester = requester;
  if (Status recorded = VersionStore(backend).AppendHistory(entry); !recorded.ok()) {
    spdlog::error("could not record the lint refusal in the history: {}", recorded.message());
  }
  spdlog::warn("upgrade refused by lint: {}", why);
  proto::Result refused = result;
  refused.set_code(proto::INTEGRITY);
  refused.set_message(why);
  return refused;
}

// A lock wait that gave up, with the sessions that held the lock when it was last seen.
Status WithBlockers(const Status& status, const std::string& blockers) {
  if (status.code() != ErrorCode::kBusy || blockers.empty()) return status;
  return Status::Busy(status.message() + " (blocked by " + blockers + ")");
}

}  // namespace

Status Service::PrepareForMigrating(MigrationRunner& runner, Backend& backend,
                                    const DaemonConfig& live) {
  RetryPolicy retry;
  retry.lock_retries = live.lock_retries;
  runner.set_retry_policy(retry);
  MIGRATIOND_RETURN_IF_ERROR(runner.Prepare());
  return backend.SetTimeouts(live.lock_timeout_ms, live.statement_timeout_ms);
}

StatementWatch Service::WatchStatements(Backend& backend, uint64_t request_id, JobControl& control,
                                        Responder& responder, const DaemonConfig& live) const {
  StatementWatchOptions options;
  options.blocker_report_after = std::chrono::milliseconds(live.blocker_report_after_ms);
  return StatementWatch(
      url_, backend.SessionId(), options,
      [request_id, &responder](const StatementReport& report) {
        proto::Event event =
            MakeEvent(request_id,
                      report.kind == StatementReport::kBlocked ? proto::STATEMENT_BLOCKED
                                                               : proto::STATEMENT_PROGRESS,
                      report.text);
        event.set_duration_ms(report.elapsed_ms);
        event.set_fraction(report.fraction);
        responder.SendEvent(std::move(event));
      },
      [&control](const std::string& stage) { control.SetStage(stage); });
}

proto::Result Service::RunMigrationJob(const proto::Request& request, RequestIdentity requester,
                                       JobControl& control, Responder& responder,
                                       MigrationLock& lock, const WindowPass& window) {
  const uint64_t id = request.request_id();
  const std::string before_any = "before any revision ran";
  auto scripts = LoadScripts();
  if (!scripts.ok()) return ErrorResult(scripts.status());
  auto opened = OpenBackend(url_);
  if (!opened.ok()) return ErrorResult(opened.status());
  std::unique_ptr<Backend> backend = std::move(opened).value();
  MigrationRunner runner(**scripts, *backend);
  const auto live = Live();
  // A cancelled revision's history row says who cancelled it, as the reply does.
  runner.set_failure_note([&control] {
    return control.cancelled() ? " (cancel asked by " + control.cancelled_by() + ")"
                               : std::string();
  });
  Status status = PrepareForMigrating(runner, *backend, *live);
  if (!status.ok()) {
    return ErrorResult(
        WhereLost(status, "preparing the job (migrationd's tables, timeouts), " + before_any));
  }
  if (request.command() == proto::STAMP) {
    return Stamp(runner, *backend, **scripts, expected_, request, requester);
  }
  if (request.command() == proto::BASELINE) {
    return Baseline(runner, *backend, **scripts, expected_, request.target(), requester);
  }
  if (request.command() == proto::REPAIR) return Repair(runner, request, requester);

  auto plan = request.command() == proto::RESUME    ? runner.PlanResume()
              : request.command() == proto::UPGRADE ? runner.PlanUpgrade(request.target())
                                                    : runner.PlanDowngrade(request.target());
  if (!plan.ok())
    return ErrorResult(WhereLost(plan.status(), "reading the version rows, " + before_any));
  proto::Result result;
  AddPlanSteps(**scripts, url_.dialect(), *plan, false, result);
  if (plan->steps.empty()) {
    for (const auto& head : plan->heads_before) result.add_current(head);
    result.set_message("nothing to do: the database is at " + JoinRevisions(plan->heads_before));
    return result;
  }

  if (request.atomic()) {
    if (Status atomic = runner.CheckAtomic(*plan); !atomic.ok()) return ErrorResult(atomic);
  }
  // A create_all() database: refused before the backup and before any SQL.
  if (request.command() == proto::UPGRADE) {
    Status managed = CheckNotUnmanaged(*backend, **scripts, expected_, plan->heads_before, false);
    if (!managed.ok()) {
      return ErrorResult(WhereLost(managed, "reading the schema, " + before_any));
    }
    std::map<std::string, std::string> allowed;
    if (std::optional<proto::Result> refused = LintBeforeUpgrade(
            *backend, **scripts, *plan, *live, id, requester, responder, result, allowed)) {
      return *refused;
    }
    runner.set_upgrade_notes(std::move(allowed));
  }
  // The backup comes inside the same job, under the lock, before any DDL: if it fails, nothing
  // runs. Skipping it is recorded in every history row of the job.
  std::optional<BackupManifest> taken;
  if (request.no_backup()) {
    requester.backup_id = kSkippedBackup;
    responder.SendEvent(MakeEvent(id, proto::LOG_LINE, "no backup taken (--no-backup)"));
  } else {
    auto backup = TakeBackup(BackupKind::kBeforeMigrate, "", id, control, responder);
    if (!backup.ok()) {
      return ErrorResult(backup.status().WithContext(
          "the backup before migrating failed, so nothing was migrated (fix it, or pass "
          "--no-backup)"));
    }
    requester.backup_id = backup->id;
    AddBackupInfo(*backup, result);
    taken = std::move(backup).value();
  }
  // upgrade --rehearse, rehearse_before_upgrade: the revisions run first on a copy of the
  // backup just taken (the data as it is now); the live database only if that passed.
  if (request.command() == proto::UPGRADE &&
      (request.rehearse() || live->rehearse_before_upgrade)) {
    auto source = taken ? Result<BackupManifest>(*taken) : NewestBackup();
    if (!source.ok()) {
      return ErrorResult(source.status().WithContext(
          "upgrade --rehearse needs a backup to rehearse on, so nothing was migrated"));
    }
    RehearsalRun rehearsal =
        Rehearse(**scripts, request.target(), *source, id, control, responder, request.atomic());
    RecordRehearsal(*backend, rehearsal.report, plan->heads_before, requester, control.cancelled());
    *result.mutable_rehearsal() = rehearsal.report;
    if (!rehearsal.status.ok()) {
      return RehearsalFailed(
          rehearsal,
          "the rehearsal on a copy of backup " + source->id + " failed, so nothing was migrated",
          plan->heads_before, control);
    }
    responder.SendEvent(MakeEvent(
        id, proto::LOG_LINE,
        "rehearsal passed on a copy of backup " + source->id + "; upgrading the database"));
  }

  const auto total = static_cast<uint32_t>(plan->steps.size());
  control.SetActiveBackend(backend.get());
  auto started = std::chrono::steady_clock::now();
  uint32_t steps_committed = 0;
  auto committed = [this, &scripts, &steps_committed](const PlannedStep& step) {
    ++steps_committed;
    RecordCommittedStep(step, (*scripts)->script(step.revision).Checksum(url_.dialect()));
  };
  RunObserver observer =
      MakeObserver(id, total, control, responder, lock, *backend, committed, window.closes);
  {
    StatementWatch watch = WatchStatements(*backend, id, control, responder, *live);
    observer.step_started = [started = observer.step_started, &watch](const PlannedStep& step,
                                                                      size_t index, size_t steps) {
      watch.StepStarted();
      started(step, index, steps);
    };
    observer.step_finished = [finished = observer.step_finished, &watch](const PlannedStep& step,
                                                                         double ms) {
      watch.StepEnded();
      finished(step, ms);
    };
    observer.step_retrying = [retrying = observer.step_retrying, &watch](
                                 const PlannedStep& step, int attempt,
                                 std::chrono::milliseconds delay, const Status& why) {
      retrying(step, attempt, delay, WithBlockers(why, watch.LastBlockers()));
    };
    status = request.atomic() ? runner.ExecuteAtomic(*plan, requester, observer)
                              : runner.Execute(*plan, requester, observer);
    status = WithBlockers(status, watch.LastBlockers());
  }
  control.SetActiveBackend(nullptr);
  if (auto lost = runner.TakeUnrecordedFailure()) RecordOnNewConnection(*lost);
  if (!status.ok()) {
    return JobError(
        WhereLost(status, std::to_string(steps_committed) + " of " + std::to_string(total) +
                              " revision(s) committed before this"),
        control);
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  const auto& after = plan->steps.back().heads_after;
  for (const auto& head : after) result.add_current(head);
  char summary[96];
  std::snprintf(summary, sizeof(summary), " (%u revision(s)%s in %.1f ms)", total,
                request.atomic() ? " in one transaction" : "", ms);
  const char* done = request.command() == proto::RESUME    ? "resumed and completed; now at"
                     : request.command() == proto::UPGRADE ? "upgraded to"
                                                           : "downgraded to";
  result.set_message(std::string(done) + " " + JoinRevisions(after) + summary);
  return result;
}

// Hands the auto-upgrade's result to the start-up thread waiting for it.
class AwaitedResponder final : public Responder {
 public:
  explicit AwaitedResponder(std::shared_ptr<std::promise<proto::Result>> done)
      : done_(std::move(done)) {}
  void SendEvent(proto::Event event) override {
    if (event.kind() == proto::REVISION_FINISHED) {
      spdlog::info("auto_upgrade: {} {} done", event.direction(), event.revision());
    }
  }
  void SendResult(proto::Result result) override { done_->set_value(std::move(result)); }

 private:
  std::shared_ptr<std::promise<proto::Result>> done_;
};

void Service::RunAutoUpgrade() {
  const std::string& policy = config_.auto_upgrade;
  if (policy == "never") return;
  // The windows bind the daemon's own upgrade as they bind an operator's; a start outside
  // them upgrades nothing (there is no one to pass --force), and says what does.
  if (auto outside = OutsideWindowsNow()) {
    spdlog::warn(
        "auto_upgrade = {}: the daemon started {}. Nothing was run; 'migctl upgrade "
        "--in-window' queues the upgrade for that window (a start inside a window upgrades "
        "at once)",
        policy, *outside);
    return;
  }
  proto::Request request;
  request.set_command(proto::UPGRADE);
  request.set_target("head");
  request.set_wait(true);
  if (policy == "empty") {
    auto backend = OpenBackendForReading(url_);
    auto tables = backend.ok() ? (*backend)->CountUserTables() : Result<int64_t>(backend.status());
    if (!tables.ok()) {
      spdlog::error(
          "auto_upgrade = empty: cannot tell whether the database is empty ({}); "
          "nothing was run",
          tables.status().message());
      return;
    }
    if (*tables > 0) {
      spdlog::info(
          "auto_upgrade = empty: the database has {} table(s), so it is left to "
          "'migctl upgrade'",
          *tables);
      return;
    }
    request.set_no_backup(true);  // an empty database has nothing to back up
  }
  PeerIdentity self;
  self.uid = geteuid();
  self.gid = getegid();
  self.pid = getpid();
  self.user_name = "migrationd (auto_upgrade)";
  auto done = std::make_shared<std::promise<proto::Result>>();
  std::future<proto::Result> result = done->get_future();
  spdlog::info("auto_upgrade = {}: upgrading to head", policy);
  (void)SubmitJob(request, self, std::make_shared<AwaitedResponder>(done));  // told either way
  const proto::Result outcome = result.get();
  if (outcome.code() == proto::OK) {
    spdlog::info("auto_upgrade: {}", outcome.message());
  } else {
    spdlog::error("auto_upgrade failed: {}", outcome.message());
  }
}

}  // namespace migrationd
