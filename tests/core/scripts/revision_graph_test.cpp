// RevisionGraph: graphs are built inline, with no files and no database.
#include "core/scripts/revision_graph.h"

#include <catch2/catch.hpp>
#include <chrono>

namespace migrationd {
namespace {

using Ids = std::vector<std::string>;

RevisionGraph MustBuild(std::vector<RevisionNode> nodes) {
  auto graph = RevisionGraph::Build(std::move(nodes));
  REQUIRE(graph.ok());
  return std::move(graph).value();
}

// a <- b <- c <- d
RevisionGraph Chain() {
  return MustBuild({{"a", {}, ""}, {"b", {"a"}, ""}, {"c", {"b"}, ""}, {"d", {"c"}, ""}});
}

// base <- x1 <- x2 --+
//      <- y1 --------+-- merge <- top
RevisionGraph Diamond() {
  return MustBuild({{"base", {}, ""},
                    {"x1", {"base"}, ""},
                    {"x2", {"x1"}, ""},
                    {"y1", {"base"}, ""},
                    {"merge", {"x2", "y1"}, ""},
                    {"top", {"merge"}, ""}});
}

Ids Revisions(const MigrationPlan& plan) {
  Ids ids;
  for (const auto& step : plan.steps) ids.push_back(step.revision);
  return ids;
}

TEST_CASE("graph rejects duplicate ids, naming both origins", "[graph]") {
  auto graph = RevisionGraph::Build({{"a", {}, "one.sql:2"}, {"a", {}, "two.sql:2"}});
  REQUIRE_FALSE(graph.ok());
  CHECK(graph.status().code() == ErrorCode::kParseError);
  CHECK_THAT(graph.status().message(), Catch::Contains("duplicate revision id 'a'") &&
                                           Catch::Contains("one.sql:2") &&
                                           Catch::Contains("two.sql:2"));
}

TEST_CASE("graph rejects an unknown parent, naming the file line", "[graph]") {
  auto graph = RevisionGraph::Build({{"a", {}, "a.sql:2"}, {"b", {"zzz"}, "b.sql:2"}});
  REQUIRE_FALSE(graph.ok());
  CHECK_THAT(graph.status().message(),
             Catch::Contains("b.sql:2") && Catch::Contains("unknown parent 'zzz'"));
}

TEST_CASE("graph rejects cycles and names the revisions on the cycle", "[graph]") {
  auto graph = RevisionGraph::Build({{"a", {}, "a.sql"},
                                     {"b", {"a", "d"}, "b.sql"},
                                     {"c", {"b"}, "c.sql"},
                                     {"d", {"c"}, "d.sql"}});
  REQUIRE_FALSE(graph.ok());
  const std::string message = graph.status().message();  // status() returns a copy
  CHECK_THAT(message, Catch::Contains("cycle"));
  CHECK_THAT(message, Catch::Contains("b (b.sql)") && Catch::Contains("c (c.sql)") &&
                          Catch::Contains("d (d.sql)"));
  CHECK_THAT(message, !Catch::Contains("a (a.sql)"));

  auto self = RevisionGraph::Build({{"a", {"a"}, "a.sql"}});
  REQUIRE_FALSE(self.ok());
  CHECK_THAT(self.status().message(), Catch::Contains("cycle"));
}

TEST_CASE("heads, bases and topological order", "[graph]") {
  RevisionGraph graph = Diamond();
  CHECK(graph.Heads() == Ids{"top"});
  CHECK(graph.Bases() == Ids{"base"});
  CHECK(graph.TopologicalOrder() == Ids{"base", "x1", "x2", "y1", "merge", "top"});
  CHECK(graph.Parents("merge") == Ids{"x2", "y1"});
  CHECK(graph.Children("base") == Ids{"x1", "y1"});
}

TEST_CASE("several heads are reported until a merge joins them", "[graph]") {
  RevisionGraph graph =
      MustBuild({{"base", {}, ""}, {"left", {"base"}, ""}, {"right", {"base"}, ""}});
  CHECK(graph.Heads() == Ids{"left", "right"});
  auto head = graph.SingleHead();
  REQUIRE_FALSE(head.ok());
  CHECK(head.status().code() == ErrorCode::kIntegrity);
  CHECK_THAT(head.status().message(),
             Catch::Contains("left, right") && Catch::Contains("merge revision"));
  auto upgrade = graph.PlanUpgrade({}, "head");
  REQUIRE_FALSE(upgrade.ok());
  CHECK(upgrade.status().code() == ErrorCode::kIntegrity);

  auto all = graph.PlanUpgrade({}, "heads");
  REQUIRE(all.ok());
  CHECK(Revisions(*all) == Ids{"base", "left", "right"});
  CHECK(all->steps.back().heads_after == Ids{"left", "right"});

  RevisionGraph merged = MustBuild({{"base", {}, ""},
                                    {"left", {"base"}, ""},
                                    {"right", {"base"}, ""},
                                    {"m", {"left", "right"}, ""}});
  CHECK(merged.Heads() == Ids{"m"});
  auto from_two_heads = merged.PlanUpgrade({"left", "right"}, "head");
  REQUIRE(from_two_heads.ok());
  CHECK(Revisions(*from_two_heads) == Ids{"m"});
  CHECK(from_two_heads->steps[0].heads_after == Ids{"m"});
}

TEST_CASE("target resolution: full id, unique prefix, ambiguous prefix, unknown", "[graph]") {
  RevisionGraph graph = MustBuild({{"001_users", {}, ""},
                                   {"002_groups", {"001_users"}, ""},
                                   {"003_group_index", {"002_groups"}, ""}});
  CHECK(*graph.ResolveRevision("002_groups") == "002_groups");
  CHECK(*graph.ResolveRevision("002") == "002_groups");
  auto ambiguous = graph.ResolveRevision("00");
  REQUIRE_FALSE(ambiguous.ok());
  CHECK(ambiguous.status().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(ambiguous.status().message(),
             Catch::Contains("ambiguous") && Catch::Contains("001_users") &&
                 Catch::Contains("002_groups") && Catch::Contains("003_group_index"));
  auto unknown = graph.ResolveRevision("999");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == ErrorCode::kNotFound);
}

TEST_CASE("upgrade targets: head, +N, an id, nothing to do", "[graph]") {
  RevisionGraph graph = Chain();
  CHECK(Revisions(*graph.PlanUpgrade({}, "head")) == Ids{"a", "b", "c", "d"});
  CHECK(Revisions(*graph.PlanUpgrade({"b"}, "head")) == Ids{"c", "d"});
  CHECK(Revisions(*graph.PlanUpgrade({"a"}, "+2")) == Ids{"b", "c"});
  CHECK(Revisions(*graph.PlanUpgrade({}, "c")) == Ids{"a", "b", "c"});
  CHECK(graph.PlanUpgrade({"d"}, "head")->steps.empty());
  CHECK(graph.PlanUpgrade({"d"}, "b")->steps.empty());  // already past b

  auto plan = graph.PlanUpgrade({"a"}, "head");
  REQUIRE(plan.ok());
  CHECK(plan->heads_before == Ids{"a"});
  CHECK(plan->steps[0].heads_after == Ids{"b"});
  CHECK(plan->steps[2].heads_after == Ids{"d"});

  auto too_far = graph.PlanUpgrade({"c"}, "+2");
  REQUIRE_FALSE(too_far.ok());
  CHECK_THAT(too_far.status().message(), Catch::Contains("only 1 revision(s) are pending"));
  CHECK(graph.PlanUpgrade({}, "-1").status().code() == ErrorCode::kInvalidArgument);
  CHECK(graph.PlanUpgrade({}, "+0").status().code() == ErrorCode::kInvalidArgument);
  CHECK(graph.PlanUpgrade({}, "+x").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("downgrade targets: -N, an id, base", "[graph]") {
  RevisionGraph graph = Chain();
  auto one = graph.PlanDowngrade({"d"}, "-1");
  REQUIRE(one.ok());
  CHECK(Revisions(*one) == Ids{"d"});
  CHECK(one->direction == Direction::kDowngrade);
  CHECK(one->steps[0].heads_after == Ids{"c"});
  CHECK(Revisions(*graph.PlanDowngrade({"d"}, "-3")) == Ids{"d", "c", "b"});
  CHECK(Revisions(*graph.PlanDowngrade({"d"}, "b")) == Ids{"d", "c"});
  auto base = graph.PlanDowngrade({"d"}, "base");
  REQUIRE(base.ok());
  CHECK(Revisions(*base) == Ids{"d", "c", "b", "a"});
  CHECK(base->steps.back().heads_after.empty());
  CHECK(graph.PlanDowngrade({}, "base")->steps.empty());

  auto too_far = graph.PlanDowngrade({"b"}, "-3");
  REQUIRE_FALSE(too_far.ok());
  CHECK_THAT(too_far.status().message(), Catch::Contains("only 2 revision(s) are applied"));
  auto not_applied = graph.PlanDowngrade({"b"}, "d");
  REQUIRE_FALSE(not_applied.ok());
  CHECK_THAT(not_applied.status().message(), Catch::Contains("not applied"));
  CHECK(graph.PlanDowngrade({"d"}, "head").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("branches and merges: paths in both directions keep heads right", "[graph]") {
  RevisionGraph graph = Diamond();
  auto up = graph.PlanUpgrade({"x1"}, "head");
  REQUIRE(up.ok());
  CHECK(Revisions(*up) == Ids{"x2", "y1", "merge", "top"});
  CHECK(up->steps[0].heads_after == Ids{"x2"});
  CHECK(up->steps[1].heads_after == Ids{"x2", "y1"});
  CHECK(up->steps[2].heads_after == Ids{"merge"});

  // Undoing the merge gives back both branch heads.
  auto down = graph.PlanDowngrade({"top"}, "-2");
  REQUIRE(down.ok());
  CHECK(Revisions(*down) == Ids{"top", "merge"});
  CHECK(down->steps[1].heads_after == Ids{"x2", "y1"});

  // Downgrading to one branch point removes only its descendants.
  auto to_x1 = graph.PlanDowngrade({"top"}, "x1");
  REQUIRE(to_x1.ok());
  CHECK(Revisions(*to_x1) == Ids{"top", "merge", "x2"});
  CHECK(to_x1->steps.back().heads_after == Ids{"x1", "y1"});

  // Upgrading one branch only.
  auto branch = graph.PlanUpgrade({"base"}, "y1");
  REQUIRE(branch.ok());
  CHECK(Revisions(*branch) == Ids{"y1"});
}

TEST_CASE("database heads that no script defines are an integrity error", "[graph]") {
  RevisionGraph graph = Chain();
  auto plan = graph.PlanUpgrade({"gone"}, "head");
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().code() == ErrorCode::kIntegrity);
  CHECK_THAT(plan.status().message(), Catch::Contains("'gone'") && Catch::Contains("stamp"));
  // A recorded ancestor of another recorded head is not a head.
  CHECK(*graph.NormalizeHeads({"b", "c"}) == Ids{"c"});
  CHECK(*graph.Pending({"b"}) == Ids{"c", "d"});
}

TEST_CASE("a 10,000-revision chain loads and plans in linear time", "[graph][scale]") {
  constexpr int kRevisions = 10000;
  std::vector<RevisionNode> nodes;
  for (int i = 0; i < kRevisions; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "r%05d", i);
    nodes.push_back({id, i == 0 ? Ids{} : Ids{nodes.back().id}, ""});
  }
  // Shuffle-free reverse order: the graph must not depend on file order.
  std::reverse(nodes.begin(), nodes.end());
  auto graph = RevisionGraph::Build(std::move(nodes));
  REQUIRE(graph.ok());
  CHECK(graph->Heads() == Ids{"r09999"});
  CHECK(graph->Bases() == Ids{"r00000"});
  auto up = graph->PlanUpgrade({}, "head");
  REQUIRE(up.ok());
  REQUIRE(up->steps.size() == kRevisions);
  CHECK(up->steps.front().revision == "r00000");
  CHECK(up->steps.back().heads_after == Ids{"r09999"});
  auto down = graph->PlanDowngrade({"r09999"}, "base");
  REQUIRE(down.ok());
  CHECK(down->steps.size() == kRevisions);
  CHECK(graph->ResolveRevision("r0500").status().code() == ErrorCode::kInvalidArgument);
  CHECK(*graph->ResolveRevision("r05000") == "r05000");
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// Two forks joined by merges: base -> {a1 -> a2, b1} -> m1 -> {c1, d1} -> m2.
RevisionGraph Forks() {
  return MustBuild({{"base", {}, ""},
                    {"a1", {"base"}, ""},
                    {"b1", {"base"}, ""},
                    {"a2", {"a1"}, ""},
                    {"m1", {"a2", "b1"}, ""},
                    {"c1", {"m1"}, ""},
                    {"d1", {"m1"}, ""},
                    {"m2", {"c1", "d1"}, ""}});
}

TEST_CASE("branch-by-branch order follows a branch to its end before the next", "[graph]") {
  const RevisionGraph graph = Forks();
  // Topological order may interleave the branches (a1 b1 a2); this one never does.
  CHECK(graph.BranchByBranchOrder(graph.TopologicalOrder()) ==
        std::vector<std::string>{"base", "a1", "a2", "b1", "m1", "c1", "d1", "m2"});
  // A subset keeps its own order, parents outside it ignored.
  CHECK(graph.BranchByBranchOrder({"m2", "c1", "d1"}) ==
        std::vector<std::string>{"c1", "d1", "m2"});
}

TEST_CASE("a move undoes what the target lacks, children first, then applies what it misses",
          "[graph]") {
  const RevisionGraph graph = Forks();
  auto move = graph.PlanMove({"a2"}, {"b1"});
  REQUIRE(move.ok());
  auto ids = [](const MigrationPlan& plan) {
    std::vector<std::string> out;
    for (const auto& step : plan.steps) out.push_back(step.revision);
    return out;
  };
  CHECK(ids(move->downgrade) == std::vector<std::string>{"a2", "a1"});
  CHECK(move->downgrade.steps.back().heads_after == std::vector<std::string>{"base"});
  CHECK(ids(move->upgrade) == std::vector<std::string>{"b1"});
  CHECK(move->upgrade.steps.back().heads_after == std::vector<std::string>{"b1"});
  // To a merge's parents from one of them: only the other branch is applied.
  auto to_parents = graph.PlanMove({"a2"}, {"a2", "b1"});
  REQUIRE(to_parents.ok());
  CHECK(to_parents->downgrade.steps.empty());
  CHECK(ids(to_parents->upgrade) == std::vector<std::string>{"b1"});
  CHECK(to_parents->upgrade.steps.back().heads_after == std::vector<std::string>{"a2", "b1"});
  // Back to base, and nowhere at all.
  auto to_base = graph.PlanMove({"m2"}, {});
  REQUIRE(to_base.ok());
  CHECK(to_base->downgrade.steps.size() == 8);
  CHECK(to_base->upgrade.steps.empty());
  auto stay = graph.PlanMove({"m1"}, {"m1"});
  REQUIRE(stay.ok());
  CHECK(stay->downgrade.steps.empty());
  CHECK(stay->upgrade.steps.empty());
  CHECK_FALSE(graph.PlanMove({"m1"}, {"nope"}).ok());
}

}  // namespace
}  // namespace migrationd
