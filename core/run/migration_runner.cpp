#include "core/run/migration_runner.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "core/base/sha256.h"

namespace migrationd {
namespace {

// Where a cancel stopped a step, for its message (the caller adds the file and line).
std::string BeforeStatement(size_t index, size_t total) {
  return "before statement " + std::to_string(index + 1) + " of " + std::to_string(total) + " ran";
}

using Clock = std::chrono::steady_clock;

std::string DescribeHeads(const std::vector<std::string>& heads) {
  return heads.empty() ? "base" : JoinHeads(heads);
}

}  // namespace

MigrationRunner::MigrationRunner(const ScriptDirectory& scripts, Backend& backend)
    : scripts_(scripts), backend_(backend), store_(backend) {}

Status MigrationRunner::Prepare() {
  if (!scripts_.CheckedFor(backend_.dialect())) {
    MIGRATIOND_RETURN_IF_ERROR(scripts_.CheckDialect(backend_.dialect()));
  }
  return store_.EnsureTables();
}

Result<std::vector<std::string>> CurrentHeads(const ScriptDirectory& scripts,
                                              const RecordedState& state) {
  return scripts.graph().NormalizeHeads(state.heads);
}

Result<std::vector<ChangedScript>> ChangedAppliedScripts(const ScriptDirectory& scripts,
                                                         std::string_view dialect,
                                                         const RecordedState& state) {
  auto heads = CurrentHeads(scripts, state);
  if (!heads.ok()) return heads.status();
  const RevisionGraph& graph = scripts.graph();
  auto pending = graph.Pending(*heads);
  if (!pending.ok()) return pending.status();
  std::set<std::string> not_applied(pending->begin(), pending->end());
  // One merge of two maps sorted by id (no lookup per revision: at 10,000 revisions the
  // lookups were most of a `check`); the few changed ones are then listed in graph order.
  std::set<std::string> differs;
  const std::map<std::string, Script>& all = scripts.scripts();
  auto script = all.begin();
  for (const auto& [id, record] : state.applied) {
    while (script != all.end() && script->first < id) ++script;
    if (script == all.end()) break;
    // Applied before checksums were kept (or by hand): nothing to compare with. A revision
    // without a script is reported by the graph checks, not here.
    if (script->first != id || record.checksum.empty() || not_applied.count(id)) continue;
    if (!script->second.ChecksumIs(dialect, record.checksum)) differs.insert(id);
  }
  std::vector<ChangedScript> changed;
  if (differs.empty()) return changed;
  for (const auto& id : graph.TopologicalOrder()) {
    if (!differs.count(id)) continue;
    const Script& changed_script = scripts.script(id);
    changed.push_back(
        {id, changed_script.path, state.applied.at(id).checksum, changed_script.Checksum(dialect)});
  }
  return changed;
}

Result<std::vector<std::string>> MigrationRunner::CurrentHeads() {
  auto recorded = store_.ReadHeads();
  if (!recorded.ok()) return recorded.status();
  return scripts_.graph().NormalizeHeads(*recorded);
}

Result<std::vector<ChangedScript>> MigrationRunner::ChangedAppliedScripts() {
  auto state = store_.ReadState();
  if (!state.ok()) return state.status();
  return migrationd::ChangedAppliedScripts(scripts_, backend_.dialect(), *state);
}

Status MigrationRunner::CheckAppliedScriptsUnchanged() {
  auto changed = ChangedAppliedScripts();
  if (!changed.ok()) return changed.status();
  if (changed->empty()) return Status::Ok();
  std::string list;
  for (const auto& script : *changed) {
    list += (list.empty() ? "" : "; ") + script.revision + " (" + script.path + ": sha256 " +
            script.now.substr(0, 12) + ", applied as " + script.recorded.substr(0, 12) + ")";
  }
  return Status::Integrity(
      std::to_string(changed->size()) +
      " applied revision(s) changed since they were applied: " + list +
      ". Nothing was run. Restore the applied text and put the change in a new revision; or, if "
      "the edit is intended (a comment, a fix that is already in the database), record it with "
      "'migctl repair REV --reason TEXT'");
}

Result<std::vector<ChangedScript>> MigrationRunner::PlanRepair(
    const std::vector<std::string>& revisions, const std::string& reason) {
  if (reason.empty()) {
    return Status::InvalidArgument("repair needs --reason: it is recorded in the history");
  }
  auto changed = ChangedAppliedScripts();
  if (!changed.ok()) return changed.status();
  if (revisions.empty()) return changed;
  std::vector<ChangedScript> targets;
  for (const auto& spec : revisions) {
    auto id = scripts_.graph().ResolveRevision(spec);
    if (!id.ok()) return id.status();
    auto it = std::find_if(changed->begin(), changed->end(),
                           [&](const ChangedScript& script) { return script.revision == *id; });
    if (it == changed->end()) {
      return Status::InvalidArgument("'" + *id +
                                     "' is not an applied revision whose script "
                                     "changed; 'migctl check' lists those");
    }
    targets.push_back(*it);
  }
  return targets;
}

Result<std::vector<std::string>> MigrationRunner::Repair(const std::vector<std::string>& revisions,
                                                         const std::string& reason,
                                                         const RequestIdentity& requester) {
  auto planned = PlanRepair(revisions, reason);
  if (!planned.ok()) return planned.status();
  std::vector<std::string> targets;
  for (const auto& script : *planned) targets.push_back(script.revision);
  if (targets.empty()) return targets;
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  MIGRATIOND_RETURN_IF_ERROR(backend_.Begin());
  Status status = backend_.AcquireStepLock();
  for (const auto& script : *planned) {
    if (!status.ok()) break;
    HistoryEntry entry;
    entry.revision = script.revision;
    entry.direction = DirectionName(Direction::kRepair);
    entry.checksum = script.now;
    entry.started_at = entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
    entry.outcome = "success";
    entry.error = "reason: " + reason + " (was sha256 " + script.recorded + ")";
    entry.heads_after = JoinHeads(*heads);
    entry.requester = requester;
    status = store_.AppendHistory(entry);
  }
  if (status.ok()) status = backend_.Commit();
  if (!status.ok()) {
    backend_.Rollback();
    return status;
  }
  return targets;
}

Status MigrationRunner::CheckNothingHalfApplied() {
  auto incomplete = store_.ReadIncomplete();
  if (!incomplete.ok()) return incomplete.status();
  if (incomplete->empty()) return Status::Ok();
  const IncompleteStep& step = incomplete->front();
  return Status::Integrity(
      step.Describe() + ". Its first " + std::to_string(step.done) +
      " statement(s) are applied and running it again from the start would repeat them; nothing "
      "was run. Fix the cause, then 'migctl resume' runs the remaining statements; or complete "
      "them by hand and 'migctl stamp " +
      step.revision + "'");
}

Result<MigrationPlan> MigrationRunner::PlanUpgrade(std::string_view target) {
  MIGRATIOND_RETURN_IF_ERROR(CheckAppliedScriptsUnchanged());
  MIGRATIOND_RETURN_IF_ERROR(CheckNothingHalfApplied());
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  auto plan = scripts_.graph().PlanUpgrade(*heads, target);
  if (!plan.ok()) return plan;
  MIGRATIOND_RETURN_IF_ERROR(CheckPlanRunnable(*plan));
  return plan;
}

Result<MigrationPlan> MigrationRunner::PlanDowngrade(std::string_view target) {
  MIGRATIOND_RETURN_IF_ERROR(CheckAppliedScriptsUnchanged());
  MIGRATIOND_RETURN_IF_ERROR(CheckNothingHalfApplied());
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  auto plan = scripts_.graph().PlanDowngrade(*heads, target);
  if (!plan.ok()) return plan;
  MIGRATIOND_RETURN_IF_ERROR(CheckPlanRunnable(*plan));
  return plan;
}

std::string StatementsChecksum(const std::vector<SqlStatement>& statements, size_t count) {
  Sha256 hasher;
  for (size_t i = 0; i < count && i < statements.size(); ++i) {
    hasher.Update(statements[i].text);
    hasher.Update("\n;\n");
  }
  return hasher.HexDigest();
}

Result<MigrationPlan> MigrationRunner::PlanResume() {
  MIGRATIOND_RETURN_IF_ERROR(CheckAppliedScriptsUnchanged());
  auto incomplete = store_.ReadIncomplete();
  if (!incomplete.ok()) return incomplete.status();
  if (incomplete->empty()) {
    return Status::InvalidArgument(
        "nothing to resume: no 'transaction: none' revision is half-applied");
  }
  const IncompleteStep& progress = incomplete->front();
  const RevisionGraph& graph = scripts_.graph();
  if (!graph.Contains(progress.revision)) {
    return Status::Integrity("the half-applied revision '" + progress.revision +
                             "' has no script any more; put its file back to resume it");
  }
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  const bool upgrade = progress.direction == DirectionName(Direction::kUpgrade);
  auto plan =
      upgrade ? graph.PlanUpgrade(*heads, progress.revision) : graph.PlanDowngrade(*heads, "-1");
  if (!plan.ok()) return plan.status();
  if (plan->steps.size() != 1 || plan->steps.front().revision != progress.revision) {
    return Status::Integrity("cannot resume the " + progress.direction + " of '" +
                             progress.revision + "': the database is at " + DescribeHeads(*heads) +
                             ", where that is not the next step; complete it by hand and "
                             "'migctl stamp'");
  }
  const Script& script = scripts_.script(progress.revision);
  const auto statements = script.Statements(plan->steps.front().direction, backend_.dialect());
  const auto done = static_cast<size_t>(progress.done);
  if (done > statements.size() || StatementsChecksum(statements, done) != progress.done_checksum) {
    return Status::Integrity(
        "the first " + std::to_string(done) + " statement(s) of " + script.path +
        " changed since they ran, so what the database holds is no longer what the script says; "
        "nothing was run. Restore those statements (the failing one and those after it may "
        "change), or complete the revision by hand and 'migctl stamp " +
        progress.revision + "'");
  }
  plan->first_step_resumes_after = done;
  MIGRATIOND_RETURN_IF_ERROR(CheckPlanRunnable(*plan));
  return plan;
}

Status MigrationRunner::CheckPlanRunnable(const MigrationPlan& plan) const {
  // Refuse the whole plan up front rather than stop half-way at a script that cannot run.
  for (const auto& step : plan.steps) {
    const Script& script = scripts_.script(step.revision);
    if (step.direction == Direction::kDowngrade && !script.HasDowngradeFor(backend_.dialect())) {
      return Status::InvalidArgument(
          script.path + ": revision '" + step.revision +
          "' has no '-- +downgrade' statements, so it cannot be rolled back and nothing was run; "
          "write them (or, if undoing it needs nothing, declare '-- downgrade: no-op' in the "
          "script's header, above the first section marker), or "
          "restore a backup instead");
    }
  }
  return Status::Ok();
}

std::vector<SqlStatement> MigrationRunner::StatementsOf(const PlannedStep& step) const {
  return scripts_.script(step.revision).Statements(step.direction, backend_.dialect());
}

namespace {

// Points the runner at the observer of the plan it executes, for as long as it does.
struct ObservedPlan {
  const RunObserver*& observer;
  ObservedPlan(const RunObserver*& slot, const RunObserver& current) : observer(slot) {
    observer = &current;
  }
  ~ObservedPlan() { observer = nullptr; }
  ObservedPlan(const ObservedPlan&) = delete;
  ObservedPlan& operator=(const ObservedPlan&) = delete;
};

}  // namespace

Status MigrationRunner::Execute(const MigrationPlan& plan, const RequestIdentity& requester,
                                const RunObserver& observer) {
  const ObservedPlan observed(observer_, observer);
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  if (*heads != plan.heads_before) {
    return Status::Conflict("the database moved from " + DescribeHeads(plan.heads_before) + " to " +
                            DescribeHeads(*heads) + " since the plan was made; plan again");
  }
  const std::vector<std::string>* expected = &plan.heads_before;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const PlannedStep& step = plan.steps[i];
    const std::string done = std::to_string(i) + " of " + std::to_string(plan.steps.size()) +
                             " revision(s) were applied";
    if (observer.should_stop && observer.should_stop()) {
      return Status::Cancelled("cancelled before '" + step.revision + "'; " + done);
    }
    if (observer.check_lock) {
      if (Status held = observer.check_lock(step.revision); !held.ok()) {
        Status stopped = Status::Conflict(
            held.message() + "; the job stopped before '" + step.revision + "' and " + done +
            "; nothing else was run. Check 'migctl status' and 'migctl log', then run the "
            "command again");
        RecordFailure(StepEntry(step, requester), stopped);
        return stopped;
      }
    }
    if (observer.window_closed) {
      if (auto why = observer.window_closed()) {
        Status stopped = Status::OutsideWindow(
            *why + ": the job stopped between revisions, before '" + step.revision + "'; " + done +
            " and committed. Run the command again in the next window for the rest (or "
            "now with --force)");
        RecordFailure(StepEntry(step, requester), stopped, "stopped");
        return stopped;
      }
    }
    if (observer.step_started) observer.step_started(step, i, plan.steps.size());
    auto started = Clock::now();
    const size_t skip = i == 0 ? plan.first_step_resumes_after : 0;
    MIGRATIOND_RETURN_IF_ERROR(RunStepWithRetries(step, *expected, requester, observer, skip));
    std::chrono::duration<double, std::milli> elapsed = Clock::now() - started;
    if (observer.step_finished) observer.step_finished(step, elapsed.count());
    expected = &step.heads_after;
  }
  return Status::Ok();
}

Status MigrationRunner::CheckAtomic(const MigrationPlan& plan) const {
  for (const auto& step : plan.steps) {
    const Script& script = scripts_.script(step.revision);
    const char* reason = script.transaction == TransactionMode::kNone ? "is 'transaction: none'"
                         : script.sqlite_foreign_keys_off && backend_.dialect() == kDialectSqlite
                             ? "switches SQLite's foreign keys off, which only works outside a "
                               "transaction"
                             : nullptr;
    if (reason != nullptr) {
      return Status::InvalidArgument("--atomic runs the whole plan in one transaction, and '" +
                                     step.revision + "' (" + script.path + ") " + reason +
                                     "; nothing was run. Run it without --atomic");
    }
  }
  return Status::Ok();
}

Status MigrationRunner::ExecuteAtomic(const MigrationPlan& plan, const RequestIdentity& requester,
                                      const RunObserver& observer) {
  MIGRATIOND_RETURN_IF_ERROR(CheckAtomic(plan));
  if (plan.steps.empty()) return Status::Ok();
  const ObservedPlan observed(observer_, observer);
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  if (*heads != plan.heads_before) {
    return Status::Conflict("the database moved from " + DescribeHeads(plan.heads_before) + " to " +
                            DescribeHeads(*heads) + " since the plan was made; plan again");
  }
  if (observer.check_lock) {
    MIGRATIOND_RETURN_IF_ERROR(observer.check_lock(plan.steps.front().revision));
  }
  Status status = BeginStepAt(plan.heads_before, plan.steps.front());
  std::vector<double> durations;
  // Written once the last revision ran (the version rows moved once, the history rows in a few
  // statements): inside the one transaction nobody sees the steps in between, and on SQLite a
  // statement prepared between two revisions' DDL is prepared again against the new schema.
  std::vector<HistoryEntry> entries;
  const PlannedStep* failed = &plan.steps.front();
  for (size_t i = 0; i < plan.steps.size() && status.ok(); ++i) {
    const PlannedStep& step = plan.steps[i];
    failed = &step;
    if (observer.should_stop && observer.should_stop()) {
      status = Status::Cancelled("cancelled before '" + step.revision + "'");
      break;
    }
    if (observer.step_started) observer.step_started(step, i, plan.steps.size());
    running_step_ = &step;
    const auto started = Clock::now();
    HistoryEntry entry = StepEntry(step, requester);
    const Script& script = scripts_.script(step.revision);
    status = RunStatements(script, script.Statements(step.direction, backend_.dialect()));
    if (status.ok()) {
      entry.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
      entry.outcome = "success";
      durations.push_back(entry.duration_ms);
      entries.push_back(std::move(entry));
    }
  }
  if (status.ok()) {
    status = store_.CommitStep({plan.steps.back().heads_after, {}, std::move(entries)});
  }
  if (!status.ok()) {
    backend_.Rollback();
    status = status.WithContext(std::string(DirectionName(failed->direction)) + " of '" +
                                failed->revision +
                                "' failed, and the whole plan was rolled back (--atomic): none "
                                "of its " +
                                std::to_string(plan.steps.size()) + " revision(s) is applied");
    RecordFailure(StepEntry(*failed, requester), status);
    return status;
  }
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (observer.step_finished) observer.step_finished(plan.steps[i], durations[i]);
  }
  return Status::Ok();
}

Status MigrationRunner::RunStepWithRetries(const PlannedStep& step,
                                           const std::vector<std::string>& expected_heads,
                                           const RequestIdentity& requester,
                                           const RunObserver& observer, size_t skip) {
  std::chrono::milliseconds delay = retry_.first_delay;
  for (int attempt = 1;; ++attempt) {
    Status status = RunStep(step, expected_heads, requester, skip);
    if (status.code() != ErrorCode::kBusy || attempt > retry_.lock_retries) {
      if (status.code() == ErrorCode::kBusy) {
        return status.WithContext("gave up after " + std::to_string(attempt) +
                                  " attempts: live traffic kept a table lock each time; retry "
                                  "in a quieter moment or raise lock_timeout");
      }
      return status;
    }
    if (observer.step_retrying) observer.step_retrying(step, attempt, delay, status);
    // Sleep in small slices so that a cancel is honoured promptly.
    for (auto waited = std::chrono::milliseconds(0); waited < delay;
         waited += std::chrono::milliseconds(50)) {
      if (observer.should_stop && observer.should_stop()) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    delay = std::min(delay * 2, retry_.max_delay);
  }
}

HistoryEntry MigrationRunner::StepEntry(const PlannedStep& step,
                                        const RequestIdentity& requester) const {
  HistoryEntry entry;
  entry.revision = step.revision;
  entry.direction = DirectionName(step.direction);
  entry.checksum = scripts_.script(step.revision).Checksum(backend_.dialect());
  entry.started_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  entry.finished_at = entry.started_at;
  entry.heads_after = JoinHeads(step.heads_after);
  entry.requester = requester;
  if (step.direction == Direction::kUpgrade) {
    if (auto note = upgrade_notes_.find(step.revision); note != upgrade_notes_.end()) {
      entry.error = note->second;
    }
  }
  return entry;
}

Status MigrationRunner::CheckHeadsAre(const std::vector<std::string>& expected,
                                      const PlannedStep& step) {
  // Read under the step lock: whatever another daemon did is committed and visible now, and
  // nothing can change the rows until this step ends.
  auto recorded = store_.ReadHeads();
  if (!recorded.ok()) return recorded.status();
  return CompareHeads(expected, *recorded, step);
}

Status MigrationRunner::BeginStepAt(const std::vector<std::string>& expected,
                                    const PlannedStep& step) {
  auto recorded = store_.BeginStepReadingHeads();
  if (!recorded.ok()) return recorded.status();
  return CompareHeads(expected, *recorded, step);
}

namespace {

// `found`: where the version rows are, as read.
Status HeadsMoved(std::vector<std::string> expected, const std::string& found,
                  const PlannedStep& step) {
  std::sort(expected.begin(), expected.end());
  return Status::Conflict(
      "before " + std::string(DirectionName(step.direction)) + " of '" + step.revision +
      "' the database was expected at " + DescribeHeads(expected) + " but is at " + found +
      ": another migration changed it while this job ran (was the "
      "migration lock lost?); '" +
      step.revision + "' was not run. Check 'migctl log', then run the command again");
}

}  // namespace

Status MigrationRunner::CompareHeads(const std::vector<std::string>& expected,
                                     const std::vector<std::string>& recorded,
                                     const PlannedStep& step) {
  std::vector<std::string> wanted = expected;
  std::sort(wanted.begin(), wanted.end());
  if (recorded == wanted) return Status::Ok();
  return HeadsMoved(wanted, DescribeHeads(recorded), step);
}

Status MigrationRunner::BeginTransactionalStep(const std::vector<std::string>& expected,
                                               const PlannedStep& step, const Script& script,
                                               const std::vector<SqlStatement>& statements,
                                               size_t& ran) {
  ran = 0;
  std::optional<Status> begun = statements.empty() || ObservesStatements()
                                    ? std::nullopt
                                    : store_.BeginStepRunning(expected, statements[0].text);
  if (!begun) return BeginStepAt(expected, step);
  if (begun->ok()) {
    ran = 1;
    return Status::Ok();
  }
  if (begun->code() != ErrorCode::kConflict) {
    // The statement's error, as RunStatements words it; a lock_timeout on the step lock (another
    // daemon's step) reads the same and is retried the same way.
    return begun->WithContext(script.path + ":" + std::to_string(statements[0].line));
  }
  // The server refused the statement: the rows moved. Say where to (read after the rollback).
  backend_.Rollback();
  auto recorded = store_.ReadHeads();
  return HeadsMoved(expected, recorded.ok() ? DescribeHeads(*recorded) : "an unreadable state",
                    step);
}

Status MigrationRunner::RunStep(const PlannedStep& step,
                                const std::vector<std::string>& expected_heads,
                                const RequestIdentity& requester, size_t skip) {
  const Script& script = scripts_.script(step.revision);
  HistoryEntry entry = StepEntry(step, requester);
  auto started = Clock::now();
  running_step_ = &step;

  // Exactly once does not rest on the migration lock alone: the step lock plus a re-read of
  // the version rows refuse a step that another migration already ran.
  const bool transactional = script.transaction == TransactionMode::kPerMigration;
  // Foreign keys off for SQLite's table rebuild: switched before the transaction (inside one
  // SQLite ignores it) and back on whatever happens.
  const bool keys_off = script.sqlite_foreign_keys_off;
  if (keys_off) MIGRATIOND_RETURN_IF_ERROR(backend_.SetForeignKeys(false));
  struct KeysBackOn {
    Backend& backend;
    bool active;
    ~KeysBackOn() {
      if (active) (void)backend.SetForeignKeys(true);
    }
  } keys_back_on{backend_, keys_off};
  const std::vector<SqlStatement> statements =
      transactional ? script.Statements(step.direction, backend_.dialect())
                    : std::vector<SqlStatement>();
  size_t ran = 0;             // statements that ran with the step's first round trip
  bool none_applied = false;  // a `transaction: none` step that failed at its first statement
  Status status = transactional
                      ? BeginTransactionalStep(expected_heads, step, script, statements, ran)
                      : backend_.AcquireStepLock();
  if (status.ok() && !transactional) status = CheckHeadsAre(expected_heads, step);
  if (status.code() == ErrorCode::kConflict) {
    backend_.Rollback();
    if (!transactional) backend_.ReleaseStepLock();
    RecordFailure(entry, status);
    return status;
  }
  if (status.ok()) {
    status = transactional ? RunStatements(script, statements, ran)
                           : RunJournaled(script, step, skip, none_applied);
  }
  if (status.ok() && keys_off) status = backend_.CheckForeignKeys();
  // A non-transactional script records its outcome in a transaction of its own.
  if (status.ok() && !transactional) status = backend_.Begin();
  if (status.ok() && !transactional) status = CheckHeadsAre(expected_heads, step);
  if (status.ok()) {
    entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
    entry.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    entry.outcome = "success";
    // The progress row goes with the version rows: both say the revision is complete.
    std::vector<std::string> finished;
    if (!transactional) finished.push_back(step.revision);
    status = store_.CommitStep({step.heads_after, std::move(finished), {entry}});
    if (status.code() == ErrorCode::kConnectionLost) {
      // The commit may have reached the server before the session ended: only a new session
      // can tell. Nothing is recorded from here (the history row went with the commit, or not).
      backend_.Rollback();
      return status.WithContext(
          "the connection was lost while " + std::string(DirectionName(step.direction)) + " of '" +
          step.revision +
          "' was committing, so whether it committed is not known here. 'migctl status' reads "
          "the version rows on a new connection: if they are at " +
          JoinHeads(step.heads_after) +
          " it committed (and 'migctl log' shows its row), if not "
          "it was rolled back; then run the same command again for the rest");
    }
  }
  if (status.ok()) {
    if (!transactional) backend_.ReleaseStepLock();
    return Status::Ok();
  }

  backend_.Rollback();
  if (!transactional) backend_.ReleaseStepLock();
  entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  entry.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  RecordFailure(entry, status);
  if (transactional) {
    return status.WithContext(std::string(DirectionName(step.direction)) + " of '" + step.revision +
                              "' failed and was rolled back");
  }
  if (none_applied) {
    return status.WithContext(std::string(DirectionName(step.direction)) + " of '" + step.revision +
                              "' (transaction: none) failed at its first statement, so nothing "
                              "of it was applied and the version rows are unchanged; fix the "
                              "cause and run the same command again");
  }
  return status.WithContext(std::string(DirectionName(step.direction)) + " of '" + step.revision +
                            "' (transaction: none) failed; the statements before the failing one "
                            "stay applied and the version rows are unchanged ('migctl status' "
                            "shows how far it got). Fix the cause, then 'migctl resume' runs the "
                            "remaining statements; or complete them by hand and 'migctl stamp'");
}

Status MigrationRunner::RunJournaled(const Script& script, const PlannedStep& step, size_t skip,
                                     bool& none_applied) {
  const auto statements = script.Statements(step.direction, backend_.dialect());
  IncompleteStep progress;
  progress.revision = step.revision;
  progress.direction = DirectionName(step.direction);
  progress.total = static_cast<int>(statements.size());
  // Recorded before each statement and after it: whatever stops the job (an error, a kill),
  // the row says how far the revision got.
  auto record = [&](size_t done, const std::string& error) {
    progress.done = static_cast<int>(done);
    progress.done_checksum = StatementsChecksum(statements, done);
    progress.error = error;
    progress.updated_at = FormatIsoTimestamp(std::chrono::system_clock::now());
    return store_.WriteProgress(progress);
  };
  MIGRATIOND_RETURN_IF_ERROR(record(skip, ""));
  for (size_t i = skip; i < statements.size(); ++i) {
    const SqlStatement& statement = statements[i];
    // A cancel stops a `transaction: none` step at a statement boundary, as an interrupted
    // statement would: the progress row says how far it got, and `resume` runs the rest.
    Status status = RunObserved(statements, i);
    if (!status.ok()) {
      status = status.WithContext("statement " + std::to_string(i + 1) + " of " +
                                  std::to_string(statements.size()) + " (" + script.path + ":" +
                                  std::to_string(statement.line) + ")");
      if (i == 0) {
        // Its first statement failed: nothing of the revision is applied (a statement outside
        // a transaction is atomic itself), so it is not half-applied: no progress row, and the
        // next upgrade runs it from the start. Should the row stay (the server went away), it
        // says 0 done, which resume runs from the start too.
        none_applied = store_.ClearProgress(step.revision).ok();
        return status;
      }
      // If even this write fails (the server went away), the row still says "during statement
      // i+1", which is what `status` then reports.
      (void)record(i, status.message());
      return status;
    }
    MIGRATIOND_RETURN_IF_ERROR(record(i + 1, ""));
  }
  return Status::Ok();
}

Status MigrationRunner::StopRequested(const std::string& where) const {
  if (observer_ == nullptr || !observer_->should_stop || !observer_->should_stop()) {
    return Status::Ok();
  }
  return Status::Cancelled("cancelled " + where);
}

Status MigrationRunner::RunStatements(const Script& script,
                                      const std::vector<SqlStatement>& statements, size_t first) {
  for (size_t i = first; i < statements.size(); ++i) {
    const SqlStatement& statement = statements[i];
    Status status = RunObserved(statements, i);
    if (!status.ok()) {
      return status.WithContext(script.path + ":" + std::to_string(statement.line));
    }
  }
  // A cancel during the last statement that reached no running statement: the step must not
  // commit after the operator was told it stops.
  return StopRequested("after the last statement of " + script.path + ", before it committed");
}

Status MigrationRunner::RunObserved(const std::vector<SqlStatement>& statements, size_t index) {
  const SqlStatement& statement = statements[index];
  // Polled last before the statement is sent (after statement_started's own queries, which a
  // cancel's interrupt may have hit instead).
  const auto run = [&] {
    Status stop = StopRequested(BeforeStatement(index, statements.size()));
    return stop.ok() ? backend_.Execute(statement.text) : stop;
  };
  if (!ObservesStatements() || running_step_ == nullptr) return run();
  if (observer_->statement_started) observer_->statement_started(*running_step_, statement, index);
  Status status = run();
  if (observer_->statement_finished) {
    observer_->statement_finished(*running_step_, statement, index, status);
  }
  return status;
}

void MigrationRunner::RecordFailure(const HistoryEntry& base, const Status& error,
                                    const char* outcome) {
  HistoryEntry entry = base;
  entry.outcome = outcome;
  entry.error = error.message() + (failure_note_ ? failure_note_() : "");
  entry.heads_after = "";
  if (backend_.Begin().ok()) {
    auto heads = store_.ReadHeads();
    if (heads.ok()) entry.heads_after = JoinHeads(*heads);
    if (store_.AppendHistory(entry).ok() && backend_.Commit().ok()) return;
    backend_.Rollback();
  }
  // This connection is gone (a server restart, a network cut): the caller may write the row
  // on a new one.
  unrecorded_failure_ = entry;
}

std::optional<HistoryEntry> MigrationRunner::TakeUnrecordedFailure() {
  std::optional<HistoryEntry> entry;
  entry.swap(unrecorded_failure_);
  return entry;
}

Result<StampPlan> MigrationRunner::PlanStamp(const std::vector<std::string>& revisions) {
  const RevisionGraph& graph = scripts_.graph();
  std::vector<std::string> resolved;
  for (const auto& revision : revisions) {
    if (revision == "base") continue;
    if (revision == "heads") {
      resolved.insert(resolved.end(), graph.Heads().begin(), graph.Heads().end());
      continue;
    }
    auto id = revision == "head" ? graph.SingleHead() : graph.ResolveRevision(revision);
    if (!id.ok()) return id.status();
    resolved.push_back(*id);
  }
  auto heads = graph.NormalizeHeads(resolved);
  if (!heads.ok()) return heads.status();
  MIGRATIOND_RETURN_IF_ERROR(CheckAppliedScriptsUnchanged());
  auto before = CurrentHeads();
  if (!before.ok()) return before.status();
  auto pending_before = graph.Pending(*before);
  auto pending_after = graph.Pending(*heads);
  if (!pending_before.ok()) return pending_before.status();
  if (!pending_after.ok()) return pending_after.status();
  const std::set<std::string> was_pending(pending_before->begin(), pending_before->end());
  const std::set<std::string> now_pending(pending_after->begin(), pending_after->end());
  StampPlan plan;
  plan.heads_before = *before;
  plan.heads_after = *heads;
  for (const auto& id : graph.TopologicalOrder()) {
    const bool applied_before = !was_pending.count(id);
    const bool applied_after = !now_pending.count(id);
    if (applied_after && !applied_before) plan.marked_applied.push_back(id);
    if (applied_before && !applied_after) plan.marked_unapplied.push_back(id);
  }
  return plan;
}

Status MigrationRunner::Stamp(const std::vector<std::string>& revisions,
                              const RequestIdentity& requester) {
  auto plan = PlanStamp(revisions);
  if (!plan.ok()) return plan.status();
  const std::vector<std::string>& heads = plan->heads_after;
  // One row per revision the stamp marks applied (with its script's checksum, so that `check`
  // and the mutating commands keep comparing) or unapplied; one row for a stamp that changes
  // nothing, so that it is still in the audit trail.
  std::vector<HistoryEntry> rows;
  auto row = [&](const std::string& revision, const std::string& checksum) {
    HistoryEntry entry;
    entry.revision = revision;
    entry.direction = DirectionName(Direction::kStamp);
    entry.checksum = checksum;
    entry.started_at = entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
    entry.outcome = "success";
    entry.heads_after = JoinHeads(heads);
    entry.requester = requester;
    rows.push_back(std::move(entry));
  };
  for (const auto& id : plan->marked_applied)
    row(id, scripts_.script(id).Checksum(backend_.dialect()));
  for (const auto& id : plan->marked_unapplied) row(id, "");
  if (rows.empty()) row(heads.empty() ? "base" : JoinHeads(heads), "");
  MIGRATIOND_RETURN_IF_ERROR(backend_.Begin());
  Status status = backend_.AcquireStepLock();
  // Completed by hand and stamped: the revision is no longer half-applied.
  if (status.ok()) status = store_.CommitStep({heads, plan->marked_applied, std::move(rows)});
  if (!status.ok()) backend_.Rollback();
  return status;
}

}  // namespace migrationd
