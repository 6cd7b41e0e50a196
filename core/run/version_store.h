// VersionStore: the daemon's own tables in the migrated database, on any engine.
//
//   migrationd_version  one row per current head (no rows: nothing applied)
//   migrationd_history  append-only: every upgrade, downgrade and stamp, failed ones included
//
// Writes happen inside the caller's transaction, so a migration's DDL, its version rows and its
// history row commit or roll back together. Uses the Backend it is given; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/timestamps.h"
#include "core/db/backend.h"
#include "core/scripts/script.h"

namespace migrationd {

// Who asked for a change, recorded in every history row.
struct RequestIdentity {
  int64_t uid = -1;  // -1: unknown
  std::string user_name;
  std::string host;
  int64_t daemon_pid = 0;
  std::string backup_id;  // the backup taken before the job, or "" (none / --no-backup)

  // The identity of the current process and user, for local tools and scheduled jobs.
  static RequestIdentity OfThisProcess();
};

struct HistoryEntry {
  int64_t id = 0;
  std::string revision;
  std::string direction;  // upgrade | downgrade | stamp
  std::string checksum;
  std::string started_at;  // ISO 8601 UTC, e.g. 2026-11-25T17:32:23.123Z
  std::string finished_at;
  double duration_ms = 0;
  std::string outcome;  // success | failed | stopped (the maintenance window closed first)
  std::string error;
  std::string heads_after;  // comma-separated version rows after the step ("" for base)
  RequestIdentity requester;
};

// What an applied revision's last upgrade, stamp (that marked it applied) or repair recorded:
// the checksum its script must still hash to, and when.
struct AppliedRecord {
  std::string checksum;
  std::string applied_at;
  bool operator==(const AppliedRecord&) const = default;
};

// A `transaction: none` step that started and did not finish: its first `done` statements ran
// (each committed on its own), the others did not. `error` is empty when the daemon stopped
// during statement done+1 (it may or may not have completed).
struct IncompleteStep {
  std::string revision;
  std::string direction;  // upgrade | downgrade
  int total = 0;
  int done = 0;
  std::string done_checksum;  // of the text of the statements that ran (StatementsChecksum)
  std::string error;
  std::string updated_at;
  // "004_x upgrade failed after statement 1 of 3: <error>"
  std::string Describe() const;
};

// What the version tables say, read at once. The daemon keeps one while its own job runs and
// answers reads from it, so that no read waits on the migration's locks.
struct RecordedState {
  std::vector<std::string> heads;  // the version rows, sorted
  // Per revision whose last recorded step left it applied (revisions applied before checksums
  // were kept, or stamped without one, are absent).
  std::map<std::string, AppliedRecord> applied;
  std::vector<IncompleteStep> incomplete;
};

// The applied records replayed from the history, kept between read requests: at 10,000
// revisions the replay read 10,000 rows per `status`. Valid while the history has the row count
// and the last row (id, revision, direction, finish time) it was replayed from: migrationd only
// appends to it, and a restored or replaced database differs in one of those. Thread-safe.
class HistoryReplayCache {
 public:
  std::optional<std::map<std::string, AppliedRecord>> Find(const std::string& marker) const;
  void Store(std::string marker, const std::map<std::string, AppliedRecord>& applied);

 private:
  mutable std::mutex mutex_;
  std::string marker_;                            // guarded by mutex_
  std::map<std::string, AppliedRecord> applied_;  // guarded by mutex_
};

class VersionStore {
 public:
  explicit VersionStore(Backend& backend) : backend_(backend) {}

  // Creates the tables if they do not exist (idempotent).
  Status EnsureTables();
  // The version rows as recorded, sorted. Reads never create the tables: a database without
  // them has no rows (it is at base, with no history).
  Result<std::vector<std::string>> ReadHeads();
  // Begins a step's transaction under the step lock and reads the version rows there
  // (Backend::BeginStep: one round trip on PostgreSQL). On failure the caller rolls back.
  Result<std::vector<std::string>> BeginStepReadingHeads();
  // The same check and the step's first statement in one round trip, where the engine can
  // send them together (Backend::BeginStepThen): the server refuses the statement itself unless
  // the version rows are `expected`. std::nullopt: not here (the engine, or no version table
  // yet): begin, read and execute apart. kConflict: the rows are not `expected` and nothing
  // ran. Any other error is the statement's (or the step lock's). On failure the caller rolls
  // back.
  std::optional<Status> BeginStepRunning(std::vector<std::string> expected,
                                         const std::string& statement);
  // History rows, oldest first; `limit` > 0 keeps the newest `limit`.
  Result<std::vector<HistoryEntry>> ReadHistory(size_t limit = 0);
  // The version rows and the applied records, replayed from the history (one read each); with
  // a cache, the history is read only when it changed.
  Result<RecordedState> ReadState(HistoryReplayCache* cache = nullptr);
  // The `transaction: none` steps that started and did not finish (none: the table is absent).
  Result<std::vector<IncompleteStep>> ReadIncomplete();
  // Creates or replaces the progress row of `step` (autocommit: it must survive the step).
  Status WriteProgress(const IncompleteStep& step);
  // Removes the progress row of `revision` (autocommit): a step that applied nothing.
  Status ClearProgress(const std::string& revision);
  Status AppendHistory(const HistoryEntry& entry);
  // How a step (or an `--atomic` plan, or a stamp) ends: the version rows replaced by `heads`,
  // the progress rows of `finished` removed, the history rows appended (multi-row INSERTs for
  // a plan's many), and the commit, all sent at once where the engine can (Backend::CommitAfter:
  // one round trip on PostgreSQL). The caller holds the step lock in the open transaction (a
  // step read the version rows under it; a stamp replaces them). On failure nothing is
  // committed.
  struct StepRecord {
    std::vector<std::string> heads;
    std::vector<std::string> finished;
    std::vector<HistoryEntry> history;
  };
  Status CommitStep(const StepRecord& record);

 private:
  // TableExists, remembered once true outside a transaction: within one store's life (one job
  // or request) migrationd's tables do not go away, and the question cost a round trip per
  // revision. A table seen inside a transaction might be rolled back with it, so is not kept.
  Result<bool> HasTable(const std::string& table);

  Backend& backend_;
  std::set<std::string> tables_seen_;
};

// "a,b": heads as the history's heads_after records them (revision ids have no commas).
std::string JoinHeads(const std::vector<std::string>& heads);

}  // namespace migrationd
