// PostgresBackend: what a session is doing, from the server's statistics views. The daemon's
// watch of a migration statement (ObserveSession, on a connection of its own) and the
// rehearsal's reading of its own session between statements (ReadSessionEffects).
#include <cmath>
#include <cstdio>

#include "core/postgres/postgres_backend.h"

namespace migrationd {
namespace {

// One row: the session's state, its wait, how long its statement has run, the statement's
// start (without the BEGIN, step lock and guard a step's first round trip puts before it, on a
// line of their own), and the relation whose lock it waits for.
constexpr const char* kActivity = R"SQL(
SELECT a.state, coalesce(a.wait_event_type || ':' || a.wait_event, ''),
       extract(epoch FROM clock_timestamp() - a.query_start) * 1000,
       left(btrim(regexp_replace(
         CASE WHEN a.query LIKE 'BEGIN; %' AND strpos(a.query, E';\n') > 0
              THEN substr(a.query, strpos(a.query, E';\n') + 2) ELSE a.query END,
         '\s+', ' ', 'g')), 120),
       (SELECT l.relation::regclass::text FROM pg_locks l
         WHERE l.pid = a.pid AND NOT l.granted AND l.relation IS NOT NULL LIMIT 1)
  FROM pg_stat_activity a WHERE a.pid = $1
)SQL";

// The sessions in the way of session $1's lock, with what an operator needs to find them.
constexpr const char* kBlockers = R"SQL(
SELECT b.pid, b.usename, b.application_name, coalesce(host(b.client_addr), ''), b.state,
       extract(epoch FROM clock_timestamp() - coalesce(b.xact_start, b.backend_start)),
       left(regexp_replace(b.query, '\s+', ' ', 'g'), 60)
  FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids($1)) ORDER BY b.pid
)SQL";

// What a long statement has done so far: an index build, CLUSTER or VACUUM FULL, COPY.
constexpr const char* kProgress = R"SQL(
SELECT 'index', phase, blocks_done, blocks_total, tuples_done, tuples_total
  FROM pg_stat_progress_create_index WHERE pid = $1
UNION ALL
SELECT 'cluster', phase, heap_blks_scanned, heap_blks_total, heap_tuples_written, 0
  FROM pg_stat_progress_cluster WHERE pid = $1
)SQL";
constexpr const char* kCopyProgress = R"SQL(
SELECT 'copy', command, bytes_processed, bytes_total, tuples_processed, 0
  FROM pg_stat_progress_copy WHERE pid = $1
)SQL";

// Granted table locks of session $1 (or of this session), strongest kept by the caller.
constexpr const char* kLocksOf = R"SQL(
SELECT c.oid::regclass::text, l.mode
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE l.pid = $1 AND l.granted AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
)SQL";

constexpr const char* kStorage = R"SQL(
SELECT c.oid::regclass::text, c.relfilenode::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
)SQL";

constexpr const char* kRowsWritten =
    "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables";

double NumberOr(const SqlValue& value, double otherwise) {
  if (!value || value->empty()) return otherwise;
  try {
    return std::stod(*value);
  } catch (const std::exception&) {
    return otherwise;
  }
}

// "14 min", "3 s", "2 h"
std::string Duration(double seconds) {
  if (seconds < 120) return std::to_string(static_cast<long>(seconds)) + " s";
  if (seconds < 7200) return std::to_string(static_cast<long>(seconds / 60)) + " min";
  return std::to_string(static_cast<long>(seconds / 3600)) + " h";
}

// "pid 4711 (app@10.0.0.5, user alice, idle in transaction for 14 min: UPDATE orders ...)"
std::string DescribeBlocker(const SqlRow& row) {
  const std::string application = row[2].value_or("");
  const std::string address = row[3].value_or("");
  std::string who = application.empty() ? "no application_name" : application;
  who += "@" + (address.empty() ? std::string("local socket") : address);
  std::string text = "pid " + row[0].value_or("?") + " (" + who + ", user " + row[1].value_or("?") +
                     ", " + row[4].value_or("state unknown");
  if (row[5]) text += std::string(" for ") + Duration(NumberOr(row[5], 0));
  if (row[6] && !row[6]->empty()) text += ": " + *row[6] + (row[6]->size() >= 60 ? " ..." : "");
  return text + ")";
}

void KeepStrongest(std::map<std::string, std::string>& locks, const std::string& relation,
                   const std::string& mode) {
  std::string& kept = locks[relation];
  if (LockModeStrength(mode) > LockModeStrength(kept)) kept = mode;
}

void AddProgress(const SqlRow& row, SessionActivity& activity) {
  const std::string kind = row[0].value_or("");
  const std::string phase = row[1].value_or("");
  const double blocks_done = NumberOr(row[2], 0), blocks_total = NumberOr(row[3], 0);
  const double tuples_done = NumberOr(row[4], 0), tuples_total = NumberOr(row[5], 0);
  const char* unit = kind == "copy" ? "bytes" : "blocks";
  activity.progress = kind == "copy"
                          ? phase + ": " + std::to_string(static_cast<long>(tuples_done)) + " rows"
                          : phase;
  if (blocks_total > 0) {
    activity.fraction = std::min(1.0, blocks_done / blocks_total);
  } else if (tuples_total > 0) {
    activity.fraction = std::min(1.0, tuples_done / tuples_total);
    unit = "tuples";
  }
  if (activity.fraction >= 0) {
    char percent[64];
    std::snprintf(percent, sizeof(percent), ", %.0f%% of %s", std::floor(activity.fraction * 100),
                  unit);
    activity.progress += percent;
  }
}

}  // namespace

Result<SessionActivity> PostgresBackend::ObserveSession(const std::string& session_id) {
  SessionActivity activity;
  auto rows = Query(kActivity, {session_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return activity;  // the session ended
  const SqlRow& row = rows->front();
  activity.running = row[0].value_or("") == "active";
  activity.wait_event = row[1].value_or("");
  activity.running_ms = NumberOr(row[2], 0);
  activity.statement = row[3].value_or("");
  activity.lock_wanted = row[4].value_or("");
  if (!activity.running) return activity;
  if (!activity.lock_wanted.empty() || activity.wait_event.starts_with("Lock:")) {
    auto blockers = Query(kBlockers, {session_id});
    if (!blockers.ok()) return blockers.status();
    for (const SqlRow& blocker : *blockers) activity.blocked_by.push_back(DescribeBlocker(blocker));
  }
  auto progress = Query(kProgress, {session_id});
  if (!progress.ok()) return progress.status();
  if (progress->empty() && connection_version() >= 140000) {
    progress = Query(kCopyProgress, {session_id});
    if (!progress.ok()) return progress.status();
  }
  if (!progress->empty()) AddProgress(progress->front(), activity);
  auto locks = Query(kLocksOf, {session_id});
  if (!locks.ok()) return locks.status();
  for (const SqlRow& lock : *locks) {
    KeepStrongest(activity.locks, lock[0].value_or(""), lock[1].value_or(""));
  }
  return activity;
}

Result<SessionEffects> PostgresBackend::ReadSessionEffects() {
  SessionEffects effects;
  auto storage = Query(kStorage, {});
  if (!storage.ok()) return storage.status();
  for (const SqlRow& row : *storage) effects.storage[row[0].value_or("")] = row[1].value_or("");
  auto locks = Query(kLocksOf, {SessionId()});
  if (!locks.ok()) return locks.status();
  for (const SqlRow& row : *locks)
    KeepStrongest(effects.locks, row[0].value_or(""), row[1].value_or(""));
  effects.rows_written = rows_written_outside_transactions_;
  // Outside a transaction block the view is not the statement's: PostgreSQL 15 still shows
  // there what the session's earlier transactions wrote until it flushes them to the shared
  // statistics (at most once a second; added to the command counts, each batch of a backfill
  // was counted twice). Inside a block nothing is flushed until it ends.
  if (!InTransaction()) return effects;
  auto rows = Query(kRowsWritten, {});
  if (!rows.ok()) return rows.status();
  effects.rows_written += static_cast<int64_t>(NumberOr(rows->front()[0], 0));
  return effects;
}

}  // namespace migrationd
