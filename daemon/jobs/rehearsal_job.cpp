// Service: the rehearsal (`migctl rehearse`, `upgrade --rehearse`, rehearse_before_upgrade). The
// pending revisions run on a scratch copy of a backup, with the runner, timeouts, retries and
// lint of a real upgrade, and each statement is measured: how long it ran, the rows it wrote,
// the tables it rewrote (their storage changed), the table locks it took and how long its
// transaction held them. The copy is dropped whatever happens; the live database gets one
// history row (direction `rehearse`).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/engines/open_backend.h"
#include "core/engines/scratch_database.h"
#include "core/run/migration_runner.h"
#include "daemon/jobs/statement_watch.h"
#include "daemon/requests/lint_queries.h"
#include "daemon/service.h"

namespace migrationd {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string Thousands(int64_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
    digits.insert(static_cast<size_t>(i), ",");
  }
  return digits;
}

// The table locks a session holds while a statement runs, sampled from another connection
// (Backend::ObserveSession) every 10 ms between Begin and End: a `transaction: none`
// statement's locks end with it, before its own session could read them. One connection for
// the whole rehearsal, opened before the first statement.
class LockSampler {
 public:
  LockSampler(std::unique_ptr<Backend> connection, std::string session_id)
      : connection_(std::move(connection)),
        session_id_(std::move(session_id)),
        thread_([this] { Run(); }) {}
  ~LockSampler() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  LockSampler(const LockSampler&) = delete;
  LockSampler& operator=(const LockSampler&) = delete;

  void Begin() {
    {
      std::lock_guard lock(mutex_);
      strongest_.clear();
      sampling_ = true;
    }
    wake_.notify_all();
  }
  // Relation -> the strongest mode seen since Begin.
  std::map<std::string, std::string> End() {
    std::lock_guard lock(mutex_);
    sampling_ = false;
    return std::move(strongest_);
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!sampling_) {
        wake_.wait(lock, [this] { return stopping_ || sampling_; });
        continue;
      }
      lock.unlock();
      auto activity = connection_->ObserveSession(session_id_);
      lock.lock();
      if (activity.ok() && sampling_) {
        for (const auto& [relation, mode] : activity->locks) {
          std::string& kept = strongest_[relation];
          if (LockModeStrength(mode) > LockModeStrength(kept)) kept = mode;
        }
      }
      wake_.wait_for(lock, std::chrono::milliseconds(10), [this] { return stopping_; });
    }
  }

  std::unique_ptr<Backend> connection_;  // used by the thread only
  std::string session_id_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                         // guarded by mutex_
  bool sampling_ = false;                         // guarded by mutex_
  std::map<std::string, std::string> strongest_;  // guarded by mutex_
  std::thread thread_;                            // last: started once the rest exists
};

// Follows one rehearsal through the runner's callbacks and writes its report.
class RehearsalRecorder {
 public:
  // `sampler`: where the engine can watch the session from another (PostgreSQL); may be null.
  RehearsalRecorder(Backend& scratch, LockSampler* sampler, const ScriptDirectory& scripts,
                    proto::Rehearsal& report)
      : scratch_(scratch), sampler_(sampler), scripts_(scripts), report_(report) {}

  // The whole plan in one transaction (upgrade --atomic): a step's locks are held until the last
  // revision commits, so they are measured to then, and every verdict is written at PlanEnded.
  void SetAtomic() {
    atomic_ = true;
    plan_started_ = Clock::now();
  }

  void StepStarted(const PlannedStep& step) {
    if (atomic_ && step_ != nullptr) CloseStep(true);  // it ran; its locks stay
    step_ = report_.add_steps();
    step_->set_revision(step.revision);
    step_->set_path(scripts_.script(step.revision).path);
    transactional_ = scripts_.script(step.revision).transaction == TransactionMode::kPerMigration;
    step_started_ = Clock::now();
    if (!atomic_) taken_.clear();
    auto effects = scratch_.ReadSessionEffects();
    step_before_ =
        effects.ok() ? std::optional<SessionEffects>(std::move(effects).value()) : std::nullopt;
  }

  void StatementStarted(const SqlStatement&) {
    auto effects = scratch_.ReadSessionEffects();
    before_ =
        effects.ok() ? std::optional<SessionEffects>(std::move(effects).value()) : std::nullopt;
    sampling_ = !transactional_ && sampler_ != nullptr;
    if (sampling_) sampler_->Begin();
    statement_started_ = Clock::now();
  }

  void StatementFinished(const SqlStatement& statement, size_t index, const Status& outcome) {
    if (step_ == nullptr) return;
    proto::RehearsalStatement* measured = step_->add_statements();
    measured->set_index(static_cast<uint32_t>(index + 1));
    measured->set_line(static_cast<uint32_t>(statement.line));
    measured->set_sql(StatementOnOneLine(statement.text, 80));
    measured->set_duration_ms(MsSince(statement_started_));
    measured->set_rows_written(-1);
    if (sampling_) {
      sampling_ = false;
      // Outside a transaction a lock lasts as long as its statement.
      for (const auto& [relation, mode] : sampler_->End()) {
        proto::RehearsalLock* lock = measured->add_locks();
        lock->set_relation(relation);
        lock->set_mode(LockModeName(mode));
        lock->set_held_ms(measured->duration_ms());
      }
    }
    if (!outcome.ok()) {
      measured->set_error(outcome.message());
      return;  // the transaction is aborted: nothing more can be read in it
    }
    if (!before_) return;
    auto after = scratch_.ReadSessionEffects();
    if (!after.ok()) return;
    measured->set_rows_written(after->rows_written - before_->rows_written);
    for (const auto& [table, storage] : after->storage) {
      auto was = before_->storage.find(table);
      if (was != before_->storage.end() && was->second != storage) measured->add_rewritten(table);
    }
    for (const auto& [relation, mode] : after->locks) {
      auto held = taken_.find(relation);
      if (held != taken_.end() && LockModeStrength(held->second.mode) >= LockModeStrength(mode)) {
        continue;
      }
      taken_[relation] = {mode, statement_started_, report_.steps_size() - 1,
                          step_->statements_size() - 1, measured->locks_size()};
      proto::RehearsalLock* lock = measured->add_locks();
      lock->set_relation(relation);
      lock->set_mode(LockModeName(mode));
    }
  }

  // The step timed out on a lock, was rolled back and runs again: its report starts over.
  void StepRetried() {
    if (step_ == nullptr) return;
    step_->clear_statements();
    taken_.clear();
    step_started_ = Clock::now();
  }

  // The step ended (committed, or failed with `outcome`): locks are released now.
  void StepEnded(const Status& outcome) {
    if (atomic_) return PlanEnded(outcome);
    if (step_ == nullptr) return;
    CloseStep(outcome.ok());
    ReleaseLocks();
    step_->set_verdict(outcome.ok() ? Verdict(*step_, transactional_, step_->duration_ms())
                                    : "failed: " + outcome.message());
    step_ = nullptr;
  }

  // --atomic: the plan committed (or rolled back with `outcome`): every lock is released now, and
  // SQLite's write lock was held from the first revision to here. Once; later calls do nothing.
  void PlanEnded(const Status& outcome) {
    if (plan_ended_) return;
    plan_ended_ = true;
    proto::RehearsalStep* failed = outcome.ok() ? nullptr : step_;
    if (step_ != nullptr) CloseStep(outcome.ok());
    ReleaseLocks();
    const double plan_ms = MsSince(plan_started_);
    for (auto& step : *report_.mutable_steps()) {
      step.set_verdict(&step == failed ? "failed: " + outcome.message()
                                       : Verdict(step, true, plan_ms) +
                                             (outcome.ok() ? "" : " (rolled back with the plan)"));
    }
    step_ = nullptr;
  }

 private:
  // The current step's duration, outcome and the tables whose storage changed.
  void CloseStep(bool ok) {
    step_->set_duration_ms(MsSince(step_started_));
    step_->set_passed(ok);
    if (ok && step_before_) {
      if (auto after = scratch_.ReadSessionEffects(); after.ok()) {
        for (const auto& [table, storage] : after->storage) {
          auto was = step_before_->storage.find(table);
          if (was != step_before_->storage.end() && was->second != storage) {
            step_->add_rewritten(table);
          }
        }
      }
    }
  }

  // The locks taken are released now: how long each was held.
  void ReleaseLocks() {
    const auto ended = Clock::now();
    for (const auto& [relation, held] : taken_) {
      auto* lock = report_.mutable_steps(held.step)
                       ->mutable_statements(held.statement)
                       ->mutable_locks(held.lock);
      lock->set_held_ms(std::chrono::duration<double, std::milli>(ended - held.since).count());
    }
    taken_.clear();
  }

  // "holds ACCESS EXCLUSIVE on users for 41 s: table rewritten; 100,000 rows written".
  // `write_lock_ms`: how long SQLite's write lock was held (the step's, or --atomic's plan's).
  std::string Verdict(const proto::RehearsalStep& step, bool transactional,
                      double write_lock_ms) const {
    std::vector<std::string> rewritten(step.rewritten().begin(), step.rewritten().end());
    int64_t rows = 0;
    bool rows_known = false;
    const proto::RehearsalLock* strongest = nullptr;
    for (const auto& statement : step.statements()) {
      for (const auto& table : statement.rewritten()) {
        if (std::find(rewritten.begin(), rewritten.end(), table) == rewritten.end()) {
          rewritten.push_back(table);
        }
      }
      if (statement.rows_written() >= 0) {
        rows += statement.rows_written();
        rows_known = true;
      }
      for (const auto& lock : statement.locks()) {
        if (strongest == nullptr ||
            std::make_pair(LockStrength(lock), lock.held_ms()) >
                std::make_pair(LockStrength(*strongest), strongest->held_ms())) {
          strongest = &lock;
        }
      }
    }
    std::string verdict;
    const std::string until_commit = atomic_ ? ", until the whole plan commits (--atomic)" : "";
    if (scratch_.dialect() == kDialectSqlite) {
      verdict =
          "holds the database's write lock for " + DescribeElapsed(write_lock_ms) + until_commit;
    } else if (strongest != nullptr) {
      verdict = "holds " + strongest->mode() + " on " + strongest->relation() + " for " +
                DescribeElapsed(strongest->held_ms()) + until_commit;
    } else if (!transactional) {
      verdict = "transaction: none, each statement's locks end with it (ran " +
                DescribeElapsed(step.duration_ms()) + ")";
    } else {
      verdict = "takes no table lock (ran " + DescribeElapsed(step.duration_ms()) + ")";
    }
    if (!rewritten.empty()) {
      std::string tables;
      for (const auto& table : rewritten) tables += (tables.empty() ? "" : ", ") + table;
      verdict += std::string(": ") + (rewritten.size() == 1 ? "table " : "tables ") + tables +
                 (scratch_.dialect() == kDialectSqlite ? " rebuilt" : " rewritten");
    }
    if (rows_known && rows > 0) verdict += "; " + Thousands(rows) + " rows written";
    return verdict;
  }

  static int LockStrength(const proto::RehearsalLock& lock) {
    std::string mode;  // "ACCESS EXCLUSIVE" -> "AccessExclusiveLock"
    bool upper = true;
    for (char c : lock.mode()) {
      if (c == ' ') {
        upper = true;
        continue;
      }
      mode += upper ? c : static_cast<char>(c - 'A' + 'a');
      upper = false;
    }
    return LockModeStrength(mode + "Lock");
  }

  struct Taken {
    std::string mode;
    Clock::time_point since;
    int step;  // where in the report
    int statement;
    int lock;
  };

  Backend& scratch_;
  LockSampler* sampler_;   // null where the engine cannot watch the session (SQLite)
  bool sampling_ = false;  // a `transaction: none` statement runs
  const ScriptDirectory& scripts_;
  proto::Rehearsal& report_;
  proto::RehearsalStep* step_ = nullptr;
  bool transactional_ = true;
  Clock::time_point step_started_, statement_started_;
  std::optional<SessionEffects> before_, step_before_;
  std::map<std::string, Taken> taken_;  // the open transaction's (--atomic: the plan's)
  bool atomic_ = false;
  bool plan_ended_ = false;
  Clock::time_point plan_started_;
};

proto::Event RehearsalEvent(uint64_t request_id, proto::EventKind kind, const PlannedStep& step,
                            size_t index, size_t total) {
  proto::Event event = MakeEvent(request_id, kind, "");
  event.set_revision(step.revision);
  event.set_direction("rehearse");
  event.set_index(static_cast<uint32_t>(index));
  event.set_total(static_cast<uint32_t>(total));
  return event;
}

}  // namespace

Service::RehearsalRun Service::Rehearse(const ScriptDirectory& scripts, const std::string& target,
                                        const BackupManifest& backup, uint64_t request_id,
                                        JobControl& control, Responder& responder,
                                        bool atomic) const {
  RehearsalRun run;
  proto::Rehearsal& report = run.report;
  report.set_backup_id(backup.id);
  for (const auto& revision : backup.revisions) report.add_backup_revisions(revision);
  report.set_target(target);
  const auto live = Live();
  struct StageWhileRehearsing {
    JobControl& control;
    ~StageWhileRehearsing() { control.SetStage(""); }
  } stage{control};
  control.SetStage("rehearsing: copying backup " + backup.id);
  responder.SendEvent(MakeEvent(request_id, proto::LOG_LINE,
                                "rehearsal: copying backup " + backup.id + " (taken at " +
                                    JoinRevisions(backup.revisions) + ") into a scratch database"));
  const auto copy_started = Clock::now();
  auto scratch = ScratchDatabase::FromBackup(
      url_, live->scratch_database, backups_.DataPath(backup), CurrentBackupOptions(),
      backups_.directory(), [&control] { return control.cancelled(); });
  report.set_copy_ms(MsSince(copy_started));
  if (!scratch.ok()) {
    run.status = scratch.status().WithContext("the rehearsal could not copy backup " + backup.id);
    report.set_error(run.status.message());
    return run;
  }
  report.set_scratch((*scratch)->url().Redacted());
  auto opened = OpenBackend((*scratch)->url());
  if (!opened.ok()) {
    run.status = opened.status().WithContext("the rehearsal could not open its copy");
    report.set_error(run.status.message());
    return run;
  }
  std::unique_ptr<Backend> backend = std::move(opened).value();
  MigrationRunner runner(scripts, *backend);
  Status status = PrepareForMigrating(runner, *backend, *live);
  auto plan = status.ok() ? runner.PlanUpgrade(target) : Result<MigrationPlan>(status);
  if (!plan.ok()) {
    run.status = plan.status().WithContext("the rehearsal could not plan on its copy");
    report.set_error(run.status.message());
    return run;
  }
  // The sampler's connection is opened now, not when a statement starts: a short statement
  // would be over before it connected.
  std::unique_ptr<LockSampler> sampler;
  // Only PostgreSQL's locks end with a statement outside a transaction (SQLite's copy is
  // locked by its one connection for the whole rehearsal).
  if (const std::string session =
          backend->dialect() == kDialectPostgresql ? backend->SessionId() : "";
      !session.empty()) {
    if (auto watching = OpenBackend((*scratch)->url()); watching.ok()) {
      sampler = std::make_unique<LockSampler>(std::move(watching).value(), session);
    }
  }
  RehearsalRecorder recorder(*backend, sampler.get(), scripts, report);
  if (atomic) recorder.SetAtomic();
  const size_t total = plan->steps.size();
  RunObserver observer;
  observer.should_stop = [&control] { return control.cancelled(); };
  observer.step_started = [&](const PlannedStep& step, size_t index, size_t) {
    control.SetStage("rehearsing " + step.revision + " (" + std::to_string(index + 1) + " of " +
                     std::to_string(total) + ") on a copy of backup " + backup.id);
    recorder.StepStarted(step);
    responder.SendEvent(
        RehearsalEvent(request_id, proto::REVISION_STARTED, step, index + 1, total));
  };
  size_t finished = 0;
  observer.step_finished = [&](const PlannedStep& step, double ms) {
    recorder.StepEnded(Status::Ok());
    proto::Event event =
        RehearsalEvent(request_id, proto::REVISION_FINISHED, step, ++finished, total);
    event.set_duration_ms(ms);
    event.set_message(report.steps(static_cast<int>(finished) - 1).verdict());
    responder.SendEvent(std::move(event));
  };
  observer.step_retrying = [&](const PlannedStep& step, int attempt, std::chrono::milliseconds,
                               const Status& why) {
    recorder.StepRetried();
    responder.SendEvent(MakeEvent(request_id, proto::LOG_LINE,
                                  "rehearsal: " + step.revision + " timed out on a lock (attempt " +
                                      std::to_string(attempt) + "), retrying: " + why.message()));
  };
  observer.statement_started = [&](const PlannedStep&, const SqlStatement& statement, size_t) {
    recorder.StatementStarted(statement);
  };
  observer.statement_finished = [&](const PlannedStep&, const SqlStatement& statement, size_t index,
                                    const Status& outcome) {
    recorder.StatementFinished(statement, index, outcome);
  };
  const auto run_started = Clock::now();
  control.SetActiveBackend(backend.get());
  RequestIdentity rehearsal = RequestIdentity::OfThisProcess();
  rehearsal.backup_id = backup.id;
  // As the upgrade will run it: --atomic's one transaction holds every lock to the end.
  status = atomic ? runner.ExecuteAtomic(*plan, rehearsal, observer)
                  : runner.Execute(*plan, rehearsal, observer);
  control.SetActiveBackend(nullptr);
  report.set_run_ms(MsSince(run_started));
  // The failed step, if any (a finished one was ended already); --atomic: the plan.
  recorder.StepEnded(status);
  sampler.reset();
  backend.reset();  // before the copy is dropped
  if (!status.ok()) {
    run.status = status;
    report.set_error(status.message());
  }
  report.set_passed(status.ok());
  return run;
}

std::string Service::RecordRehearsal(Backend& backend, const proto::Rehearsal& report,
                                     const std::vector<std::string>& heads,
                                     const RequestIdentity& requester, bool cancelled) {
  std::string summary = std::string(report.passed() ? "passed"
                                    : cancelled     ? "cancelled"
                                                    : "failed") +
                        " at " + FormatIsoTimestamp(std::chrono::system_clock::now()) +
                        " on backup " + report.backup_id() + " (" +
                        std::to_string(report.steps_size()) + " revision(s), " +
                        DescribeElapsed(report.copy_ms() + report.run_ms()) + ")";
  HistoryEntry entry;
  entry.revision = report.target().empty() ? JoinRevisions(heads) : report.target();
  entry.direction = "rehearse";
  entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  entry.started_at = entry.finished_at;
  entry.duration_ms = report.copy_ms() + report.run_ms();
  entry.outcome = report.passed() ? "success" : cancelled ? "cancelled" : "failed";
  if (report.passed()) {
    std::string verdicts;
    for (const auto& step : report.steps()) {
      verdicts += (verdicts.empty() ? "" : "; ") + step.revision() + ": " + step.verdict();
    }
    entry.error = verdicts;
  } else {
    entry.error = report.error();
  }
  entry.heads_after = JoinHeads(heads);
  entry.requester = requester;
  entry.requester.backup_id = report.backup_id();
  if (Status recorded = VersionStore(backend).AppendHistory(entry); !recorded.ok()) {
    spdlog::error("could not record the rehearsal in the history: {}", recorded.message());
  }
  {
    std::lock_guard lock(rehearsal_mutex_);
    last_rehearsal_ = summary;
  }
  return summary;
}

proto::Result Service::RehearsalFailed(const RehearsalRun& run, const std::string& context,
                                       const std::vector<std::string>& heads,
                                       const JobControl& control) {
  proto::Result failed = JobError(run.status.WithContext(context), control);
  *failed.mutable_rehearsal() = run.report;
  for (const auto& head : heads) failed.add_current(head);
  return failed;
}

std::optional<std::string> Service::LastRehearsal(bool may_read_database) const {
  {
    std::lock_guard lock(rehearsal_mutex_);
    if (last_rehearsal_) return *last_rehearsal_;
  }
  if (!may_read_database) return std::nullopt;
  auto backend = connections_.Borrow();
  if (!backend.ok()) return std::nullopt;
  auto exists = (*backend)->TableExists("migrationd_history");
  if (!exists.ok()) return std::nullopt;
  std::string summary;
  if (*exists) {
    auto rows = (*backend)->Query(
        "SELECT outcome, finished_at, backup_id, duration_ms FROM migrationd_history "
        "WHERE direction = 'rehearse' ORDER BY id DESC LIMIT 1");
    if (!rows.ok()) return std::nullopt;
    if (!rows->empty()) {
      const SqlRow& row = rows->front();
      const std::string outcome = row[0].value_or("");
      summary = (outcome == "success" ? std::string("passed") : outcome) + " at " +
                row[1].value_or("?") + " on backup " + row[2].value_or("?") + " (" +
                DescribeElapsed(std::strtod(row[3].value_or("0").c_str(), nullptr)) + ")";
    }
  }
  std::lock_guard lock(rehearsal_mutex_);
  last_rehearsal_ = summary;
  return summary;
}

Result<BackupManifest> Service::NewestBackup() const {
  auto identity = Identity(false);
  if (!identity.ok()) return identity.status();
  auto backups = backups_.List();
  if (!backups.ok()) return backups.status();
  const BackupFilter mine = Mine(*identity);
  for (const auto& backup : *backups) {  // newest first
    // Its digest is not read again (a restore does): a changed file could only make the
    // rehearsal wrong, never the database, and hashing it cost a third of a SQLite rehearsal.
    if (mine(backup) && backup.dialect == url_.dialect()) return backup;
  }
  return Status::NotFound(
      "there is no backup of this database in " + backups_.directory() +
      " to rehearse on; run 'migctl rehearse --fresh-backup' (or 'migctl backup' first)");
}

proto::Result Service::RunRehearseJob(const proto::Request& request,
                                      const RequestIdentity& requester, JobControl& control,
                                      Responder& responder) {
  const uint64_t id = request.request_id();
  auto scripts = LoadScripts();
  if (!scripts.ok()) return ErrorResult(scripts.status());
  auto opened = OpenBackend(url_);
  if (!opened.ok()) return ErrorResult(opened.status());
  std::unique_ptr<Backend> backend = std::move(opened).value();
  MigrationRunner runner(**scripts, *backend);
  if (Status prepared = runner.Prepare(); !prepared.ok()) return ErrorResult(prepared);
  const std::string target = request.target().empty() ? "heads" : request.target();
  auto plan = runner.PlanUpgrade(target);
  if (!plan.ok()) return ErrorResult(plan.status());
  // Before any backup or copy: what upgrade --atomic would refuse.
  if (request.atomic()) {
    if (Status atomic = runner.CheckAtomic(*plan); !atomic.ok()) return ErrorResult(atomic);
  }
  proto::Result result;
  for (const auto& head : plan->heads_before) result.add_current(head);
  if (plan->steps.empty()) {
    result.set_message("nothing to rehearse: the database is at " +
                       JoinRevisions(plan->heads_before));
    return result;
  }
  AddPlanSteps(**scripts, url_.dialect(), *plan, false, result);
  // The same lint an upgrade makes, on the live database's sizes.
  std::string lint_refusal;
  if (Live()->lint_on_upgrade != "off") {
    if (auto report = LintPlan(*backend, **scripts, *plan, *Live()); report.ok()) {
      FillLint(*report, "pending revisions", true, result);
      if (Live()->lint_on_upgrade == "refuse" && report->errors() > 0) {
        lint_refusal = DescribeLintErrors(*report) +
                       "; lint_on_upgrade = refuse would stop the "
                       "upgrade before its backup";
      }
    }
  }
  auto backup = request.fresh_backup()
                    ? TakeBackup(BackupKind::kManual, "rehearsal", id, control, responder)
                    : NewestBackup();
  if (!backup.ok()) return ErrorResult(backup.status());
  AddBackupInfo(*backup, result);
  if (backup->revisions != plan->heads_before) {
    responder.SendEvent(MakeEvent(
        id, proto::LOG_LINE,
        "rehearsal: backup " + backup->id + " was taken at " + JoinRevisions(backup->revisions) +
            ", the database is at " + JoinRevisions(plan->heads_before) +
            " now: the copy runs what is pending from the backup's revision ('--fresh-backup' "
            "rehearses on the data as it is now)"));
  }
  RehearsalRun run = Rehearse(**scripts, target, *backup, id, control, responder, request.atomic());
  if (run.status.ok() && !lint_refusal.empty()) {
    run.report.set_passed(false);
    run.report.set_error(lint_refusal);
    run.status = Status::Integrity(lint_refusal);
  }
  const std::string summary =
      RecordRehearsal(*backend, run.report, plan->heads_before, requester, control.cancelled());
  *result.mutable_rehearsal() = run.report;
  if (!run.status.ok()) {
    return RehearsalFailed(run,
                           "the rehearsal failed on a copy of backup " + backup->id +
                               " (the database was not changed)",
                           plan->heads_before, control);
  }
  result.set_message("rehearsal " + summary + ": the database was not changed");
  return result;
}

}  // namespace migrationd
