#include "core/run/version_store.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iterator>

#include "core/base/accounts.h"
#include "core/base/numbers.h"

namespace migrationd {
namespace {

std::string Text(const SqlValue& value) { return value.value_or(""); }

int64_t Integer(const SqlValue& value, int64_t fallback) {
  return value ? ParseInt64Or(*value, fallback) : fallback;
}

SqlValue OrNull(const std::string& text) { return text.empty() ? SqlValue() : SqlValue(text); }

}  // namespace

RequestIdentity RequestIdentity::OfThisProcess() {
  RequestIdentity identity;
  identity.uid = getuid();
  if (auto user = LookUpUser(getuid())) identity.user_name = user->name;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) identity.host = host;
  identity.daemon_pid = getpid();
  return identity;
}

std::string JoinHeads(const std::vector<std::string>& heads) {
  std::string joined;
  for (const auto& head : heads) joined += (joined.empty() ? "" : ",") + head;
  return joined;
}

Status VersionStore::EnsureTables() {
  // Looked up first (the answers are remembered for the job's later reads): a database that
  // has them, the usual case, gets no DDL. Created in one transaction otherwise: one commit
  // (one set of fsyncs) instead of one per table.
  bool all_exist = true;
  for (const char* table : {"migrationd_version", "migrationd_history", "migrationd_progress"}) {
    auto exists = HasTable(table);
    if (!exists.ok()) return exists.status();
    all_exist = all_exist && *exists;
  }
  if (all_exist) return Status::Ok();
  const bool own_transaction = !backend_.InTransaction();
  Status status = own_transaction ? backend_.Begin() : Status::Ok();
  for (const auto& ddl : backend_.VersionTablesDdl()) {
    if (status.ok()) status = backend_.Execute(ddl);
  }
  if (own_transaction && status.ok()) status = backend_.Commit();
  if (own_transaction && !status.ok()) backend_.Rollback();
  return status.WithContext("cannot create migrationd's version tables");
}

Result<bool> VersionStore::HasTable(const std::string& table) {
  if (tables_seen_.contains(table)) return true;
  auto exists = backend_.TableExists(table);
  if (exists.ok() && *exists && !backend_.InTransaction()) tables_seen_.insert(table);
  return exists;
}

namespace {

constexpr const char* kReadHeadsSql = "SELECT revision FROM migrationd_version ORDER BY revision";

Result<std::vector<std::string>> Heads(Result<std::vector<SqlRow>> rows) {
  if (!rows.ok()) return rows.status().WithContext("cannot read migrationd_version");
  std::vector<std::string> heads;
  for (const auto& row : *rows) heads.push_back(Text(row[0]));
  // In byte order, whatever the database's collation (ICU's en-US puts 'a_b' before 'aB'):
  // the step's re-read is compared with a sorted list, and a different order would read as
  // another migration's work.
  std::sort(heads.begin(), heads.end());
  return heads;
}

}  // namespace

Result<std::vector<std::string>> VersionStore::ReadHeads() {
  // A database migrationd never touched is at base; reading it must not create anything.
  auto exists = HasTable("migrationd_version");
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<std::string>();
  return Heads(backend_.Query(kReadHeadsSql));
}

Result<std::vector<std::string>> VersionStore::BeginStepReadingHeads() {
  auto exists = HasTable("migrationd_version");
  if (!exists.ok()) return exists.status();
  // Without the table there is nothing to read: no version row, no heads.
  auto begun = backend_.BeginStep(*exists ? kReadHeadsSql : "");
  if (*exists) return Heads(std::move(begun));
  if (!begun.ok()) return begun.status();
  return std::vector<std::string>();
}

namespace {

// A step's guard: a text that is no number, cast to one, unless the version rows (in byte
// order, as JoinHeads joins them) are $1.
constexpr const char* kHeadsMovedMarker = "migrationd: the version rows moved";
constexpr const char* kGuardHeadsSql =
    "SELECT CAST(CASE WHEN coalesce((SELECT string_agg(revision, ',' ORDER BY revision COLLATE "
    "\"C\") FROM migrationd_version), '') = $1 THEN '0' ELSE 'migrationd: the version rows "
    "moved' END AS INTEGER)";

}  // namespace

std::optional<Status> VersionStore::BeginStepRunning(std::vector<std::string> expected,
                                                     const std::string& statement) {
  auto exists = HasTable("migrationd_version");
  if (!exists.ok() || !*exists) return std::nullopt;
  std::sort(expected.begin(), expected.end());
  std::optional<Status> ran =
      backend_.BeginStepThen({kGuardHeadsSql, {JoinHeads(expected)}}, statement);
  if (ran && !ran->ok() && ran->message().find(kHeadsMovedMarker) != std::string::npos) {
    return Status::Conflict(kHeadsMovedMarker);
  }
  return ran;
}

Result<std::vector<HistoryEntry>> VersionStore::ReadHistory(size_t limit) {
  auto exists = HasTable("migrationd_history");
  if (!exists.ok()) return exists.status();
  if (!*exists) return std::vector<HistoryEntry>();
  std::string sql =
      "SELECT id, revision, direction, checksum, started_at, finished_at, duration_ms, outcome,"
      " error, heads_after, user_uid, user_name, host, daemon_pid, backup_id"
      " FROM migrationd_history ORDER BY id DESC";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  auto rows = backend_.Query(sql);
  if (!rows.ok()) return rows.status().WithContext("cannot read migrationd_history");
  std::vector<HistoryEntry> history;
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
    const SqlRow& row = *it;
    HistoryEntry entry;
    entry.id = Integer(row[0], 0);
    entry.revision = Text(row[1]);
    entry.direction = Text(row[2]);
    entry.checksum = Text(row[3]);
    entry.started_at = Text(row[4]);
    entry.finished_at = Text(row[5]);
    entry.duration_ms = row[6] ? ParseDoubleOr(*row[6], 0.0) : 0.0;
    entry.outcome = Text(row[7]);
    entry.error = Text(row[8]);
    entry.heads_after = Text(row[9]);
    entry.requester.uid = Integer(row[10], -1);
    entry.requester.user_name = Text(row[11]);
    entry.requester.host = Text(row[12]);
    entry.requester.daemon_pid = Integer(row[13], 0);
    entry.requester.backup_id = Text(row[14]);
    history.push_back(std::move(entry));
  }
  return history;
}

std::optional<std::map<std::string, AppliedRecord>> HistoryReplayCache::Find(
    const std::string& marker) const {
  std::lock_guard lock(mutex_);
  if (marker.empty() || marker != marker_) return std::nullopt;
  return applied_;
}

void HistoryReplayCache::Store(std::string marker,
                               const std::map<std::string, AppliedRecord>& applied) {
  std::lock_guard lock(mutex_);
  marker_ = std::move(marker);
  applied_ = applied;
}

Result<RecordedState> VersionStore::ReadState(HistoryReplayCache* cache) {
  RecordedState state;
  auto heads = ReadHeads();
  if (!heads.ok()) return heads.status();
  state.heads = std::move(heads).value();
  auto exists = HasTable("migrationd_history");
  if (!exists.ok()) return exists.status();
  if (!*exists) return state;
  auto incomplete = ReadIncomplete();
  if (!incomplete.ok()) return incomplete.status();
  state.incomplete = std::move(incomplete).value();
  std::string marker;
  if (cache != nullptr) {
    auto last = backend_.Query(
        "SELECT (SELECT count(*) FROM migrationd_history), id, revision, direction, finished_at"
        " FROM migrationd_history ORDER BY id DESC LIMIT 1");
    if (!last.ok()) return last.status().WithContext("cannot read migrationd_history");
    if (last->empty()) return state;
    for (const auto& field : last->front()) marker += Text(field) + "\n";
    if (auto applied = cache->Find(marker)) {
      state.applied = std::move(*applied);
      return state;
    }
  }
  auto rows = backend_.Query(
      "SELECT revision, direction, checksum, finished_at, heads_after FROM migrationd_history"
      " WHERE outcome = 'success' AND direction IN ('upgrade', 'downgrade', 'stamp', 'repair')"
      " ORDER BY id");
  if (!rows.ok()) return rows.status().WithContext("cannot read migrationd_history");
  for (const auto& row : *rows) {
    const std::string revision = Text(row[0]), direction = Text(row[1]), checksum = Text(row[2]);
    // A stamp row without a checksum marks its revision not applied, unless it is the one row
    // of a stamp that changed nothing: that row names the heads it left in place.
    const bool unstamped = direction == "stamp" && checksum.empty() && revision != Text(row[4]);
    if (direction == "downgrade" || unstamped) {
      state.applied.erase(revision);
    } else if (!checksum.empty()) {
      state.applied[revision] = {checksum, Text(row[3])};
    }
  }
  if (cache != nullptr) cache->Store(std::move(marker), state.applied);
  return state;
}

std::string IncompleteStep::Describe() const {
  std::string text = revision + " " + direction + " (transaction: none) ";
  text += error.empty() ? "stopped during statement " + std::to_string(done + 1) + " of " +
                              std::to_string(total) +
                              " (the daemon went away; that statement "
                              "may or may not have completed)"
                        : "failed after statement " + std::to_string(done) + " of " +
                              std::to_string(total) + ": " + error;
  return text;
}

Result<std::vector<IncompleteStep>> VersionStore::ReadIncomplete() {
  std::vector<IncompleteStep> steps;
  auto exists = HasTable("migrationd_progress");
  if (!exists.ok()) return exists.status();
  if (!*exists) return steps;
  auto rows = backend_.Query(
      "SELECT revision, direction, statements_total, statements_done, done_checksum, error,"
      " updated_at FROM migrationd_progress ORDER BY revision");
  if (!rows.ok()) return rows.status().WithContext("cannot read migrationd_progress");
  for (const auto& row : *rows) {
    steps.push_back({Text(row[0]), Text(row[1]), static_cast<int>(Integer(row[2], 0)),
                     static_cast<int>(Integer(row[3], 0)), Text(row[4]), Text(row[5]),
                     Text(row[6])});
  }
  return steps;
}

namespace {
constexpr const char* kClearProgressSql = "DELETE FROM migrationd_progress WHERE revision = $1";
}  // namespace

Status VersionStore::ClearProgress(const std::string& revision) {
  return backend_.Query(kClearProgressSql, {revision})
      .status()
      .WithContext("cannot write migrationd_progress");
}

Status VersionStore::WriteProgress(const IncompleteStep& step) {
  MIGRATIOND_RETURN_IF_ERROR(backend_.Query(kClearProgressSql, {step.revision})
                                 .status()
                                 .WithContext("cannot write migrationd_progress"));
  return backend_
      .Query(
          "INSERT INTO migrationd_progress (revision, direction, statements_total,"
          " statements_done, done_checksum, error, updated_at) VALUES ($1, $2, CAST($3 AS"
          " INTEGER), CAST($4 AS INTEGER), $5, $6, $7)",
          {step.revision, step.direction, std::to_string(step.total), std::to_string(step.done),
           step.done_checksum, OrNull(step.error), step.updated_at})
      .status()
      .WithContext("cannot write migrationd_progress");
}

namespace {

constexpr const char* kInsertHistoryPrefix =
    "INSERT INTO migrationd_history (revision, direction, checksum, started_at, finished_at,"
    " duration_ms, outcome, error, heads_after, user_uid, user_name, host, daemon_pid,"
    " backup_id) VALUES ";
constexpr size_t kHistoryColumns = 14;
// Rows per multi-row INSERT: ten save nine statements in ten. Chosen when SQLite still looked
// each $N up by name, quadratic in the parameters (with 50 rows, a quarter of the daemon's CPU
// samples in a 200-revision --atomic job; with 10, 6%); SqliteBackend now binds them as ?N by
// index, so a larger chunk would cost no lookups, but it has not been measured again.
constexpr size_t kHistoryRowsPerInsert = 10;

// "($1, ..., $14)" for the row whose first parameter is $first.
std::string HistoryRowPlaceholders(size_t first) {
  auto p = [first](size_t column) { return "$" + std::to_string(first + column); };
  return "(" + p(0) + ", " + p(1) + ", " + p(2) + ", " + p(3) + ", " + p(4) + ", CAST(" + p(5) +
         " AS DOUBLE PRECISION), " + p(6) + ", " + p(7) + ", " + p(8) + ", CAST(" + p(9) +
         " AS BIGINT), " + p(10) + ", " + p(11) + ", CAST(" + p(12) + " AS BIGINT), " + p(13) + ")";
}

const std::string& InsertHistorySql() {
  static const std::string sql = kInsertHistoryPrefix + HistoryRowPlaceholders(1);
  return sql;
}

std::vector<SqlValue> HistoryValues(const HistoryEntry& entry) {
  const RequestIdentity& who = entry.requester;
  return {entry.revision,
          entry.direction,
          OrNull(entry.checksum),
          entry.started_at,
          entry.finished_at,
          std::to_string(entry.duration_ms),
          entry.outcome,
          OrNull(entry.error),
          entry.heads_after,
          who.uid < 0 ? SqlValue() : SqlValue(std::to_string(who.uid)),
          OrNull(who.user_name),
          OrNull(who.host),
          who.daemon_pid == 0 ? SqlValue() : SqlValue(std::to_string(who.daemon_pid)),
          OrNull(who.backup_id)};
}

}  // namespace

Status VersionStore::AppendHistory(const HistoryEntry& entry) {
  return backend_.Query(InsertHistorySql(), HistoryValues(entry))
      .status()
      .WithContext("cannot write migrationd_history");
}

namespace {

// The statements of CommitStep, in order.
std::vector<BoundStatement> StepRecordStatements(const VersionStore::StepRecord& record) {
  // The version rows rewritten whole: the result is exactly `heads` whatever they were (a step
  // read them under the step lock in this transaction). On SQLite a DELETE and an
  // INSERT also prepare faster than an UPDATE ... RETURNING (prepared again after every
  // revision's DDL).
  std::vector<BoundStatement> statements{{"DELETE FROM migrationd_version", {}}};
  for (const auto& head : record.heads) {
    statements.push_back({"INSERT INTO migrationd_version (revision) VALUES ($1)", {head}});
  }
  for (const auto& revision : record.finished) {
    statements.push_back({kClearProgressSql, {revision}});
  }
  const auto& history = record.history;
  for (size_t start = 0; start < history.size(); start += kHistoryRowsPerInsert) {
    const size_t end = std::min(history.size(), start + kHistoryRowsPerInsert);
    BoundStatement insert{kInsertHistoryPrefix, {}};
    insert.params.reserve((end - start) * kHistoryColumns);
    for (size_t i = start; i < end; ++i) {
      insert.sql += (i == start ? "" : ", ") + HistoryRowPlaceholders(insert.params.size() + 1);
      std::vector<SqlValue> row = HistoryValues(history[i]);
      insert.params.insert(insert.params.end(), std::make_move_iterator(row.begin()),
                           std::make_move_iterator(row.end()));
    }
    statements.push_back(std::move(insert));
  }
  return statements;
}

}  // namespace

Status VersionStore::CommitStep(const StepRecord& record) {
  // No context added: the commit's own failure (a deferred constraint of the revision) is not
  // about migrationd's tables.
  return backend_.CommitAfter(StepRecordStatements(record));
}

}  // namespace migrationd
