#include "core/migration_runner.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

namespace migrationd {
namespace {

using Clock = std::chrono::steady_clock;

std::string JoinHeads(const std::vector<std::string>& heads) {
  std::string joined;
  for (const auto& head : heads) joined += (joined.empty() ? "" : ",") + head;
  return joined;
}

std::string DescribeHeads(const std::vector<std::string>& heads) {
  return heads.empty() ? "base" : JoinHeads(heads);
}

}  // namespace

MigrationRunner::MigrationRunner(const ScriptDirectory& scripts, Backend& backend)
    : scripts_(scripts), backend_(backend), store_(backend) {}

Status MigrationRunner::Prepare() {
  MIGRATIOND_RETURN_IF_ERROR(scripts_.CheckDialect(backend_.dialect()));
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
  std::vector<ChangedScript> changed;
  for (const auto& id : graph.TopologicalOrder()) {
    if (not_applied.count(id)) continue;
    auto it = state.applied.find(id);
    // Applied before checksums were kept (or by hand): nothing to compare with.
    if (it == state.applied.end() || it->second.checksum.empty()) continue;
    const Script& script = scripts.script(id);
    std::string now = script.Checksum(dialect);
    if (now != it->second.checksum) changed.push_back({id, script.path, it->second.checksum, now});
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

Result<MigrationPlan> MigrationRunner::PlanUpgrade(std::string_view target) {
  MIGRATIOND_RETURN_IF_ERROR(CheckAppliedScriptsUnchanged());
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  auto plan = scripts_.graph().PlanUpgrade(*heads, target);
  if (!plan.ok()) return plan;
  MIGRATIOND_RETURN_IF_ERROR(CheckPlanRunnable(*plan));
  return plan;
}

Result<MigrationPlan> MigrationRunner::PlanDowngrade(std::string_view target) {
  MIGRATIOND_RETURN_IF_ERROR(CheckAppliedScriptsUnchanged());
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  auto plan = scripts_.graph().PlanDowngrade(*heads, target);
  if (!plan.ok()) return plan;
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
          "write them (or declare '-- downgrade: no-op' if undoing it needs nothing), or "
          "restore a backup instead");
    }
  }
  return Status::Ok();
}

std::vector<SqlStatement> MigrationRunner::StatementsOf(const PlannedStep& step) const {
  return scripts_.script(step.revision).Statements(step.direction, backend_.dialect());
}

Status MigrationRunner::Execute(const MigrationPlan& plan, const RequestIdentity& requester,
                                const RunObserver& observer) {
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
      if (Status held = observer.check_lock(); !held.ok()) {
        Status stopped = Status::Conflict(
            held.message() + "; the job stopped before '" + step.revision + "' and " + done +
            "; nothing else was run. Check 'migctl status' and 'migctl log', then run the "
            "command again");
        RecordFailure(StepEntry(step, requester), stopped);
        return stopped;
      }
    }
    if (observer.step_started) observer.step_started(step, i, plan.steps.size());
    auto started = Clock::now();
    MIGRATIOND_RETURN_IF_ERROR(RunStepWithRetries(step, *expected, requester, observer));
    std::chrono::duration<double, std::milli> elapsed = Clock::now() - started;
    if (observer.step_finished) observer.step_finished(step, elapsed.count());
    expected = &step.heads_after;
  }
  return Status::Ok();
}

Status MigrationRunner::RunStepWithRetries(const PlannedStep& step,
                                           const std::vector<std::string>& expected_heads,
                                           const RequestIdentity& requester,
                                           const RunObserver& observer) {
  std::chrono::milliseconds delay = retry_.first_delay;
  for (int attempt = 1;; ++attempt) {
    Status status = RunStep(step, expected_heads, requester);
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
  return entry;
}

Status MigrationRunner::CheckHeadsAre(const std::vector<std::string>& expected,
                                      const PlannedStep& step) {
  // Read under the step lock: whatever another daemon did is committed and visible now, and
  // nothing can change the rows until this step ends.
  auto recorded = store_.ReadHeads();
  if (!recorded.ok()) return recorded.status();
  std::vector<std::string> wanted = expected;
  std::sort(wanted.begin(), wanted.end());
  if (*recorded == wanted) return Status::Ok();
  return Status::Conflict("before " + std::string(DirectionName(step.direction)) + " of '" +
                          step.revision + "' the database was expected at " +
                          DescribeHeads(wanted) + " but is at " + DescribeHeads(*recorded) +
                          ": another migration changed it while this job ran (was the "
                          "migration lock lost?); '" +
                          step.revision +
                          "' was not run. Check 'migctl log', then run the command again");
}

Status MigrationRunner::RunStep(const PlannedStep& step,
                                const std::vector<std::string>& expected_heads,
                                const RequestIdentity& requester) {
  const Script& script = scripts_.script(step.revision);
  HistoryEntry entry = StepEntry(step, requester);
  auto started = Clock::now();

  // Exactly once does not rest on the migration lock alone: the step lock plus a re-read of
  // the version rows refuse a step that another migration already ran.
  const bool transactional = script.transaction == TransactionMode::kPerMigration;
  Status status = transactional ? backend_.Begin() : Status::Ok();
  if (status.ok()) status = backend_.AcquireStepLock();
  if (status.ok()) status = CheckHeadsAre(expected_heads, step);
  if (status.code() == ErrorCode::kConflict) {
    backend_.Rollback();
    if (!transactional) backend_.ReleaseStepLock();
    RecordFailure(entry, status);
    return status;
  }
  if (status.ok()) status = RunStatements(script, step);
  // A non-transactional script records its outcome in a transaction of its own.
  if (status.ok() && !transactional) status = backend_.Begin();
  if (status.ok() && !transactional) status = CheckHeadsAre(expected_heads, step);
  if (status.ok()) status = store_.WriteHeads(step.heads_after);
  if (status.ok()) {
    entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
    entry.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    entry.outcome = "success";
    status = store_.AppendHistory(entry);
  }
  if (status.ok()) status = backend_.Commit();
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
  return status.WithContext(std::string(DirectionName(step.direction)) + " of '" + step.revision +
                            "' (transaction: none) failed; the statements before the failing one "
                            "stay applied and the version rows are unchanged: fix the script and "
                            "complete it by hand, then 'stamp'");
}

Status MigrationRunner::RunStatements(const Script& script, const PlannedStep& step) {
  for (const SqlStatement& statement : script.Statements(step.direction, backend_.dialect())) {
    Status status = backend_.Execute(statement.text);
    if (!status.ok()) {
      return status.WithContext(script.path + ":" + std::to_string(statement.line));
    }
  }
  return Status::Ok();
}

void MigrationRunner::RecordFailure(const HistoryEntry& base, const Status& error) {
  HistoryEntry entry = base;
  entry.outcome = "failed";
  entry.error = error.message();
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
  if (status.ok()) status = store_.WriteHeads(heads);
  for (const auto& entry : rows) {
    if (status.ok()) status = store_.AppendHistory(entry);
  }
  if (status.ok()) status = backend_.Commit();
  if (!status.ok()) backend_.Rollback();
  return status;
}

}  // namespace migrationd
