#include "core/run/expected_schema.h"

#include <algorithm>
#include <optional>

#include "core/base/sha256.h"
#include "core/run/scratch_walk.h"

namespace migrationd {
namespace {

std::string Key(const std::vector<std::string>& heads) {
  std::string key;
  for (const auto& head : heads) key += head + ",";
  return key;
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
