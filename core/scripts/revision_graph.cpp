#include "core/scripts/revision_graph.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <queue>
#include <set>

namespace migrationd {
namespace {

std::string Join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : separator) + item;
  return joined;
}

std::string Describe(const std::vector<std::string>& heads) {
  return heads.empty() ? "base (nothing applied)" : Join(heads);
}

// Parses "+N" or "-N" (N >= 1) for the given sign; nullopt if `spec` is not of that form.
std::optional<size_t> ParseRelative(std::string_view spec, char sign) {
  if (spec.size() < 2 || spec[0] != sign) return std::nullopt;
  size_t n = 0;
  auto [end, error] = std::from_chars(spec.data() + 1, spec.data() + spec.size(), n);
  if (error != std::errc() || end != spec.data() + spec.size() || n == 0) return std::nullopt;
  return n;
}

}  // namespace

Result<RevisionGraph> RevisionGraph::Build(std::vector<RevisionNode> nodes) {
  RevisionGraph graph;
  const size_t n = nodes.size();
  graph.ids_.reserve(n);
  graph.index_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto [it, inserted] = graph.index_.emplace(nodes[i].id, static_cast<int>(i));
    if (!inserted) {
      return Status::ParseError("duplicate revision id '" + nodes[i].id + "' in " +
                                graph.origins_[static_cast<size_t>(it->second)] + " and " +
                                nodes[i].origin + "; every revision needs its own id");
    }
    graph.ids_.push_back(nodes[i].id);
    graph.origins_.push_back(std::move(nodes[i].origin));
  }
  graph.parents_.resize(n);
  graph.children_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    for (const auto& parent : nodes[i].parents) {
      auto it = graph.index_.find(parent);
      if (it == graph.index_.end()) {
        return Status::ParseError(graph.origins_[i] + ": revision '" + graph.ids_[i] +
                                  "' names unknown parent '" + parent +
                                  "'; fix its 'parents:' line or add the missing revision");
      }
      graph.parents_[i].push_back(it->second);
      graph.children_[static_cast<size_t>(it->second)].push_back(static_cast<int>(i));
    }
  }

  // Kahn's algorithm; a min-heap on id keeps the order stable whatever the file order.
  std::vector<size_t> waiting(n);
  auto by_id = [&](int a, int b) { return graph.ids_[a] > graph.ids_[b]; };
  std::priority_queue<int, std::vector<int>, decltype(by_id)> ready(by_id);
  for (size_t i = 0; i < n; ++i) {
    waiting[i] = graph.parents_[i].size();
    if (waiting[i] == 0) ready.push(static_cast<int>(i));
  }
  graph.topological_pos_.assign(n, -1);
  while (!ready.empty()) {
    int current = ready.top();
    ready.pop();
    graph.topological_pos_[current] = static_cast<int>(graph.topological_.size());
    graph.topological_.push_back(current);
    for (int child : graph.children_[current]) {
      if (--waiting[child] == 0) ready.push(child);
    }
  }
  if (graph.topological_.size() != n) {
    // Every revision left over has a left-over parent: walking parents must meet a cycle.
    int start = 0;
    while (graph.topological_pos_[start] != -1) ++start;
    std::vector<int> seen_at(n, -1);
    std::vector<int> walk;
    int current = start;
    while (seen_at[current] == -1) {
      seen_at[current] = static_cast<int>(walk.size());
      walk.push_back(current);
      for (int parent : graph.parents_[current]) {
        if (graph.topological_pos_[parent] == -1) {
          current = parent;
          break;
        }
      }
    }
    std::vector<std::string> cycle;
    for (size_t i = static_cast<size_t>(seen_at[current]); i < walk.size(); ++i) {
      cycle.push_back(graph.ids_[walk[i]] + " (" + graph.origins_[walk[i]] + ")");
    }
    std::reverse(cycle.begin(), cycle.end());
    return Status::ParseError("revision graph has a cycle: " + Join(cycle, " -> ") +
                              "; a revision cannot be its own ancestor");
  }

  graph.sorted_by_id_ = graph.topological_;
  std::sort(graph.sorted_by_id_.begin(), graph.sorted_by_id_.end(),
            [&](int a, int b) { return graph.ids_[a] < graph.ids_[b]; });
  for (int i : graph.sorted_by_id_) {
    if (graph.children_[i].empty()) graph.heads_.push_back(graph.ids_[i]);
    if (graph.parents_[i].empty()) graph.bases_.push_back(graph.ids_[i]);
  }
  return graph;
}

int RevisionGraph::IndexOf(std::string_view id) const {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? -1 : it->second;
}

std::vector<std::string> RevisionGraph::Parents(std::string_view id) const {
  std::vector<std::string> result;
  if (int i = IndexOf(id); i >= 0) {
    for (int parent : parents_[i]) result.push_back(ids_[parent]);
  }
  return result;
}

std::vector<std::string> RevisionGraph::Children(std::string_view id) const {
  std::vector<std::string> result;
  if (int i = IndexOf(id); i >= 0) {
    for (int child : children_[i]) result.push_back(ids_[child]);
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::vector<std::string> RevisionGraph::TopologicalOrder() const {
  std::vector<std::string> result;
  result.reserve(topological_.size());
  for (int i : topological_) result.push_back(ids_[i]);
  return result;
}

Result<std::string> RevisionGraph::ResolveRevision(std::string_view spec) const {
  if (spec.empty()) return Status::InvalidArgument("empty revision");
  if (int exact = IndexOf(spec); exact >= 0) return ids_[exact];
  auto first = std::lower_bound(sorted_by_id_.begin(), sorted_by_id_.end(), spec,
                                [&](int i, std::string_view s) { return ids_[i] < s; });
  std::vector<std::string> matches;
  for (auto it = first; it != sorted_by_id_.end() && ids_[*it].starts_with(spec); ++it) {
    matches.push_back(ids_[*it]);
  }
  if (matches.empty()) {
    return Status::NotFound("unknown revision '" + std::string(spec) +
                            "'; 'migctl history' lists the known revisions");
  }
  if (matches.size() > 1) {
    if (matches.size() > 10) {
      matches.resize(10);
      matches.emplace_back("...");
    }
    return Status::InvalidArgument("revision prefix '" + std::string(spec) +
                                   "' is ambiguous; it matches " + Join(matches) +
                                   "; give more characters");
  }
  return matches.front();
}

Result<std::string> RevisionGraph::SingleHead() const {
  if (heads_.size() == 1) return heads_.front();
  if (heads_.empty()) return Status::NotFound("there are no revisions");
  return Status::Integrity("the scripts have several heads: " + Join(heads_) +
                           "; create a merge revision whose parents are these heads, or name "
                           "one target ('heads' upgrades all of them)");
}

Result<std::vector<int>> RevisionGraph::CurrentIndexes(
    const std::vector<std::string>& heads) const {
  std::vector<int> indexes;
  for (const auto& head : heads) {
    int i = IndexOf(head);
    if (i < 0) {
      return Status::Integrity("the database is at revision '" + head +
                               "', which no script defines; restore the missing script, or "
                               "'migctl stamp' the database to a known revision");
    }
    indexes.push_back(i);
  }
  return indexes;
}

std::vector<char> RevisionGraph::AncestorsOf(const std::vector<int>& starts) const {
  std::vector<char> seen(ids_.size(), 0);
  std::vector<int> stack(starts.begin(), starts.end());
  while (!stack.empty()) {
    int current = stack.back();
    stack.pop_back();
    if (seen[current]) continue;
    seen[current] = 1;
    for (int parent : parents_[current]) stack.push_back(parent);
  }
  return seen;
}

std::vector<char> RevisionGraph::DescendantsOf(int start) const {
  std::vector<char> seen(ids_.size(), 0);
  std::vector<int> stack(children_[start].begin(), children_[start].end());
  while (!stack.empty()) {
    int current = stack.back();
    stack.pop_back();
    if (seen[current]) continue;
    seen[current] = 1;
    for (int child : children_[current]) stack.push_back(child);
  }
  return seen;
}

std::vector<std::string> RevisionGraph::HeadsOf(const std::vector<char>& applied) const {
  std::vector<std::string> heads;
  for (int i : sorted_by_id_) {
    if (!applied[i]) continue;
    bool has_applied_child = std::any_of(children_[i].begin(), children_[i].end(),
                                         [&](int child) { return applied[child] != 0; });
    if (!has_applied_child) heads.push_back(ids_[i]);
  }
  return heads;
}

Result<std::vector<std::string>> RevisionGraph::NormalizeHeads(
    const std::vector<std::string>& recorded) const {
  auto indexes = CurrentIndexes(recorded);
  if (!indexes.ok()) return indexes.status();
  return HeadsOf(AncestorsOf(*indexes));
}

Result<std::vector<std::string>> RevisionGraph::Pending(
    const std::vector<std::string>& current_heads) const {
  auto indexes = CurrentIndexes(current_heads);
  if (!indexes.ok()) return indexes.status();
  std::vector<char> applied = AncestorsOf(*indexes);
  std::vector<std::string> pending;
  for (int i : topological_) {
    if (!applied[i]) pending.push_back(ids_[i]);
  }
  return pending;
}

Result<std::vector<std::string>> RevisionGraph::Between(std::string_view from,
                                                        std::string_view to) const {
  std::vector<char> below(ids_.size(), 1);
  if (!to.empty()) {
    auto top = ResolveRevision(to);
    if (!top.ok()) return top.status();
    below = AncestorsOf({IndexOf(*top)});
  }
  std::vector<char> above(ids_.size(), 1);
  if (!from.empty()) {
    auto bottom = ResolveRevision(from);
    if (!bottom.ok()) return bottom.status();
    above = DescendantsOf(IndexOf(*bottom));
    above[IndexOf(*bottom)] = 1;
  }
  std::vector<std::string> result;
  for (int i : topological_) {
    if (below[i] && above[i]) result.push_back(ids_[i]);
  }
  return result;
}

std::vector<std::string> RevisionGraph::BranchByBranchOrder(
    const std::vector<std::string>& revisions) const {
  std::vector<char> wanted(ids_.size(), 0);
  for (const auto& id : revisions) wanted[IndexOf(id)] = 1;
  // Kahn's algorithm over the wanted revisions with a stack instead of a queue: the children a
  // revision makes ready are taken next, so a branch is followed to its end.
  std::vector<int> waiting_parents(ids_.size(), 0);
  std::vector<int> ready;
  for (auto it = topological_.rbegin(); it != topological_.rend(); ++it) {
    if (!wanted[*it]) continue;
    for (int parent : parents_[*it]) waiting_parents[*it] += wanted[parent];
    if (waiting_parents[*it] == 0) ready.push_back(*it);
  }
  std::vector<std::string> order;
  while (!ready.empty()) {
    const int current = ready.back();
    ready.pop_back();
    order.push_back(ids_[current]);
    // Pushed in reverse topological order, so the earliest child is taken first.
    std::vector<int> children = children_[current];
    std::sort(children.begin(), children.end(),
              [this](int a, int b) { return topological_pos_[a] > topological_pos_[b]; });
    for (int child : children) {
      if (wanted[child] && --waiting_parents[child] == 0) ready.push_back(child);
    }
  }
  return order;
}

Result<RevisionGraph::Move> RevisionGraph::PlanMove(
    const std::vector<std::string>& current_heads,
    const std::vector<std::string>& target_heads) const {
  auto current = CurrentIndexes(current_heads);
  if (!current.ok()) return current.status();
  std::vector<int> targets;
  for (const auto& id : target_heads) {
    if (!Contains(id)) return Status::NotFound("unknown revision '" + id + "'");
    targets.push_back(IndexOf(id));
  }
  std::vector<char> applied = AncestorsOf(*current);
  const std::vector<char> wanted = AncestorsOf(targets);
  std::vector<int> undo;
  for (auto it = topological_.rbegin(); it != topological_.rend(); ++it) {
    if (applied[*it] && !wanted[*it]) undo.push_back(*it);
  }
  Move move;
  move.downgrade = MakePlan(Direction::kDowngrade, applied, undo);
  for (int i : undo) applied[i] = 0;
  std::vector<int> apply;
  for (int i : topological_) {
    if (wanted[i] && !applied[i]) apply.push_back(i);
  }
  move.upgrade = MakePlan(Direction::kUpgrade, std::move(applied), apply);
  return move;
}

MigrationPlan RevisionGraph::MakePlan(Direction direction, std::vector<char> applied,
                                      const std::vector<int>& order) const {
  MigrationPlan plan;
  plan.direction = direction;
  plan.heads_before = HeadsOf(applied);
  // Heads are kept as a set ordered by id and updated one step at a time, so a long plan costs
  // O(steps * heads) rather than a graph walk per step.
  auto by_id = [this](int a, int b) { return ids_[a] < ids_[b]; };
  std::set<int, decltype(by_id)> heads(by_id);
  for (const auto& head : plan.heads_before) heads.insert(IndexOf(head));
  for (int step : order) {
    if (direction == Direction::kUpgrade) {
      applied[step] = 1;
      for (int parent : parents_[step]) heads.erase(parent);
      heads.insert(step);
    } else {
      applied[step] = 0;
      heads.erase(step);
      for (int parent : parents_[step]) {
        bool still_needed = std::any_of(children_[parent].begin(), children_[parent].end(),
                                        [&](int child) { return applied[child] != 0; });
        if (!still_needed) heads.insert(parent);
      }
    }
    PlannedStep planned{ids_[step], direction, {}};
    for (int head : heads) planned.heads_after.push_back(ids_[head]);
    plan.steps.push_back(std::move(planned));
  }
  return plan;
}

Result<MigrationPlan> RevisionGraph::PlanUpgrade(const std::vector<std::string>& current_heads,
                                                 std::string_view target) const {
  auto current = CurrentIndexes(current_heads);
  if (!current.ok()) return current.status();
  std::vector<char> applied = AncestorsOf(*current);
  if (target == "base" || target.starts_with('-')) {
    return Status::InvalidArgument("'" + std::string(target) +
                                   "' is a downgrade target; use 'downgrade " +
                                   std::string(target) + "'");
  }

  std::vector<int> wanted_tops;
  std::optional<size_t> relative = ParseRelative(target, '+');
  if (target == "head") {
    auto head = SingleHead();
    if (!head.ok()) return head.status();
    wanted_tops.push_back(IndexOf(*head));
  } else if (target == "heads" || relative) {
    for (const auto& head : heads_) wanted_tops.push_back(IndexOf(head));
  } else if (target.starts_with('+')) {
    return Status::InvalidArgument("'" + std::string(target) +
                                   "' is not a valid relative target; "
                                   "use +N with N >= 1");
  } else {
    auto resolved = ResolveRevision(target);
    if (!resolved.ok()) return resolved.status();
    wanted_tops.push_back(IndexOf(*resolved));
  }

  std::vector<char> wanted = AncestorsOf(wanted_tops);
  std::vector<int> order;
  for (int i : topological_) {
    if (wanted[i] && !applied[i]) order.push_back(i);
  }
  if (relative) {
    if (*relative > order.size()) {
      return Status::InvalidArgument("cannot upgrade " + std::string(target) + ": only " +
                                     std::to_string(order.size()) + " revision(s) are pending");
    }
    order.resize(*relative);
  }
  return MakePlan(Direction::kUpgrade, std::move(applied), order);
}

Result<MigrationPlan> RevisionGraph::PlanDowngrade(const std::vector<std::string>& current_heads,
                                                   std::string_view target) const {
  auto current = CurrentIndexes(current_heads);
  if (!current.ok()) return current.status();
  std::vector<char> applied = AncestorsOf(*current);
  if (target == "head" || target == "heads" || target.starts_with('+')) {
    return Status::InvalidArgument("'" + std::string(target) +
                                   "' is an upgrade target; use 'upgrade " + std::string(target) +
                                   "'");
  }

  std::vector<int> order;  // reverse topological: children are undone before their parents
  for (auto it = topological_.rbegin(); it != topological_.rend(); ++it) {
    if (applied[*it]) order.push_back(*it);
  }
  if (target == "base") {
    // every applied revision
  } else if (auto relative = ParseRelative(target, '-')) {
    if (*relative > order.size()) {
      return Status::InvalidArgument("cannot downgrade " + std::string(target) + ": only " +
                                     std::to_string(order.size()) + " revision(s) are applied");
    }
    order.resize(*relative);
  } else if (target.starts_with('-')) {
    return Status::InvalidArgument("'" + std::string(target) +
                                   "' is not a valid relative target; "
                                   "use -N with N >= 1");
  } else {
    auto resolved = ResolveRevision(target);
    if (!resolved.ok()) return resolved.status();
    int keep = IndexOf(*resolved);
    if (!applied[keep]) {
      return Status::InvalidArgument("cannot downgrade to '" + *resolved +
                                     "': it is not applied (the database is at " +
                                     Describe(HeadsOf(applied)) + ")");
    }
    std::vector<char> descendants = DescendantsOf(keep);
    std::erase_if(order, [&](int i) { return !descendants[i]; });
  }
  return MakePlan(Direction::kDowngrade, std::move(applied), order);
}

}  // namespace migrationd
