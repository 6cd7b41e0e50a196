// MigrationRunner: plans and runs migrations of one ScriptDirectory on one Backend.
//
// Each step runs in its own transaction with its version rows and history row, so a failed step
// leaves the database exactly as before it. A `transaction: none` script runs statement by
// statement in autocommit mode; a failure names the statement, and the version rows are only
// moved once every statement succeeded. The runner takes no locks: the caller (the daemon's job,
// or a local tool) holds the migration lock around it. Not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/db/backend.h"
#include "core/run/version_store.h"
#include "core/scripts/revision_graph.h"
#include "core/scripts/script_directory.h"

namespace migrationd {

// Callbacks a caller may set to follow a job (the daemon turns them into protocol events).
struct RunObserver {
  std::function<void(const PlannedStep& step, size_t index, size_t total)> step_started;
  std::function<void(const PlannedStep& step, double duration_ms)> step_finished;
  // Polled before each step, and before each statement of a step and before its commit; true
  // stops the job there. A running statement is stopped by Backend::Interrupt, which reaches
  // only a statement the server already runs: a cancel that falls between two statements is
  // still honoured at the next boundary, never lost.
  std::function<bool()> should_stop;
  // Polled before each step with the revision it is about to run: an error (the migration lock
  // was lost) stops the job there; the stop is recorded in history and returned as a conflict.
  std::function<Status(const std::string& next_revision)> check_lock;
  // Polled before each step: a reason (the maintenance window closed) stops the job there,
  // between revisions; the stop is recorded in history (outcome `stopped`) and returned as
  // kOutsideWindow.
  std::function<std::optional<std::string>()> window_closed;
  // A step hit a table-lock timeout, was rolled back, and runs again after `delay`.
  std::function<void(const PlannedStep& step, int attempt, std::chrono::milliseconds delay,
                     const Status& why)>
      step_retrying;
  // Around each statement of a step, with its transaction (if any) still open: for the
  // rehearsal's report of what each statement did. `index` counts the step's statements from 0.
  // When these are set, a step's first statement is not sent in BEGIN's round trip, so that
  // statement_started comes before it runs.
  std::function<void(const PlannedStep& step, const SqlStatement& statement, size_t index)>
      statement_started;
  std::function<void(const PlannedStep& step, const SqlStatement& statement, size_t index,
                     const Status& outcome)>
      statement_finished;
};

// How a step that times out on a table lock (live traffic holds it) is retried: the lock
// timeout keeps a migration from queueing in front of the application for long, and the
// retries give it several chances at a quiet moment.
struct RetryPolicy {
  int lock_retries = 5;                        // further attempts after the first
  std::chrono::milliseconds first_delay{500};  // doubled each time
  std::chrono::milliseconds max_delay{8000};
};

// An applied revision whose script changed since it was applied, stamped or repaired.
struct ChangedScript {
  std::string revision;
  std::string path;
  std::string recorded;  // sha256 recorded then
  std::string now;       // sha256 of the script today
};

// The database's heads in `state`, checked against the scripts (unknown revision: integrity
// error). Pure: the daemon answers from a state it keeps while its job runs.
Result<std::vector<std::string>> CurrentHeads(const ScriptDirectory& scripts,
                                              const RecordedState& state);
// Applied revisions in `state` whose script no longer has the checksum recorded for it.
Result<std::vector<ChangedScript>> ChangedAppliedScripts(const ScriptDirectory& scripts,
                                                         std::string_view dialect,
                                                         const RecordedState& state);

// SHA-256 of the first `count` statements' text: what a resume checks is still in the script.
std::string StatementsChecksum(const std::vector<SqlStatement>& statements, size_t count);

// What a stamp would do: the version rows before and after, and the revisions it marks.
struct StampPlan {
  std::vector<std::string> heads_before;
  std::vector<std::string> heads_after;
  std::vector<std::string> marked_applied;
  std::vector<std::string> marked_unapplied;
};

class MigrationRunner {
 public:
  MigrationRunner(const ScriptDirectory& scripts, Backend& backend);
  void set_retry_policy(RetryPolicy policy) { retry_ = policy; }
  // Text added to the error of every failed step's history row, asked when the row is written
  // (the daemon: who asked for the cancel that stopped it; "" otherwise).
  void set_failure_note(std::function<std::string()> note) { failure_note_ = std::move(note); }
  // A note per revision for the `error` field of its successful upgrade row (what lint allowed
  // in it, and why).
  void set_upgrade_notes(std::map<std::string, std::string> notes) {
    upgrade_notes_ = std::move(notes);
  }

  // Creates the version tables if needed (call once per connection, under the lock).
  Status Prepare();
  // The database's heads, checked against the scripts (unknown revision: integrity error).
  Result<std::vector<std::string>> CurrentHeads();
  Result<MigrationPlan> PlanUpgrade(std::string_view target);
  Result<MigrationPlan> PlanDowngrade(std::string_view target);
  // Applied revisions whose script no longer has the checksum recorded for it (the last
  // successful upgrade, stamp or repair row of that revision).
  Result<std::vector<ChangedScript>> ChangedAppliedScripts();
  // An integrity error naming every changed script, its file and the way out, or Ok. Every
  // mutating command (upgrade, downgrade, stamp, their dry runs) calls it before anything else.
  Status CheckAppliedScriptsUnchanged();
  // Records the scripts' current checksums for `revisions` (all changed ones when empty) with
  // `reason`, one `repair` history row each; the revisions must be applied.
  // The changed scripts a repair of `revisions` would accept (checks, changes nothing).
  Result<std::vector<ChangedScript>> PlanRepair(const std::vector<std::string>& revisions,
                                                const std::string& reason);
  Result<std::vector<std::string>> Repair(const std::vector<std::string>& revisions,
                                          const std::string& reason,
                                          const RequestIdentity& requester);

  // `migctl resume`: a one-step plan that continues the half-applied `transaction: none`
  // revision after its completed statements (refused when those statements changed since).
  Result<MigrationPlan> PlanResume();

  // The statements a step would run, for --dry-run and for messages.
  std::vector<SqlStatement> StatementsOf(const PlannedStep& step) const;

  // Runs the plan's steps in order; stops at the first failure.
  Status Execute(const MigrationPlan& plan, const RequestIdentity& requester,
                 const RunObserver& observer = {});
  // --atomic: the whole plan in one transaction, all or nothing (both engines have
  // transactional DDL). Refused before anything runs when a step is `transaction: none` or
  // (SQLite) `sqlite-foreign-keys: off`. Events: step_started as each runs, step_finished for
  // all of them once the commit succeeded. No lock-timeout retries and no stop at a window's
  // close: stopping half-way would roll everything back.
  Status ExecuteAtomic(const MigrationPlan& plan, const RequestIdentity& requester,
                       const RunObserver& observer = {});
  // The refusal ExecuteAtomic would make, for checking before the backup.
  Status CheckAtomic(const MigrationPlan& plan) const;
  // What Stamp(revisions) would do (checks the scripts' checksums; changes nothing).
  Result<StampPlan> PlanStamp(const std::vector<std::string>& revisions);
  // Sets the version rows to `revisions` (ids, prefixes, head, heads or base) without running
  // SQL, and records it in history.
  Status Stamp(const std::vector<std::string>& revisions, const RequestIdentity& requester);
  // The history row of a failure that could not be written on this connection (it broke),
  // for the caller to write on a new one. Cleared by the call.
  std::optional<HistoryEntry> TakeUnrecordedFailure();

 private:
  Status CheckPlanRunnable(const MigrationPlan& plan) const;
  // Integrity error while a `transaction: none` revision is half-applied.
  Status CheckNothingHalfApplied();
  // `skip`: statements of a resumed `transaction: none` step that already ran.
  Status RunStepWithRetries(const PlannedStep& step, const std::vector<std::string>& expected_heads,
                            const RequestIdentity& requester, const RunObserver& observer,
                            size_t skip);
  Status RunStep(const PlannedStep& step, const std::vector<std::string>& expected_heads,
                 const RequestIdentity& requester, size_t skip);
  // A `transaction: none` step's statements after the first `skip`, each recorded in
  // migrationd_progress as it completes (or fails).
  // `none_applied`: set when the first statement failed and the progress row was removed.
  Status RunJournaled(const Script& script, const PlannedStep& step, size_t skip,
                      bool& none_applied);
  // Conflict unless the version rows are `expected` (call with the step lock held).
  Status CheckHeadsAre(const std::vector<std::string>& expected, const PlannedStep& step);
  // Begins a transactional step (Backend::BeginStep) and checks the version rows read there.
  Status BeginStepAt(const std::vector<std::string>& expected, const PlannedStep& step);
  // BeginStepAt, with the step's first statement in the same round trip where the engine can
  // (VersionStore::BeginStepRunning); `ran` counts the statements that ran with it (0 or 1).
  Status BeginTransactionalStep(const std::vector<std::string>& expected, const PlannedStep& step,
                                const Script& script, const std::vector<SqlStatement>& statements,
                                size_t& ran);
  static Status CompareHeads(const std::vector<std::string>& expected,
                             const std::vector<std::string>& recorded, const PlannedStep& step);
  HistoryEntry StepEntry(const PlannedStep& step, const RequestIdentity& requester) const;
  // `statements` (of `script`) from the `first`, each error naming its file and line.
  Status RunStatements(const Script& script, const std::vector<SqlStatement>& statements,
                       size_t first = 0);
  void RecordFailure(const HistoryEntry& base, const Status& error, const char* outcome = "failed");
  // Runs statements[index] of the running step between the observer's statement callbacks,
  // unless a cancel came first (StopRequested).
  Status RunObserved(const std::vector<SqlStatement>& statements, size_t index);
  // Cancelled (naming `where`) once the observer's should_stop says so; Ok otherwise.
  Status StopRequested(const std::string& where) const;
  bool ObservesStatements() const {
    return observer_ != nullptr && (observer_->statement_started || observer_->statement_finished);
  }

  const ScriptDirectory& scripts_;
  Backend& backend_;
  VersionStore store_;
  RetryPolicy retry_;
  std::optional<HistoryEntry> unrecorded_failure_;
  std::function<std::string()> failure_note_;
  std::map<std::string, std::string> upgrade_notes_;
  // Set while Execute or ExecuteAtomic runs.
  const RunObserver* observer_ = nullptr;
  const PlannedStep* running_step_ = nullptr;
};

}  // namespace migrationd
