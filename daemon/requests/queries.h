// The read-only requests: status, current, heads, history, show, check, log, and dry runs.
//
// Each takes what it needs, opens its own connection (status, current, heads and check need none
// while the daemon's job runs: QueryContext::known), and returns a complete proto::Result. They
// never write to the database (a database migrationd never touched reads as base) and never wait
// for the job queue, so they are answered while a migration runs. Thread-safe: no shared state.
#pragma once

#include "core/db/database_url.h"
#include "core/run/expected_schema.h"
#include "core/run/version_store.h"
#include "core/scripts/revision_graph.h"
#include "core/scripts/script_directory.h"
#include "daemon/config.h"
#include "daemon/requests/reader_connections.h"
#include "migrationd.pb.h"

namespace migrationd {

proto::ErrorCode ToProtoCode(ErrorCode code);
// "a, b" for messages; "base" when empty.
std::string JoinRevisions(const std::vector<std::string>& revisions);
proto::Result ErrorResult(const Status& status);

struct QueryContext {
  const DaemonConfig& config;
  const DatabaseUrl& url;
  const ScriptDirectory& scripts;
  // While the daemon's own job runs: the version tables as the job left them, so that status,
  // current, heads and check answer from memory instead of waiting on the migration's locks.
  const RecordedState* known = nullptr;
  // The schema each revision produces (baseline, check --schema, the stamp guard).
  ExpectedSchemas* expected = nullptr;
  // Connections kept between requests (none: each read opens its own).
  ReaderConnections* connections = nullptr;
  // The history's replay kept between requests (none: replayed on every read).
  HistoryReplayCache* history = nullptr;
};

// A connection for one read-only request: borrowed from context.connections when there is one.
Result<std::shared_ptr<Backend>> OpenForReading(const QueryContext& context);

proto::Result QueryCurrent(const QueryContext& context);
proto::Result QueryHeads(const QueryContext& context);
proto::Result QueryHistory(const QueryContext& context, const std::string& range);
proto::Result QueryShow(const QueryContext& context, const std::string& revision);
// `schema`: also compare the live schema with the one expected at the recorded revision.
proto::Result QueryCheck(const QueryContext& context, bool schema = false);
proto::Result QueryLog(const QueryContext& context, uint32_t limit);
// The plan of an upgrade or downgrade with its SQL, changing nothing.
proto::Result QueryDryRun(const QueryContext& context, proto::Command command,
                          const std::string& target, bool atomic = false);
// --dry-run of stamp and repair: what would change, nothing written.
proto::Result QueryStampPreview(const QueryContext& context, const std::string& target, bool force);
proto::Result QueryRepairPreview(const QueryContext& context,
                                 const std::vector<std::string>& revisions,
                                 const std::string& reason);
// Expected schema (schema_queries.cpp).
// Which revision's schema a database has: the newest exact match, else the closest.
struct BaselineMatch {
  std::string revision;  // "base" for the empty schema
  bool exact = false;
  std::string fingerprint;                    // the live schema's
  std::vector<SchemaDifference> differences;  // from the closest revision's schema
  // An Alembic-managed database: its alembic_version id, and how it was used.
  std::string alembic_note;
  // When the revision the Alembic id names does not match: the one whose schema does ("").
  std::string exact_elsewhere;
  // Every revision whose schema is the database's, oldest first ("base" for the empty one).
  std::vector<std::string> exact_matches;
};
// The revision whose schema `live` has. `live_schema`, when the caller has just read it, saves
// reading the catalog again (the alembic_version row is still read from `live`).
Result<BaselineMatch> FindBaseline(Backend& live, const ScriptDirectory& scripts,
                                   ExpectedSchemas& expected,
                                   const NormalizedSchema* live_schema = nullptr);
// Why nothing matched exactly, as baseline and baseline --apply say it.
std::string NoBaselineMatch(const BaselineMatch& match);
// The revision `baseline --apply [named]` records: `named` if its schema is the database's,
// else the one exact match; refused (naming every match and what each choice marks applied
// without running it) when several match and none is named.
Result<std::string> ChooseBaseline(const BaselineMatch& match, const std::string& named,
                                   const RevisionGraph& graph);
// `baseline` and `baseline --apply [REV] --dry-run`.
proto::Result QueryBaseline(const QueryContext& context, const std::string& named, bool apply);
// `verify FROM:TO`: round trips on a scratch database (the live one is not touched).
proto::Result QueryVerify(const QueryContext& context, const std::string& range);
// The result of a round-trip verification, for the daemon and for `migrationd --verify`.
proto::Result VerifyResult(const Result<RoundTripReport>& report);
// Ok when `live` has the schema the scripts produce at `heads`; else an integrity error that
// lists the differences (also added to `result`).
Status CheckSchemaAt(Backend& live, const ScriptDirectory& scripts, ExpectedSchemas& expected,
                     const std::vector<std::string>& heads, proto::Result& result);
// A database that records no revision but already has tables the scripts create (the seed's
// create_all() start): an upgrade would fail at the first CREATE TABLE after its backup. Ok when
// `current` is not base or no such table exists; else an integrity error that says to run
// `baseline` (and, with `match_revision`, which revision it matches; that builds every
// revision's schema, so only `check` and the start-up check ask for it).
Status CheckNotUnmanaged(Backend& live, const ScriptDirectory& scripts, ExpectedSchemas& expected,
                         const std::vector<std::string>& current, bool match_revision);
// The stamp's guard: whether the live schema is the one `heads_after` produces. A stamp (and
// its dry run) without --force is refused with StampRefusal when it is not.
struct StampCheck {
  Status same;
  proto::Result differences;  // schema_diff
};
StampCheck CheckStamp(Backend& live, const ScriptDirectory& scripts, ExpectedSchemas& expected,
                      const std::vector<std::string>& heads_after);
proto::Result StampRefusal(const StampCheck& check);
void AddSchemaChanges(const std::vector<SchemaDifference>& differences, proto::Result& result);
// One difference as the protocol carries it.
void FillSchemaChange(const SchemaDifference& difference, proto::SchemaChange& change);
// "3 difference(s): + column users.nickname text; - index ix_users_email; ..."
std::string DescribeDifferences(const std::vector<SchemaDifference>& differences);

// The database part of `status` (current, heads, pending, lock); errors go into status.error.
void FillDatabaseStatus(const QueryContext& context, proto::StatusInfo& status);

// Shared by queries and jobs: a plan's steps as protocol messages (with SQL if asked).
void AddPlanSteps(const ScriptDirectory& scripts, std::string_view dialect,
                  const MigrationPlan& plan, bool with_sql, proto::Result& result);

}  // namespace migrationd
