// The read-only requests: status, current, heads, history, show, check, log, and dry runs.
//
// Each takes what it needs, opens its own connection (status, current, heads and check need none
// while the daemon's job runs: QueryContext::known), and returns a complete proto::Result. They
// never write to the database (a database migrationd never touched reads as base) and never wait
// for the job queue, so they are answered while a migration runs. Thread-safe: no shared state.
#pragma once

#include "core/database_url.h"
#include "core/revision_graph.h"
#include "core/script_directory.h"
#include "core/version_store.h"
#include "daemon/config.h"
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
};

proto::Result QueryCurrent(const QueryContext& context);
proto::Result QueryHeads(const QueryContext& context);
proto::Result QueryHistory(const QueryContext& context, const std::string& range);
proto::Result QueryShow(const QueryContext& context, const std::string& revision);
proto::Result QueryCheck(const QueryContext& context);
proto::Result QueryLog(const QueryContext& context, uint32_t limit);
// The plan of an upgrade or downgrade with its SQL, changing nothing.
proto::Result QueryDryRun(const QueryContext& context, proto::Command command,
                          const std::string& target);
// --dry-run of stamp and repair: what would change, nothing written.
proto::Result QueryStampPreview(const QueryContext& context, const std::string& target);
proto::Result QueryRepairPreview(const QueryContext& context,
                                 const std::vector<std::string>& revisions,
                                 const std::string& reason);
// The database part of `status` (current, heads, pending, lock); errors go into status.error.
void FillDatabaseStatus(const QueryContext& context, proto::StatusInfo& status);

// Shared by queries and jobs: a plan's steps as protocol messages (with SQL if asked).
void AddPlanSteps(const ScriptDirectory& scripts, std::string_view dialect,
                  const MigrationPlan& plan, bool with_sql, proto::Result& result);

}  // namespace migrationd
