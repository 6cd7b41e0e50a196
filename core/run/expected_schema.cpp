#include "core/run/expected_schema.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <thread>

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

namespace {

// What one worker of verify found over its share of the revisions.
struct VerifiedShare {
  Status status = Status::Ok();
  RoundTripReport report;
};

// Verifies `revisions` in their order on a walk of its own (ScratchWalk). `earlier_failed`
// says whether a share before this one already failed, which makes this one's work moot.
VerifiedShare VerifyShare(const ScriptDirectory& scripts, const DatabaseUrl& like,
                          const std::string& scratch_server,
                          const std::vector<std::string>& revisions,
                          const std::function<bool()>& earlier_failed) {
  VerifiedShare share;
  RoundTripReport& report = share.report;
  ScratchWalk walk(scripts, like, scratch_server);
  auto fail = [&share](Status status) {
    share.status = std::move(status);
    return share;
  };
  for (const auto& revision : revisions) {
    if (earlier_failed()) break;
    const std::vector<std::string> parents = Sorted(scripts.graph().Parents(revision));
    if (Status moved = walk.MoveTo(parents); !moved.ok()) return fail(moved);
    auto before = walk.Schema();
    if (!before.ok()) return fail(before.status());
    if (Status moved = walk.MoveTo({revision}); !moved.ok()) return fail(moved);
    auto after = walk.Schema();
    if (!after.ok()) return fail(after.status());
    // The revision's own downgrade: an error here names its script.
    if (Status moved = walk.MoveTo(parents, false); !moved.ok()) return fail(moved);
    auto undone = walk.Schema();
    if (!undone.ok()) return fail(undone.status());
    if (auto differences = DiffSchemas(*before, *undone); !differences.empty()) {
      report.failure = RoundTripFailure{revision, "downgrade", std::move(differences)};
      return share;
    }
    if (Status moved = walk.MoveTo({revision}); !moved.ok()) return fail(moved);
    auto redone = walk.Schema();
    if (!redone.ok()) return fail(redone.status());
    if (auto differences = DiffSchemas(*after, *redone); !differences.empty()) {
      report.failure = RoundTripFailure{revision, "upgrade again", std::move(differences)};
      return share;
    }
    report.verified.push_back(revision);
  }
  return share;
}

// How many walks verify runs side by side: as many as asked (verify_workers), else one per
// core, at most four, and none with fewer than kRevisionsPerWorker revisions (every walk but
// the first builds its starting state from base first, which a small share would not repay).
constexpr size_t kRevisionsPerWorker = 60;
constexpr size_t kMaxWorkers = 4;
size_t VerifyWorkers(size_t revisions, int asked) {
  if (asked > 0)
    return std::clamp<size_t>(static_cast<size_t>(asked), 1, std::max<size_t>(revisions, 1));
  const size_t cores = std::max(1U, std::thread::hardware_concurrency());
  return std::clamp<size_t>(revisions / kRevisionsPerWorker, 1, std::min(cores, kMaxWorkers));
}

}  // namespace

Result<RoundTripReport> VerifyRoundTrips(const ScriptDirectory& scripts, const DatabaseUrl& like,
                                         const std::string& scratch_server, const std::string& from,
                                         const std::string& to, int workers_asked) {
  auto revisions = scripts.graph().Between(from, to);
  if (!revisions.ok()) return revisions.status();
  // Branch by branch, so that each walk rarely goes back; the report still lists the revisions
  // in the order they were verified. The order is cut into consecutive shares, each verified on
  // a scratch database of its own at the same time: a walk's server session is busy all along
  // (DDL, schema reads), so on a server with cores to spare two walks take about half the time.
  const std::vector<std::string> order = scripts.graph().BranchByBranchOrder(*revisions);
  const size_t workers = VerifyWorkers(order.size(), workers_asked);
  std::vector<std::vector<std::string>> shares(workers);
  for (size_t i = 0; i < order.size(); ++i) shares[i * workers / order.size()].push_back(order[i]);
  std::vector<VerifiedShare> verified(workers);
  // The first share that failed (or could not run): the later ones stop, their work is moot.
  std::atomic<size_t> first_failed{workers};
  auto verify = [&](size_t index) {
    verified[index] = VerifyShare(scripts, like, scratch_server, shares[index],
                                  [&] { return first_failed.load() < index; });
    if (!verified[index].status.ok() || verified[index].report.failure) {
      size_t current = first_failed.load();
      while (index < current && !first_failed.compare_exchange_weak(current, index)) {
      }
    }
  };
  {
    std::vector<std::jthread> others;
    for (size_t index = 1; index < workers; ++index) others.emplace_back(verify, index);
    verify(0);
  }
  RoundTripReport report;
  for (auto& share : verified) {
    if (!share.status.ok()) return share.status;
    report.verified.insert(report.verified.end(), share.report.verified.begin(),
                           share.report.verified.end());
    if (share.report.failure) {
      report.failure = std::move(share.report.failure);
      return report;
    }
  }
  return report;
}

}  // namespace migrationd
