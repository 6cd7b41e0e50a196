#include "daemon/requests/lint_queries.h"

#include "core/run/migration_runner.h"

namespace migrationd {

namespace {

// Counting rows is bounded: a lint never reads more of a SQLite table than this (PostgreSQL
// answers from its statistics at once).
int64_t RowCountBound(const DaemonConfig& config) {
  return std::max<int64_t>(config.lint_large_table, 100000);
}

}  // namespace

void FillLint(const LintReport& report, const std::string& scope, bool live,
              proto::Result& result) {
  for (const LintFinding& finding : report.findings) {
    proto::LintFinding* out = result.add_lint();
    out->set_rule(finding.rule);
    out->set_severity(LintSeverityName(finding.severity));
    out->set_revision(finding.revision);
    out->set_path(finding.path);
    out->set_line(finding.line);
    out->set_table(finding.table);
    out->set_what(finding.what);
    out->set_recipe(finding.recipe);
    out->set_size(finding.size);
    out->set_escalated(finding.escalated);
    out->set_suppressed(finding.suppressed);
    out->set_reason(finding.reason);
  }
  proto::LintSummary* summary = result.mutable_lint_summary();
  summary->set_revisions(static_cast<uint32_t>(report.revisions));
  summary->set_statements(static_cast<uint32_t>(report.statements));
  summary->set_errors(static_cast<uint32_t>(report.errors()));
  summary->set_warnings(static_cast<uint32_t>(report.warnings()));
  summary->set_suppressed(static_cast<uint32_t>(report.suppressed()));
  summary->set_scope(scope);
  summary->set_live(live);
}

std::string DescribeLintErrors(const LintReport& report) {
  std::string text;
  int listed = 0;
  for (const LintFinding& finding : report.findings) {
    if (finding.suppressed || finding.severity != LintSeverity::kError) continue;
    if (++listed > 3) {
      text += ", ...";
      break;
    }
    text += (text.empty() ? "" : ", ") + finding.rule + " at " + finding.path + ":" +
            std::to_string(finding.line);
  }
  return std::to_string(report.errors()) + " lint error(s): " + text;
}

Result<LintReport> LintPlan(Backend& live, const ScriptDirectory& scripts,
                            const MigrationPlan& plan, const DaemonConfig& config) {
  std::vector<const Script*> pending;
  for (const PlannedStep& step : plan.steps) {
    if (step.direction == Direction::kUpgrade) pending.push_back(&scripts.script(step.revision));
  }
  auto facts = live.ReadLintFacts(RowCountBound(config), WordsOfPlan(pending, live.dialect()));
  if (!facts.ok()) return facts.status().WithContext("lint: cannot read the tables' sizes");
  LintOptions options;
  options.dialect = std::string(live.dialect());
  options.facts = &*facts;
  options.large_table_rows = config.lint_large_table;
  return LintRevisions({}, pending, options);
}

proto::Result LintResult(const LintReport& report, const std::string& scope, bool live) {
  proto::Result result;
  FillLint(report, scope, live, result);
  if (report.errors() > 0) {
    result.set_code(proto::INTEGRITY);
    result.set_message(DescribeLintErrors(report) +
                       "; fix them or allow each with '-- lint: allow RULE: reason' above the "
                       "statement");
  } else {
    result.set_message(report.findings.empty() ? "lint: nothing found"
                                               : "lint: no error-level finding");
  }
  return result;
}

Result<LintReport> LintRange(const ScriptDirectory& scripts, std::string_view dialect,
                             const std::string& range) {
  auto selected = LintScopeOfRange(scripts, range);
  if (!selected.ok()) return selected.status();
  LintOptions options;
  options.dialect = std::string(dialect);
  options.each_revision_alone = true;
  return LintRevisions(selected->before, selected->plan, options);
}

proto::Result QueryLint(const QueryContext& context, const std::string& target,
                        const std::string& range, bool all) {
  if (all || !range.empty()) {
    auto report = LintRange(context.scripts, context.url.dialect(), all ? "" : range);
    if (!report.ok()) return ErrorResult(report.status());
    return LintResult(*report, all ? "every revision" : range, false);
  }
  auto backend = OpenForReading(context);
  if (!backend.ok()) return ErrorResult(backend.status());
  MigrationRunner runner(context.scripts, **backend);
  const std::string upto = target.empty() ? "head" : target;
  auto plan = runner.PlanUpgrade(upto);
  if (!plan.ok()) return ErrorResult(plan.status());
  auto report = LintPlan(**backend, context.scripts, *plan, context.config);
  if (!report.ok()) return ErrorResult(report.status());
  return LintResult(*report, "pending revisions up to " + upto, true);
}

}  // namespace migrationd
