#include "core/run/expected_schema.h"

#include <algorithm>
#include <optional>

#include "core/base/sha256.h"
#include "core/engines/open_backend.h"
#include "core/engines/scratch_database.h"
#include "core/run/migration_runner.h"

namespace migrationd {
namespace {

std::string Key(const std::vector<std::string>& heads) {
  std::string key;
  for (const auto& head : heads) key += head + ",";
  return key;
}

// Applies the scripts up to `heads` on `backend` (already at some of them).
Status UpgradeTo(const ScriptDirectory& scripts, Backend& backend,
                 const std::vector<std::string>& heads) {
  MigrationRunner runner(scripts, backend);
  MIGRATIOND_RETURN_IF_ERROR(runner.Prepare());
  for (const auto& head : heads) {
    auto plan = runner.PlanUpgrade(head);
    if (!plan.ok()) return plan.status();
    MIGRATIOND_RETURN_IF_ERROR(runner.Execute(*plan, RequestIdentity::OfThisProcess()));
  }
  return Status::Ok();
}

// A scratch database and a connection to it; the connection closes first (it is declared
// second), then the database is dropped.
struct Scratch {
  std::unique_ptr<ScratchDatabase> database;
  std::unique_ptr<Backend> backend;
};

Result<Scratch> OpenScratch(const DatabaseUrl& like, const std::string& server) {
  auto created = ScratchDatabase::Create(like, server);
  if (!created.ok()) return created.status();
  Scratch scratch{std::move(created).value(), nullptr};
  auto opened = OpenBackend(scratch.database->url());
  if (!opened.ok()) return opened.status();
  scratch.backend = std::move(opened).value();
  MIGRATIOND_RETURN_IF_ERROR(scratch.backend->SkipDurability());
  return scratch;
}

Status InScratch(const Status& status) {
  return status.ok() ? status
                     : status.WithContext("building the expected schema on a scratch database");
}

}  // namespace

std::string ScriptsDigest(const ScriptDirectory& scripts, std::string_view dialect) {
  Sha256 hasher;
  for (const auto& id : scripts.graph().TopologicalOrder()) {
    hasher.Update(id + "\n" + scripts.script(id).Checksum(dialect) + "\n");
  }
  return hasher.HexDigest();
}

void ExpectedSchemas::UseDigest(const std::string& digest) {
  if (digest == digest_) return;
  digest_ = digest;
  cache_.clear();
}

Result<NormalizedSchema> ExpectedSchemas::Build(const ScriptDirectory& scripts,
                                                const std::vector<std::string>& heads) const {
  auto scratch = OpenScratch(like_, scratch_server_);
  if (!scratch.ok()) return scratch.status();
  MIGRATIOND_RETURN_IF_ERROR(InScratch(UpgradeTo(scripts, *scratch->backend, heads)));
  return scratch->backend->ReadSchema();
}

Result<NormalizedSchema> ExpectedSchemas::At(const ScriptDirectory& scripts,
                                             const std::vector<std::string>& heads) {
  if (heads.empty()) return NormalizedSchema();
  std::lock_guard lock(mutex_);
  UseDigest(ScriptsDigest(scripts, like_.dialect()));
  if (auto cached = cache_.find(Key(heads)); cached != cache_.end()) return cached->second;
  auto schema = Build(scripts, heads);
  if (schema.ok()) cache_[Key(heads)] = *schema;
  return schema;
}

namespace {

// One scratch database moved along the graph. To reach a state it undoes what the state lacks
// and applies what it misses (RevisionGraph::PlanMove) instead of building from base again at
// every branch, which made verify quadratic on graphs with merges (455 s at 340 revisions with
// 156 merges). A move whose downgrade cannot be made (a revision with no downgrade) starts a
// fresh scratch database brought to the state instead. The schema is read once per state, and
// the heads are the walk's own record, not read back from the version rows at each move.
class ScratchWalk {
 public:
  ScratchWalk(const ScriptDirectory& scripts, const DatabaseUrl& like, const std::string& server)
      : scripts_(scripts), like_(like), server_(server) {}

  // The database at exactly `heads` and their ancestors (none: base). An upgrade step that
  // fails is an error naming its script; so is a downgrade step when `may_start_over` is false.
  Status MoveTo(const std::vector<std::string>& heads, bool may_start_over = true) {
    if (scratch_) {
      auto move = scripts_.graph().PlanMove(heads_, heads);
      if (!move.ok()) return move.status();
      if (move->downgrade.steps.empty() && move->upgrade.steps.empty()) return Status::Ok();
      schema_.reset();
      Status undone = Run(move->downgrade);
      if (undone.ok()) return Reached(heads, InScratch(Run(move->upgrade)));
      if (!may_start_over) return Reached(heads, InScratch(undone));
      scratch_.reset();
    }
    auto opened = OpenScratch(like_, server_);
    if (!opened.ok()) return opened.status();
    scratch_ = std::move(opened).value();
    schema_.reset();
    return Reached(heads, InScratch(UpgradeTo(scripts_, *scratch_->backend, heads)));
  }

  Result<NormalizedSchema> Schema() {
    if (!schema_) {
      auto read = scratch_->backend->ReadSchema();
      if (!read.ok()) return read.status();
      schema_ = std::move(read).value();
    }
    return *schema_;
  }

 private:
  // After a failed move the database is somewhere in between: the next move starts over.
  Status Reached(const std::vector<std::string>& heads, Status moved) {
    if (moved.ok()) {
      heads_ = heads;
    } else {
      scratch_.reset();
    }
    return moved;
  }

  Status Run(const MigrationPlan& plan) {
    if (plan.steps.empty()) return Status::Ok();
    MigrationRunner runner(scripts_, *scratch_->backend);
    return runner.Execute(plan, RequestIdentity::OfThisProcess());
  }

  const ScriptDirectory& scripts_;
  const DatabaseUrl& like_;
  const std::string& server_;
  std::optional<Scratch> scratch_;
  std::vector<std::string> heads_;  // where scratch_ is (set with it)
  std::optional<NormalizedSchema> schema_;
};

std::vector<std::string> Sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

Result<std::vector<std::pair<std::string, NormalizedSchema>>> ExpectedSchemas::All(
    const ScriptDirectory& scripts) {
  std::lock_guard lock(mutex_);
  UseDigest(ScriptsDigest(scripts, like_.dialect()));
  const RevisionGraph& graph = scripts.graph();
  ScratchWalk walk(scripts, like_, scratch_server_);
  for (const auto& revision : graph.BranchByBranchOrder(graph.TopologicalOrder())) {
    if (cache_.count(Key({revision}))) continue;
    MIGRATIOND_RETURN_IF_ERROR(walk.MoveTo({revision}));
    auto schema = walk.Schema();
    if (!schema.ok()) return schema.status();
    cache_[Key({revision})] = std::move(schema).value();
  }
  std::vector<std::pair<std::string, NormalizedSchema>> all;
  for (const auto& revision : graph.TopologicalOrder()) {
    all.emplace_back(revision, cache_.at(Key({revision})));
  }
  return all;
}

Result<RoundTripReport> VerifyRoundTrips(const ScriptDirectory& scripts, const DatabaseUrl& like,
                                         const std::string& scratch_server, const std::string& from,
                                         const std::string& to) {
  auto revisions = scripts.graph().Between(from, to);
  if (!revisions.ok()) return revisions.status();
  RoundTripReport report;
  ScratchWalk walk(scripts, like, scratch_server);
  // Branch by branch, so that the walk rarely goes back; the report still lists the revisions
  // in the order they were verified.
  for (const auto& revision : scripts.graph().BranchByBranchOrder(*revisions)) {
    const std::vector<std::string> parents = Sorted(scripts.graph().Parents(revision));
    MIGRATIOND_RETURN_IF_ERROR(walk.MoveTo(parents));
    auto before = walk.Schema();
    if (!before.ok()) return before.status();
    MIGRATIOND_RETURN_IF_ERROR(walk.MoveTo({revision}));
    auto after = walk.Schema();
    if (!after.ok()) return after.status();
    // The revision's own downgrade: an error here names its script.
    MIGRATIOND_RETURN_IF_ERROR(walk.MoveTo(parents, false));
    auto undone = walk.Schema();
    if (!undone.ok()) return undone.status();
    if (auto differences = DiffSchemas(*before, *undone); !differences.empty()) {
      report.failure = RoundTripFailure{revision, "downgrade", std::move(differences)};
      return report;
    }
    MIGRATIOND_RETURN_IF_ERROR(walk.MoveTo({revision}));
    auto redone = walk.Schema();
    if (!redone.ok()) return redone.status();
    if (auto differences = DiffSchemas(*after, *redone); !differences.empty()) {
      report.failure = RoundTripFailure{revision, "upgrade again", std::move(differences)};
      return report;
    }
    report.verified.push_back(revision);
  }
  return report;
}

}  // namespace migrationd
