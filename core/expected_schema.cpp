#include "core/expected_schema.h"

#include <algorithm>
#include <optional>

#include "core/migration_runner.h"
#include "core/scratch_database.h"
#include "core/sha256.h"

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

Result<std::vector<std::pair<std::string, NormalizedSchema>>> ExpectedSchemas::All(
    const ScriptDirectory& scripts) {
  std::lock_guard lock(mutex_);
  UseDigest(ScriptsDigest(scripts, like_.dialect()));
  std::vector<std::pair<std::string, NormalizedSchema>> all;
  std::optional<Scratch> scratch;
  for (const auto& revision : scripts.graph().TopologicalOrder()) {
    if (auto cached = cache_.find(Key({revision})); cached != cache_.end()) {
      all.emplace_back(revision, cached->second);
      continue;
    }
    // Walking the topological order on one database is exact while each revision's ancestors
    // are exactly what was applied before it (a straight chain); after a branch the database
    // holds the other branch too, and the revision gets a fresh scratch database.
    if (scratch) {
      Backend& backend = *scratch->backend;
      Status moved = InScratch(UpgradeTo(scripts, backend, {revision}));
      auto heads = moved.ok() ? MigrationRunner(scripts, backend).CurrentHeads()
                              : Result<std::vector<std::string>>(moved);
      if (!heads.ok()) return heads.status();
      if (*heads != std::vector<std::string>{revision}) scratch.reset();
    }
    if (!scratch) {
      auto opened = OpenScratch(like_, scratch_server_);
      if (!opened.ok()) return opened.status();
      scratch = std::move(opened).value();
      MIGRATIOND_RETURN_IF_ERROR(InScratch(UpgradeTo(scripts, *scratch->backend, {revision})));
    }
    auto schema = scratch->backend->ReadSchema();
    if (!schema.ok()) return schema.status();
    cache_[Key({revision})] = *schema;
    all.emplace_back(revision, std::move(schema).value());
  }
  return all;
}

namespace {

Status Downgrade(const ScriptDirectory& scripts, Backend& backend) {
  MigrationRunner runner(scripts, backend);
  auto plan = runner.PlanDowngrade("-1");
  if (!plan.ok()) return plan.status();
  return runner.Execute(*plan, RequestIdentity::OfThisProcess());
}

}  // namespace

Result<RoundTripReport> VerifyRoundTrips(const ScriptDirectory& scripts, const DatabaseUrl& like,
                                         const std::string& scratch_server, const std::string& from,
                                         const std::string& to) {
  auto revisions = scripts.graph().Between(from, to);
  if (!revisions.ok()) return revisions.status();
  RoundTripReport report;
  std::optional<Scratch> scratch;
  for (const auto& revision : *revisions) {
    // One database walks a straight chain; a revision whose parents are not exactly what the
    // database is at (after a branch) starts on a fresh one brought to its parents.
    std::vector<std::string> parents = scripts.graph().Parents(revision);
    std::sort(parents.begin(), parents.end());
    if (scratch) {
      auto heads = MigrationRunner(scripts, *scratch->backend).CurrentHeads();
      if (!heads.ok()) return heads.status();
      if (*heads != parents) scratch.reset();
    }
    if (!scratch) {
      auto opened = OpenScratch(like, scratch_server);
      if (!opened.ok()) return opened.status();
      scratch = std::move(opened).value();
      MIGRATIOND_RETURN_IF_ERROR(InScratch(UpgradeTo(scripts, *scratch->backend, parents)));
    }
    Backend& backend = *scratch->backend;
    auto before = backend.ReadSchema();
    if (!before.ok()) return before.status();
    MIGRATIOND_RETURN_IF_ERROR(InScratch(UpgradeTo(scripts, backend, {revision})));
    auto after = backend.ReadSchema();
    if (!after.ok()) return after.status();
    MIGRATIOND_RETURN_IF_ERROR(InScratch(Downgrade(scripts, backend)));
    auto undone = backend.ReadSchema();
    if (!undone.ok()) return undone.status();
    if (auto differences = DiffSchemas(*before, *undone); !differences.empty()) {
      report.failure = RoundTripFailure{revision, "downgrade", std::move(differences)};
      return report;
    }
    MIGRATIOND_RETURN_IF_ERROR(InScratch(UpgradeTo(scripts, backend, {revision})));
    auto redone = backend.ReadSchema();
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
