#include "core/migration_runner.h"

#include <chrono>
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

Result<std::vector<std::string>> MigrationRunner::CurrentHeads() {
  auto recorded = store_.ReadHeads();
  if (!recorded.ok()) return recorded.status();
  return scripts_.graph().NormalizeHeads(*recorded);
}

Result<MigrationPlan> MigrationRunner::PlanUpgrade(std::string_view target) {
  auto heads = CurrentHeads();
  if (!heads.ok()) return heads.status();
  auto plan = scripts_.graph().PlanUpgrade(*heads, target);
  if (!plan.ok()) return plan;
  MIGRATIOND_RETURN_IF_ERROR(CheckPlanRunnable(*plan));
  return plan;
}

Result<MigrationPlan> MigrationRunner::PlanDowngrade(std::string_view target) {
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
      return Status::InvalidArgument(script.path + ": revision '" + step.revision +
                                     "' has no '-- +downgrade' section, so it cannot be rolled "
                                     "back; add one, or restore a backup instead");
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
    return Status::Busy("the database moved from " + DescribeHeads(plan.heads_before) + " to " +
                        DescribeHeads(*heads) + " since the plan was made; plan again");
  }
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const PlannedStep& step = plan.steps[i];
    if (observer.should_stop && observer.should_stop()) {
      return Status::Cancelled("cancelled before '" + step.revision + "'; " + std::to_string(i) +
                               " of " + std::to_string(plan.steps.size()) +
                               " revision(s) were applied");
    }
    if (observer.step_started) observer.step_started(step, i, plan.steps.size());
    auto started = Clock::now();
    MIGRATIOND_RETURN_IF_ERROR(RunStepWithRetries(step, requester, observer));
    std::chrono::duration<double, std::milli> elapsed = Clock::now() - started;
    if (observer.step_finished) observer.step_finished(step, elapsed.count());
  }
  return Status::Ok();
}

Status MigrationRunner::RunStepWithRetries(const PlannedStep& step,
                                           const RequestIdentity& requester,
                                           const RunObserver& observer) {
  std::chrono::milliseconds delay = retry_.first_delay;
  for (int attempt = 1;; ++attempt) {
    Status status = RunStep(step, requester);
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

Status MigrationRunner::RunStep(const PlannedStep& step, const RequestIdentity& requester) {
  const Script& script = scripts_.script(step.revision);
  HistoryEntry entry;
  entry.revision = step.revision;
  entry.direction = DirectionName(step.direction);
  entry.checksum = script.Checksum(backend_.dialect());
  entry.started_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  entry.heads_after = JoinHeads(step.heads_after);
  entry.requester = requester;
  auto started = Clock::now();

  const bool transactional = script.transaction == TransactionMode::kPerMigration;
  Status status = transactional ? backend_.Begin() : Status::Ok();
  if (status.ok()) status = RunStatements(script, step);
  // A non-transactional script records its outcome in a transaction of its own.
  if (status.ok() && !transactional) status = backend_.Begin();
  if (status.ok()) status = store_.WriteHeads(step.heads_after);
  if (status.ok()) {
    entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
    entry.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    entry.outcome = "success";
    status = store_.AppendHistory(entry);
  }
  if (status.ok()) status = backend_.Commit();
  if (status.ok()) return Status::Ok();

  backend_.Rollback();
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
  // The failure row is best effort: the error itself already reaches the operator.
  if (!backend_.Begin().ok()) return;
  auto heads = store_.ReadHeads();
  if (heads.ok()) entry.heads_after = JoinHeads(*heads);
  if (store_.AppendHistory(entry).ok() && backend_.Commit().ok()) return;
  backend_.Rollback();
}

Status MigrationRunner::Stamp(const std::vector<std::string>& revisions,
                              const RequestIdentity& requester) {
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
  HistoryEntry entry;
  entry.revision = JoinHeads(*heads);
  entry.direction = DirectionName(Direction::kStamp);
  entry.started_at = entry.finished_at = FormatIsoTimestamp(std::chrono::system_clock::now());
  entry.outcome = "success";
  entry.heads_after = JoinHeads(*heads);
  entry.requester = requester;
  MIGRATIOND_RETURN_IF_ERROR(backend_.Begin());
  Status status = store_.WriteHeads(*heads);
  if (status.ok()) status = store_.AppendHistory(entry);
  if (status.ok()) status = backend_.Commit();
  if (!status.ok()) backend_.Rollback();
  return status;
}

}  // namespace migrationd
