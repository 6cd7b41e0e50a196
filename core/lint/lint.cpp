// The linter's driver: the plan walked revision by revision, each engine's rules called on its
// statements, sizes and suppressions applied to what they find.
#include "core/lint/lint.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/lint/lint_internal.h"

namespace migrationd {

namespace lint {

LintState::LintState(const LintOptions& options, LintReport& report)
    : options_(options), report_(report) {
  if (options.facts == nullptr) return;
  for (const TableFacts& table : options.facts->tables) {
    tables_.insert(Key(table.name));
    facts_[Key(table.name)] = &table;
    for (const auto& [column, type] : table.column_types) {
      column_types_[Key(table.name)][Key(column)] = type;
    }
    for (const auto& column : table.not_null_checked) {
      not_null_checked_.insert({Key(table.name), Key(column)});
    }
  }
}

std::string LintState::Key(const std::string& name) const {
  std::string key = name;
  if (options_.dialect == kDialectSqlite) {
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  // The default schema names the same table with or without it.
  for (std::string_view prefix : {"public.", "main."}) {
    if (key.starts_with(prefix)) key = key.substr(prefix.size());
  }
  return key;
}

void LintState::Created(const std::string& table) {
  tables_.insert(Key(table));
  new_tables_.insert(Key(table));
}

void LintState::Dropped(const std::string& table) {
  tables_.erase(Key(table));
  new_tables_.erase(Key(table));
  column_types_.erase(Key(table));
  facts_.erase(Key(table));
}

void LintState::Renamed(const std::string& from, const std::string& to) {
  const bool was_new = IsNew(from);
  auto types = column_types_.extract(Key(from));
  auto facts = facts_.extract(Key(from));
  Dropped(from);
  tables_.insert(Key(to));
  if (was_new) new_tables_.insert(Key(to));
  if (!types.empty()) {
    types.key() = Key(to);
    column_types_.insert(std::move(types));
  }
  if (!facts.empty()) {
    facts.key() = Key(to);
    facts_.insert(std::move(facts));
  }
}

void LintState::SetColumnType(const std::string& table, const std::string& column,
                              std::string type) {
  column_types_[Key(table)][Key(column)] = std::move(type);
}

void LintState::DropColumn(const std::string& table, const std::string& column) {
  column_types_[Key(table)].erase(Key(column));
}

void LintState::RenameColumn(const std::string& table, const std::string& from,
                             const std::string& to) {
  auto& columns = column_types_[Key(table)];
  auto node = columns.extract(Key(from));
  if (node.empty()) return;
  node.key() = Key(to);
  columns.insert(std::move(node));
}

std::string LintState::ColumnType(const std::string& table, const std::string& column) const {
  auto found = column_types_.find(Key(table));
  if (found == column_types_.end()) return "";
  auto type = found->second.find(Key(column));
  return type == found->second.end() ? "" : type->second;
}

void LintState::NotNullChecked(const std::string& table, const std::string& column) {
  not_null_checked_.insert({Key(table), Key(column)});
}

bool LintState::HasNotNullCheck(const std::string& table, const std::string& column) const {
  return not_null_checked_.contains({Key(table), Key(column)});
}

const TableFacts* LintState::Facts(const std::string& table) const {
  auto found = facts_.find(Key(table));
  return found == facts_.end() ? nullptr : found->second;
}

void LintState::Report(const StatementSite& site, std::string_view rule, const std::string& table,
                       std::string what) {
  const LintRule* known = FindLintRule(rule);
  ReportAs(site, rule, known != nullptr ? known->severity : LintSeverity::kError, table,
           std::move(what));
}

void LintState::ReportAs(const StatementSite& site, std::string_view rule, LintSeverity severity,
                         const std::string& table, std::string what) {
  const LintRule* known = FindLintRule(rule);
  LintFinding finding;
  finding.rule = std::string(rule);
  finding.severity = severity;
  finding.revision = site.script->id;
  finding.path = site.script->path;
  finding.line = site.statement->line;
  finding.table = table;
  finding.what = std::move(what);
  if (known != nullptr) finding.recipe = std::string(known->recipe);
  if (!table.empty()) {
    if (const TableFacts* facts = Facts(table); facts != nullptr && !IsNew(table)) {
      finding.size = DescribeTableSize(*facts);
      const bool large = options_.large_table_rows > 0 && facts->rows >= options_.large_table_rows;
      if (known != nullptr && known->size_escalates && large &&
          finding.severity == LintSeverity::kWarning) {
        finding.severity = LintSeverity::kError;
        finding.escalated = true;
      }
    } else if (IsNew(table)) {
      finding.size =
          table + ": created in this " + (options_.each_revision_alone ? "revision" : "plan");
    } else {
      finding.size =
          table + ": size unknown (" +
          (options_.facts == nullptr ? "static lint, no database" : "not in the database") + ")";
    }
  }
  if (site.suppressions != nullptr) {
    for (Suppression& suppression : *site.suppressions) {
      if (suppression.rule != rule || suppression.reason.empty()) continue;
      finding.suppressed = true;
      finding.reason = suppression.reason;
      suppression.used = true;
      break;
    }
  }
  report_.findings.push_back(std::move(finding));
}

namespace {

std::string Trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

// "-- lint: allow RULE-ID: reason" → the suppression; nullopt for any other line.
std::optional<Suppression> ParseSuppression(std::string_view line, int line_number) {
  std::string text = Trim(line);
  if (!text.starts_with("--")) return std::nullopt;
  text = Trim(std::string_view(text).substr(2));
  if (!text.starts_with("lint:")) return std::nullopt;
  text = Trim(std::string_view(text).substr(5));
  if (!text.starts_with("allow")) return std::nullopt;
  text = Trim(std::string_view(text).substr(5));
  Suppression suppression;
  suppression.line = line_number;
  const size_t colon = text.find(':');
  suppression.rule = Trim(std::string_view(text).substr(0, colon));
  if (colon != std::string::npos)
    suppression.reason = Trim(std::string_view(text).substr(colon + 1));
  return suppression;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    lines.push_back(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::vector<Suppression> SuppressionsOf(const Script& script, const SqlStatement& statement,
                                        std::string_view dialect) {
  std::vector<Suppression> found;
  const ScriptSection* section = script.EffectiveSection(Direction::kUpgrade, dialect);
  if (section == nullptr) return found;
  const auto lines = Lines(section->sql);
  // The comment lines right above the statement's first line, nearest first.
  for (int line = statement.line - 1; line >= section->first_line; --line) {
    const std::string text = Trim(lines[static_cast<size_t>(line - section->first_line)]);
    if (!text.starts_with("--")) break;
    if (auto suppression = ParseSuppression(text, line)) found.push_back(*suppression);
  }
  // And any at the start of the statement's own text (a splitter may keep leading comments).
  int line = statement.line;
  for (std::string_view text : Lines(statement.text)) {
    const std::string trimmed = Trim(text);
    if (!trimmed.starts_with("--")) break;
    if (auto suppression = ParseSuppression(trimmed, line)) found.push_back(*suppression);
    ++line;
  }
  return found;
}

namespace {

// A suppression of another engine's rule in a common section is meant for that engine: it is
// not unused here. An unknown rule is reported on every engine.
bool AppliesHere(const std::string& rule, const std::string& dialect) {
  const LintRule* known = FindLintRule(rule);
  return known == nullptr || known->engines.find(dialect) != std::string_view::npos;
}

}  // namespace

void ReportSuppressionProblems(const StatementSite& site, LintState& state) {
  for (const Suppression& suppression : *site.suppressions) {
    StatementSite at = site;
    SqlStatement comment{"", suppression.line};
    at.statement = &comment;
    at.suppressions = nullptr;
    if (suppression.reason.empty()) {
      state.Report(at, "lint-suppression-without-reason", "",
                   "'-- lint: allow " + suppression.rule +
                       "' gives no reason; write '-- lint: allow " + suppression.rule +
                       ": why it is safe here'");
    } else if (!suppression.used && AppliesHere(suppression.rule, state.options().dialect)) {
      state.Report(at, "lint-unused-suppression", "",
                   FindLintRule(suppression.rule) == nullptr
                       ? "no lint rule is called '" + suppression.rule + "'"
                       : "'" + suppression.rule +
                             "' did not fire on the statement below this comment (line " +
                             std::to_string(site.statement->line) + ")");
    }
  }
}

}  // namespace lint

namespace {

std::string Rounded(double value, const char* unit) {
  char text[32];
  std::snprintf(text, sizeof text, value < 10 ? "%.1f %s" : "%.0f %s", value, unit);
  return text;
}

std::string Count(int64_t n) {
  if (n >= 1'000'000'000) return Rounded(static_cast<double>(n) / 1e9, "G");
  if (n >= 1'000'000) return Rounded(static_cast<double>(n) / 1e6, "M");
  if (n >= 10'000) return Rounded(static_cast<double>(n) / 1e3, "k");
  return std::to_string(n);
}

std::string Bytes(int64_t n) {
  if (n >= (int64_t{1} << 30)) return Rounded(static_cast<double>(n) / (1 << 30), "GB");
  if (n >= (int64_t{1} << 20)) return Rounded(static_cast<double>(n) / (1 << 20), "MB");
  if (n >= (int64_t{1} << 10)) return Rounded(static_cast<double>(n) / (1 << 10), "kB");
  return std::to_string(n) + " bytes";
}

}  // namespace

std::string DescribeTableSize(const TableFacts& table) {
  std::string text = table.name + ": ";
  if (table.rows < 0) {
    text += "rows unknown";
  } else {
    text += (table.rows_estimated  ? "~"
             : table.rows_at_least ? "at least "
                                   : "") +
            Count(table.rows) + (table.rows == 1 ? " row" : " rows");
  }
  if (table.bytes >= 0) text += ", " + Bytes(table.bytes);
  if (table.scans >= 0 || table.writes >= 0) {
    const bool used = table.scans > 0 || table.writes > 0;
    text += used ? ", in use (" + Count(std::max<int64_t>(table.scans, 0)) + " scans, " +
                       Count(std::max<int64_t>(table.writes, 0)) +
                       " rows written since the statistics were reset)"
                 : ", not used since the statistics were reset";
  }
  return text;
}

int LintReport::errors() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const auto& f) {
    return !f.suppressed && f.severity == LintSeverity::kError;
  }));
}

int LintReport::warnings() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const auto& f) {
    return !f.suppressed && f.severity == LintSeverity::kWarning;
  }));
}

int LintReport::suppressed() const {
  return static_cast<int>(
      std::count_if(findings.begin(), findings.end(), [](const auto& f) { return f.suppressed; }));
}

LintReport LintRevisions(const std::vector<const Script*>& before,
                         const std::vector<const Script*>& plan, const LintOptions& options) {
  LintReport report;
  lint::LintState state(options, report);
  if (options.dialect == kDialectSqlite) {
    lint::LintSqliteRevisions(before, plan, state);
  } else {
    for (const Script* script : before) lint::LintPostgresRevision(*script, state, true);
    state.StartUnit();
    for (const Script* script : plan) {
      if (options.each_revision_alone) state.StartUnit();
      const size_t first = report.findings.size();
      lint::LintPostgresRevision(*script, state, false);
      // Rules about the whole revision report at its end: keep the revision's findings by line.
      std::stable_sort(report.findings.begin() + static_cast<std::ptrdiff_t>(first),
                       report.findings.end(),
                       [](const LintFinding& a, const LintFinding& b) { return a.line < b.line; });
    }
  }
  report.revisions = static_cast<int>(plan.size());
  return report;
}

}  // namespace migrationd
