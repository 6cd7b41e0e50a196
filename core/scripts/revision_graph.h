// RevisionGraph: the pure graph of revisions (no files, no database).
//
// Revisions name their parents; a base has none, a merge has two or more. The graph answers:
// heads and bases, ancestry, target resolution (Alembic's words: head, heads, base, +N, -N, a
// full id or a unique prefix) and the ordered plan of steps between the database's current heads
// and a target, in either direction. Everything is linear or n log n in the number of
// revisions. Immutable after Build(); safe to share between threads.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "core/scripts/script.h"

namespace migrationd {

struct RevisionNode {
  std::string id;
  std::vector<std::string> parents;
  std::string origin;  // where it was defined ("file.sql:2"), for messages; may be empty
};

struct PlannedStep {
  std::string revision;
  Direction direction = Direction::kUpgrade;
  std::vector<std::string> heads_after;  // the version table's rows once this step is done
};

struct MigrationPlan {
  Direction direction = Direction::kUpgrade;
  std::vector<std::string> heads_before;
  std::vector<PlannedStep> steps;  // in the order they must run; empty if nothing to do
  // `migctl resume`: the first step is a `transaction: none` revision whose first statements
  // already ran; it continues after this many.
  size_t first_step_resumes_after = 0;
};

class RevisionGraph {
 public:
  // Validates the nodes: unique ids, known parents, no cycles.
  static Result<RevisionGraph> Build(std::vector<RevisionNode> nodes);

  size_t size() const { return ids_.size(); }
  bool Contains(std::string_view id) const { return index_.count(std::string(id)) > 0; }
  const std::vector<std::string>& Heads() const { return heads_; }  // sorted by id
  const std::vector<std::string>& Bases() const { return bases_; }  // sorted by id
  std::vector<std::string> Parents(std::string_view id) const;
  std::vector<std::string> Children(std::string_view id) const;
  // All revisions, parents before children (ties broken by id, so the order is stable).
  std::vector<std::string> TopologicalOrder() const;

  // A full id, or a prefix that matches exactly one id.
  Result<std::string> ResolveRevision(std::string_view spec) const;

  // The single head; an integrity error naming the heads if there are several.
  Result<std::string> SingleHead() const;

  // Checks that every revision the database records exists here, and reduces the set to its
  // real heads (a recorded revision that is an ancestor of another recorded one is dropped).
  Result<std::vector<std::string>> NormalizeHeads(const std::vector<std::string>& recorded) const;

  // Revisions not yet applied when the database is at `current_heads` (in topological order).
  Result<std::vector<std::string>> Pending(const std::vector<std::string>& current_heads) const;

  // Revisions that descend from `from` and lead to `to` (both inclusive), in topological order.
  // Empty `from` means every base, empty `to` every head (history -r A:B).
  Result<std::vector<std::string>> Between(std::string_view from, std::string_view to) const;

  // `revisions` (ids of this graph) in an order where each comes after its parents among them,
  // and, where it can, right after one of its parents: a walk that follows a branch to its end
  // before it starts the next, so that a scratch database moving along it goes back and forth
  // as little as possible (verify, the expected schemas).
  std::vector<std::string> BranchByBranchOrder(const std::vector<std::string>& revisions) const;

  // What brings a database from `current_heads` to exactly `target_heads` and their ancestors:
  // first the applied revisions outside them undone (children first), then the missing ones
  // applied. Either plan may be empty.
  struct Move {
    MigrationPlan downgrade;
    MigrationPlan upgrade;
  };
  Result<Move> PlanMove(const std::vector<std::string>& current_heads,
                        const std::vector<std::string>& target_heads) const;

  // Plans `upgrade TARGET` (head, heads, +N, an id or prefix) from `current_heads`.
  Result<MigrationPlan> PlanUpgrade(const std::vector<std::string>& current_heads,
                                    std::string_view target) const;
  // Plans `downgrade TARGET` (base, -N, an id or prefix) from `current_heads`.
  Result<MigrationPlan> PlanDowngrade(const std::vector<std::string>& current_heads,
                                      std::string_view target) const;

 private:
  RevisionGraph() = default;
  int IndexOf(std::string_view id) const;
  std::vector<char> AncestorsOf(const std::vector<int>& starts) const;  // inclusive
  std::vector<char> DescendantsOf(int start) const;                     // exclusive
  Result<std::vector<int>> CurrentIndexes(const std::vector<std::string>& heads) const;
  std::vector<std::string> HeadsOf(const std::vector<char>& applied) const;
  MigrationPlan MakePlan(Direction direction, std::vector<char> applied,
                         const std::vector<int>& order) const;

  std::vector<std::string> ids_;
  std::vector<std::string> origins_;
  std::unordered_map<std::string, int> index_;
  std::vector<std::vector<int>> parents_;
  std::vector<std::vector<int>> children_;
  std::vector<int> topological_;      // indexes in topological order
  std::vector<int> topological_pos_;  // index -> position in topological_
  std::vector<int> sorted_by_id_;     // indexes sorted by id, for prefix lookup
  std::vector<std::string> heads_;
  std::vector<std::string> bases_;
};

}  // namespace migrationd
