// Which revisions a lint of a range covers (kept apart from the rules: it reads the graph).
#include <cctype>
#include <set>

#include "core/lint/lint.h"

namespace migrationd {

Result<LintScope> LintScopeOfRange(const ScriptDirectory& scripts, const std::string& range) {
  std::string from;
  std::string to;
  if (!range.empty()) {
    const size_t colon = range.find(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument("range '" + range + "' must be FROM:TO (either may be empty)");
    }
    from = range.substr(0, colon);
    to = range.substr(colon + 1);
  }
  auto selected = scripts.graph().Between(from, to);
  if (!selected.ok()) return selected.status();
  const std::set<std::string> in_range(selected->begin(), selected->end());
  LintScope scope;
  bool started = false;
  for (const std::string& id : scripts.graph().TopologicalOrder()) {
    if (in_range.contains(id)) {
      started = true;
      scope.plan.push_back(&scripts.script(id));
    } else if (!started) {
      scope.before.push_back(&scripts.script(id));
    }
  }
  return scope;
}

std::set<std::string> WordsOfPlan(const std::vector<const Script*>& plan,
                                  std::string_view dialect) {
  std::set<std::string> words;
  for (const Script* script : plan) {
    const ScriptSection* section = script->EffectiveSection(Direction::kUpgrade, dialect);
    if (section == nullptr) continue;
    std::string word;
    for (const char c : section->sql + " ") {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$') {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else if (!word.empty()) {
        words.insert(std::move(word));
        word.clear();
      }
    }
  }
  return words;
}

}  // namespace migrationd
